#include "medgen/eval/features.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace medgen::eval {

std::vector<size_t> all_rows(size_t n) {
  std::vector<size_t> r(n);
  std::iota(r.begin(), r.end(), size_t{0});
  return r;
}

std::vector<EvalColumn> describe_columns(const Table& real, const Schema& schema,
                                         const std::vector<const Table*>& others) {
  std::vector<EvalColumn> out;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSchema& cs = schema.columns[i];
    if (cs.type == ColumnType::kIdentifier || cs.type == ColumnType::kText) continue;
    const int ti = real.find(cs.name);
    if (ti < 0) continue;
    EvalColumn c;
    c.name = cs.name;
    c.index = static_cast<size_t>(ti);
    const Column& col = real.columns[c.index];
    c.any_missing = col.count_missing() > 0;
    for (const Table* o : others)
      if (o && c.index < o->num_cols() && o->columns[c.index].count_missing() > 0) c.any_missing = true;
    if (col.storage == Storage::kNumber) {
      c.kind = Kind::kNumeric;
      c.datetime = cs.type == ColumnType::kDatetime;
      std::vector<double> v;
      v.reserve(col.values.size());
      for (size_t r = 0; r < col.values.size(); ++r)
        if (col.valid[r]) v.push_back(col.values[r]);
      if (!v.empty()) {
        std::sort(v.begin(), v.end());
        c.min = v.front();
        c.max = v.back();
        double s = 0, ss = 0;
        for (double x : v) s += x;
        c.mean = s / static_cast<double>(v.size());
        for (double x : v) ss += (x - c.mean) * (x - c.mean);
        c.sd = std::sqrt(ss / static_cast<double>(v.size()));
        if (!(c.sd > 0)) c.sd = 1.0;
        // Decile cut points; ties (discrete columns) collapse into fewer bins.
        for (size_t q = 1; q < kNumericBins; ++q) {
          const double x = v[std::min(v.size() - 1, q * v.size() / kNumericBins)];
          if (x > v.front() && (c.cuts.empty() || x > c.cuts.back())) c.cuts.push_back(x);
        }
      }
      c.bins = c.cuts.size() + 1;
    } else {
      c.kind = Kind::kCategorical;
      const size_t levels = col.dictionary.size();
      std::vector<size_t> freq(levels, 0);
      for (int32_t code : col.codes)
        if (code >= 0) ++freq[static_cast<size_t>(code)];
      c.level_bin.assign(levels, 0);
      if (levels <= kMaxLevels) {
        std::iota(c.level_bin.begin(), c.level_bin.end(), 0);
        c.bin_labels = col.dictionary;
        c.bins = levels;
      } else {
        std::vector<size_t> order = all_rows(levels);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return freq[a] > freq[b]; });
        const int32_t other = static_cast<int32_t>(kMaxLevels - 1);
        for (size_t k = 0; k < levels; ++k)
          c.level_bin[order[k]] = k < kMaxLevels - 1 ? static_cast<int32_t>(k) : other;
        for (size_t k = 0; k + 1 < kMaxLevels; ++k) c.bin_labels.push_back(col.dictionary[order[k]]);
        c.bin_labels.push_back("(other)");
        c.bins = kMaxLevels;
      }
      c.bins = std::max<size_t>(c.bins, 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<int32_t> bin_codes(const Table& t, const EvalColumn& c) {
  const Column& col = t.columns[c.index];
  const size_t n = col.size();
  std::vector<int32_t> out(n, -1);
  if (c.kind == Kind::kNumeric) {
    for (size_t r = 0; r < n; ++r)
      if (col.valid[r])
        out[r] = static_cast<int32_t>(std::upper_bound(c.cuts.begin(), c.cuts.end(), col.values[r]) - c.cuts.begin());
  } else {
    for (size_t r = 0; r < n; ++r) {
      const int32_t code = col.codes[r];
      if (code >= 0 && static_cast<size_t>(code) < c.level_bin.size()) out[r] = c.level_bin[static_cast<size_t>(code)];
    }
  }
  return out;
}

Matrix feature_matrix(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& rows, int skip) {
  size_t p = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (static_cast<int>(i) == skip) continue;
    p += cols[i].kind == Kind::kNumeric ? 1 + (cols[i].any_missing ? 1 : 0) : cols[i].bins;
  }
  Matrix m;
  m.rows = rows.size();
  m.cols = p;
  m.data.assign(m.rows * p, 0.f);
  size_t off = 0;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (static_cast<int>(i) == skip) continue;
    const EvalColumn& c = cols[i];
    const Column& col = t.columns[c.index];
    if (c.kind == Kind::kNumeric) {
      for (size_t k = 0; k < rows.size(); ++k) {
        const size_t r = rows[k];
        float* dst = &m.data[k * p + off];
        if (col.valid[r])
          dst[0] = static_cast<float>((col.values[r] - c.mean) / c.sd);
        else if (c.any_missing)
          dst[1] = 1.f;
      }
      off += 1 + (c.any_missing ? 1 : 0);
    } else {
      for (size_t k = 0; k < rows.size(); ++k) {
        const int32_t code = col.codes[rows[k]];
        if (code >= 0 && static_cast<size_t>(code) < c.level_bin.size())
          m.data[k * p + off + static_cast<size_t>(c.level_bin[static_cast<size_t>(code)])] = 1.f;
      }
      off += c.bins;
    }
  }
  return m;
}

DistanceMatrix distance_matrix(const Table& t, const std::vector<EvalColumn>& cols, const std::vector<size_t>& rows,
                               const std::vector<size_t>& use) {
  // A missing value sits far from every value (distance 1 to any present value, 0 to
  // another missing one): the record distance counts "missing vs present" as a full mismatch.
  constexpr float kMissing = -1e6f;
  DistanceMatrix d;
  d.rows = rows.size();
  d.cols = use.size();
  d.data.assign(d.rows * d.cols, 0.f);
  for (size_t u = 0; u < use.size(); ++u) {
    const EvalColumn& c = cols[use[u]];
    const Column& col = t.columns[c.index];
    float* dst = &d.data[u * d.rows];
    if (c.kind == Kind::kNumeric) {
      const double range = c.range();
      for (size_t k = 0; k < rows.size(); ++k) {
        const size_t r = rows[k];
        dst[k] = col.valid[r] ? static_cast<float>((col.values[r] - c.min) / range) : kMissing;
      }
    } else {
      // Codes two apart: any two different levels are at distance min(2, 1) = 1.
      for (size_t k = 0; k < rows.size(); ++k) {
        const int32_t code = col.codes[rows[k]];
        dst[k] = code >= 0 ? 2.f * static_cast<float>(code) : kMissing;
      }
    }
  }
  return d;
}

}  // namespace medgen::eval
