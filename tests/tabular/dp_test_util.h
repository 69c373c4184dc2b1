// Helpers shared by the DP-SGD tests of tvae and ctgan.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace medgen::tabular::test_dp {

// Total variation distance between a categorical column's level frequencies in two tables
// (missing values as one more level).
inline double tv_distance(const Column& a, const Column& b, const std::vector<std::string>& values) {
  auto shares = [&](const Column& c) {
    std::vector<double> f(values.size() + 1, 0.0);
    for (size_t r = 0; r < c.size(); ++r) {
      const int32_t code = c.codes[r];
      size_t slot = values.size();
      if (code >= 0) slot = static_cast<size_t>(std::find(values.begin(), values.end(), c.dictionary[static_cast<size_t>(code)]) - values.begin());
      f[slot] += 1.0 / static_cast<double>(c.size());
    }
    return f;
  };
  const auto fa = shares(a), fb = shares(b);
  double tv = 0;
  for (size_t k = 0; k < fa.size(); ++k) tv += std::fabs(fa[k] - fb[k]) / 2;
  return tv;
}

inline std::vector<size_t> categorical_columns(const Schema& s) {
  std::vector<size_t> out;
  for (size_t c = 0; c < s.columns.size(); ++c)
    if (s.columns[c].type == ColumnType::kCategorical || s.columns[c].type == ColumnType::kBoolean) out.push_back(c);
  return out;
}

}  // namespace medgen::tabular::test_dp
