// SDMetrics 0.29's QualityReport definitions (sdv-dev/SDMetrics, implemented from its documented
// metrics and checked against hand-worked tables in tests/eval/sdmetrics_test.cpp). Column
// Shapes are medgen's own (KS and total variation on present values, as there). Column Pair
// Trends differ from medgen's:
//  - two numeric (or datetime) columns: Pearson (or Spearman) on the rows where both are present,
//    1 - |r_real - r_synthetic| / 2; no score when either column has a single present value in
//    either table (SDMetrics refuses constant data);
//  - otherwise the contingency table of the pair over all rows, a missing label a category of
//    its own, 1 - total variation; a numeric column in it is cut into 10 equal-width bins over
//    *each table's own* present range (numpy's histogram_bin_edges), numbered as numpy's digitize
//    numbers them: bin i holds [e_(i-1), e_i), the maximum and every missing value share bin 11.
// Pairs without a score are left out of the mean. Overall quality: the mean of the two. Not
// reproduced: SDMetrics subsamples contingency pairs of tables above 50,000 rows at random.
#include "sections.h"

#include "medgen/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace medgen::eval {

namespace {

// numpy.histogram_bin_edges(values, bins=10) then numpy.digitize(column, edges): 0..11.
std::vector<int32_t> equal_width_bins(const Column& col) {
  double lo = INFINITY, hi = -INFINITY;
  for (size_t r = 0; r < col.values.size(); ++r)
    if (col.valid[r]) lo = std::min(lo, col.values[r]), hi = std::max(hi, col.values[r]);
  if (!(lo <= hi)) lo = 0, hi = 1;     // no present value: numpy's default range
  if (lo == hi) lo -= 0.5, hi += 0.5;  // numpy widens a zero range by one half each side
  constexpr int kBins = 10;
  double edges[kBins + 1];
  const double step = (hi - lo) / kBins;  // numpy.linspace: j * step + start, the last edge exact
  for (int j = 0; j < kBins; ++j) edges[j] = static_cast<double>(j) * step + lo;
  edges[kBins] = hi;
  std::vector<int32_t> out(col.values.size(), kBins + 1);
  for (size_t r = 0; r < col.values.size(); ++r) {
    if (!col.valid[r]) continue;  // NaN sorts after every edge: bin 11
    out[r] = static_cast<int32_t>(std::upper_bound(edges, edges + kBins + 1, col.values[r]) - edges);
  }
  return out;
}

// Present values of a numeric column, NaN where missing (Spearman ranks them among the rows
// where both columns of the pair are present, as scipy.stats.spearmanr on the dropped rows).
std::vector<double> numeric_or_nan(const Column& col) {
  std::vector<double> v(col.values.size(), NAN);
  for (size_t r = 0; r < v.size(); ++r)
    if (col.valid[r]) v[r] = col.values[r];
  return v;
}

size_t distinct_present(const std::vector<double>& v) {
  std::set<double> s;
  for (double x : v)
    if (!std::isnan(x)) s.insert(x);
  return s.size();
}

// Pearson's r of the rows where both are present (Spearman: of their average ranks); NaN with
// fewer than 2 such rows or no variance.
double correlation(const std::vector<double>& a, const std::vector<double>& b, bool spearman) {
  std::vector<double> x, y;
  for (size_t r = 0; r < a.size(); ++r)
    if (!std::isnan(a[r]) && !std::isnan(b[r])) x.push_back(a[r]), y.push_back(b[r]);
  if (x.size() < 2) return NAN;
  if (spearman) {
    x = mid_ranks(x);
    y = mid_ranks(y);
  }
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return NAN;
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

// Shares of the (a, b) cells over all rows; -1 is a category (missing) like any other.
std::map<std::pair<int32_t, int32_t>, double> cell_shares(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  std::map<std::pair<int32_t, int32_t>, double> m;
  for (size_t r = 0; r < a.size(); ++r) m[{a[r], b[r]}] += 1;
  for (auto& kv : m) kv.second /= static_cast<double>(a.size());
  return m;
}

}  // namespace

ojson sdmetrics_pair_trends(const Table& real, const Table& other, const std::vector<EvalColumn>& cols, bool spearman) {
  const size_t m = cols.size();
  std::vector<std::vector<int32_t>> disc_a(m), disc_b(m);
  std::vector<std::vector<double>> num_a(m), num_b(m);
  for (size_t i = 0; i < m; ++i) {
    const Column& a = real.columns[cols[i].index];
    const Column& b = other.columns[cols[i].index];
    if (cols[i].kind == Kind::kNumeric) {
      disc_a[i] = equal_width_bins(a);
      disc_b[i] = equal_width_bins(b);
      num_a[i] = numeric_or_nan(a);
      num_b[i] = numeric_or_nan(b);
    } else {
      disc_a[i] = a.codes;
      disc_b[i] = b.codes;
    }
  }
  std::vector<double> scores;
  size_t skipped = 0;
  ojson pairs = ojson::array();
  for (size_t i = 0; i < m; ++i)
    for (size_t k = i + 1; k < m; ++k) {
      double score = NAN;
      const bool both_numeric = cols[i].kind == Kind::kNumeric && cols[k].kind == Kind::kNumeric;
      if (both_numeric) {
        const bool constant = distinct_present(num_a[i]) == 1 || distinct_present(num_a[k]) == 1 ||
                              distinct_present(num_b[i]) == 1 || distinct_present(num_b[k]) == 1;
        if (!constant) {
          const double ra = correlation(num_a[i], num_a[k], spearman), rb = correlation(num_b[i], num_b[k], spearman);
          score = 1.0 - std::fabs(ra - rb) / 2.0;  // NaN when either is
        }
      } else if (real.num_rows() > 0 && other.num_rows() > 0) {
        const auto pa = cell_shares(disc_a[i], disc_a[k]), pb = cell_shares(disc_b[i], disc_b[k]);
        double tv = 0;
        for (const auto& kv : pa) {
          const auto it = pb.find(kv.first);
          tv += std::fabs(kv.second - (it == pb.end() ? 0.0 : it->second));
        }
        for (const auto& kv : pb)
          if (!pa.count(kv.first)) tv += kv.second;
        score = 1.0 - 0.5 * tv;
      }
      if (std::isnan(score)) {
        ++skipped;
      } else {
        scores.push_back(score);
      }
      pairs.push_back({{"a", cols[i].name},
                       {"b", cols[k].name},
                       {"metric", both_numeric ? (spearman ? "spearman" : "pearson") : "contingency"},
                       {"score", num(score)}});
    }
  const double mean = scores.empty() ? NAN : std::accumulate(scores.begin(), scores.end(), 0.0) / static_cast<double>(scores.size());
  return {{"score", num(mean)}, {"pairs_scored", scores.size()}, {"pairs_without_score", skipped}, {"pairs", pairs}};
}

}  // namespace medgen::eval
