// The generated benchmark table shared by the bench programs: 30,000 x 15 by default,
// 9 numeric columns (multimodal, skewed, zero-inflated, an integer, a datetime, one with 10%
// missing) and 6 categorical/boolean ones with Zipf-like frequencies (one with 5% missing).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/core/table.h"

namespace bench_table {

using medgen::Column;
using medgen::ColumnSchema;
using medgen::ColumnType;
using medgen::Rng;
using medgen::Schema;
using medgen::Table;
// Adds a numeric column (with its schema: observed range, decimals) drawn by `draw`.
template <class Draw>
inline void add_numeric(Table& t, Schema& s, const std::string& name, size_t rows, Rng& rng, Draw draw,
                 double missing_share = 0.0, bool integer = false, ColumnType type = ColumnType::kNumerical) {
  Column c = Column::numbers(name, rows);
  ColumnSchema cs;
  cs.name = name;
  cs.type = type;
  cs.integer = integer;
  cs.decimals = integer ? 0 : 3;
  cs.min = INFINITY;
  cs.max = -INFINITY;
  for (size_t r = 0; r < rows; ++r) {
    if (missing_share > 0.0 && rng.uniform() < missing_share) continue;
    double v = draw(rng);
    v = integer ? std::round(v) : std::round(v * 1000.0) / 1000.0;
    c.values[r] = v;
    c.valid[r] = 1;
    cs.min = std::min(cs.min, v);
    cs.max = std::max(cs.max, v);
  }
  t.columns.push_back(std::move(c));
  s.columns.push_back(cs);
}

inline void add_categorical(Table& t, Schema& s, const std::string& name, size_t rows, Rng& rng, int levels,
                     double missing_share = 0.0) {
  std::vector<std::string> labels;
  for (int i = 0; i < levels; ++i) labels.push_back(name + "_" + std::to_string(i));
  Column c = Column::strings(name, rows, labels);
  // Zipf-like level frequencies.
  std::vector<double> cum;
  double tot = 0.0;
  for (int i = 0; i < levels; ++i) cum.push_back(tot += 1.0 / (i + 1));
  for (size_t r = 0; r < rows; ++r) {
    if (missing_share > 0.0 && rng.uniform() < missing_share) continue;
    const double u = rng.uniform() * tot;
    int l = 0;
    while (l + 1 < levels && cum[l] <= u) ++l;
    c.codes[r] = l;
  }
  t.columns.push_back(std::move(c));
  ColumnSchema cs;
  cs.name = name;
  cs.type = levels == 2 ? ColumnType::kBoolean : ColumnType::kCategorical;
  cs.values = labels;
  s.columns.push_back(cs);
}

inline void generated(size_t rows, Table* table, Schema* schema) {
  Rng rng(20240601);
  Table& t = *table;
  Schema& s = *schema;
  auto mix = [](std::vector<double> w, std::vector<double> mu, std::vector<double> sd) {
    return [=](Rng& r) {
      double u = r.uniform();
      size_t k = 0;
      while (k + 1 < w.size() && u >= w[k]) u -= w[k++];
      return mu[k] + sd[k] * r.normal();
    };
  };
  add_numeric(t, s, "lab_a", rows, rng, mix({.5, .3, .2}, {-10, 0, 15}, {1, .5, 2}));
  add_numeric(t, s, "age", rows, rng, mix({.6, .4}, {35, 68}, {10, 8}), 0.0, true);
  add_numeric(t, s, "bmi", rows, rng, mix({.7, .3}, {24, 33}, {3, 4}), 0.10);
  add_numeric(t, s, "crp", rows, rng, [](Rng& r) { return std::exp(1.0 + r.normal()); });
  add_numeric(t, s, "score", rows, rng, [](Rng& r) { return 100.0 * r.uniform(); });
  add_numeric(t, s, "dose", rows, rng, [](Rng& r) { return r.uniform() < 0.4 ? 0.0 : std::exp(2.0 + 0.5 * r.normal()); });
  add_numeric(t, s, "admitted", rows, rng, mix({.5, .5}, {1.6e9, 1.65e9}, {1e7, 2e7}), 0.0, true,
              ColumnType::kDatetime);
  add_numeric(t, s, "hr", rows, rng, mix({.2, .2, .2, .2, .2}, {50, 70, 90, 110, 130}, {4, 4, 5, 6, 8}));
  add_numeric(t, s, "los", rows, rng, [](Rng& r) { return -3.0 * std::log(r.uniform_open()); });
  add_categorical(t, s, "sex", rows, rng, 2);
  add_categorical(t, s, "ward", rows, rng, 3);
  add_categorical(t, s, "stage", rows, rng, 5);
  add_categorical(t, s, "dx", rows, rng, 8);
  add_categorical(t, s, "site", rows, rng, 12);
  add_categorical(t, s, "drug", rows, rng, 20, 0.05);
}

// The mostly categorical variant: 9 categorical/boolean columns and 6 numeric ones.
inline void generated_categorical(size_t rows, Table* table, Schema* schema) {
  Rng rng(20240602);
  Table& t = *table;
  Schema& s = *schema;
  add_numeric(t, s, "age", rows, rng, [](Rng& r) { return r.uniform() < 0.6 ? 35 + 10 * r.normal() : 68 + 8 * r.normal(); },
              0.0, true);
  add_numeric(t, s, "bmi", rows, rng, [](Rng& r) { return 26 + 4 * r.normal(); }, 0.10);
  add_numeric(t, s, "crp", rows, rng, [](Rng& r) { return std::exp(1.0 + r.normal()); });
  add_numeric(t, s, "dose", rows, rng, [](Rng& r) { return r.uniform() < 0.4 ? 0.0 : std::exp(2.0 + 0.5 * r.normal()); });
  add_numeric(t, s, "hr", rows, rng, [](Rng& r) { return (r.uniform() < 0.5 ? 70 : 110) + 6 * r.normal(); });
  add_numeric(t, s, "los", rows, rng, [](Rng& r) { return -3.0 * std::log(r.uniform_open()); });
  add_categorical(t, s, "sex", rows, rng, 2);
  add_categorical(t, s, "smoker", rows, rng, 2);
  add_categorical(t, s, "ward", rows, rng, 3);
  add_categorical(t, s, "outcome", rows, rng, 3);
  add_categorical(t, s, "insurance", rows, rng, 4);
  add_categorical(t, s, "stage", rows, rng, 5);
  add_categorical(t, s, "dx", rows, rng, 8);
  add_categorical(t, s, "site", rows, rng, 12);
  add_categorical(t, s, "drug", rows, rng, 20, 0.05);
}

// The conditional-sampling check shared by bench_quality and the slow TVAE test: 3,000 rows,
// 85% in group a with x ~ N(10, 2), 15% in group b with x ~ N(50, 2) (seed 8).
inline void two_groups(Table* table, Schema* schema) {
  Rng rng(8);
  const size_t n = 3000;
  Table& t = *table;
  t.columns.clear();
  t.columns.push_back(Column::strings("group", n, {"a", "b"}));
  t.columns.push_back(Column::numbers("x", n));
  for (size_t i = 0; i < n; ++i) {
    const int g = rng.uniform() < 0.85 ? 0 : 1;
    t.columns[0].codes[i] = g;
    t.columns[1].values[i] = (g ? 50.0 : 10.0) + 2.0 * rng.normal();
    t.columns[1].valid[i] = 1;
  }
  Schema& s = *schema;
  s.columns = {{"group", ColumnType::kCategorical}, {"x", ColumnType::kNumerical}};
  s.columns[0].values = {"a", "b"};
  s.columns[1].min = -100;
  s.columns[1].max = 200;
  s.columns[1].decimals = 2;
}

}  // namespace bench_table
