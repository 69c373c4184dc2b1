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
#include "medgen/eval/models.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
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

// SDMetrics 0.29's LogisticDetection, from its documented procedure:
//  - features by the pandas type of each column as a CSV reader would type it (not by the
//    schema): a column whose present values are all numbers (numbers, datetimes, categories
//    written as numbers) is one numeric feature, missing values filled with the real table's
//    mean; a column of True/False values is one 0/1 feature, missing filled with the real
//    mode; any other column is one-hot over the real table's levels (a missing value is a
//    level of its own; a synthetic level the real table lacks gets all zeros, where
//    scikit-learn's encoder would refuse the table: counted in "unknown_levels");
//  - labels real 1, synthetic 0, every row of both tables; stratified 3-fold cross-validation
//    (shuffled: SDMetrics leaves the shuffle unseeded, here it follows the evaluation's seed);
//  - per fold: mean imputation and robust scaling (median, interquartile range with numpy's
//    linear percentiles; a zero range scales by 1) fitted on the training rows, then
//    L2-penalised logistic regression with C = 1 (the penalty 1/2 |w|^2 against the summed log
//    loss, the intercept free) by L-BFGS for at most 100 iterations, as scikit-learn's default;
//  - score = 1 - mean over folds of (2 max(AUC, 0.5) - 1).
namespace {

bool parses_as_number(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool is_bool_text(const std::string& s) {
  return s == "True" || s == "False" || s == "true" || s == "false" || s == "TRUE" || s == "FALSE";
}

// numpy.percentile(v, q) with linear interpolation; v is sorted.
double percentile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

ojson sdmetrics_logistic_detection(const Table& real, const Table& other, const std::vector<EvalColumn>& cols, Rng rng) {
  const size_t nr = real.num_rows(), no = other.num_rows(), n = nr + no;
  constexpr size_t kFolds = 3;
  ojson j{{"definition", "SDMetrics 0.29 LogisticDetection"}};
  if (nr < kFolds || no < kFolds) {
    j["skipped"] = "fewer than 3 rows in a table";
    return j;
  }
  // Feature columns, column-major while being built: x[f][row], real rows first.
  std::vector<std::vector<double>> x;
  size_t unknown = 0;
  for (const EvalColumn& c : cols) {
    const Column& a = real.columns[c.index];
    const Column& b = other.columns[c.index];
    auto value_of = [](const Column& col, size_t r, bool* present) -> double {
      if (col.storage == Storage::kNumber) {
        *present = col.valid[r] != 0;
        return col.values[r];
      }
      *present = col.codes[r] >= 0;
      return *present ? std::strtod(col.dictionary[static_cast<size_t>(col.codes[r])].c_str(), nullptr) : 0.0;
    };
    bool numeric = a.storage == Storage::kNumber, boolean = false;
    if (!numeric) {
      bool all_num = true, all_bool = true, any = false;
      std::vector<uint8_t> used(a.dictionary.size(), 0);
      for (int32_t code : a.codes)
        if (code >= 0) used[static_cast<size_t>(code)] = 1;
      for (size_t d = 0; d < a.dictionary.size(); ++d) {
        if (!used[d]) continue;
        any = true;
        all_num = all_num && parses_as_number(a.dictionary[d]);
        all_bool = all_bool && is_bool_text(a.dictionary[d]);
      }
      numeric = any && all_num;
      boolean = any && all_bool;
    }
    if (numeric) {
      std::vector<double> f(n);
      double sum = 0;
      size_t cnt = 0;
      for (size_t r = 0; r < nr; ++r) {
        bool ok;
        const double v = value_of(a, r, &ok);
        if (ok && std::isfinite(v)) sum += v, ++cnt;
      }
      const double mean = cnt ? sum / static_cast<double>(cnt) : NAN;  // all missing: stays NaN, imputed per fold
      for (size_t r = 0; r < n; ++r) {
        bool ok;
        const double v = r < nr ? value_of(a, r, &ok) : value_of(b, r - nr, &ok);
        f[r] = ok ? (std::isfinite(v) ? v : NAN) : mean;  // +-inf: NaN, as SDMetrics does
      }
      x.push_back(std::move(f));
    } else if (boolean) {
      size_t t = 0, fa = 0;
      for (int32_t code : a.codes)
        if (code >= 0) (a.dictionary[static_cast<size_t>(code)][0] == 'T' || a.dictionary[static_cast<size_t>(code)][0] == 't' ? t : fa)++;
      const double mode = t > fa ? 1.0 : 0.0;  // pandas' mode: the smaller value on a tie
      auto bval = [&](const Column& col, size_t r) {
        if (col.codes[r] < 0) return mode;
        const char ch = col.dictionary[static_cast<size_t>(col.codes[r])][0];
        if (ch == 'T' || ch == 't') return 1.0;
        if (ch == 'F' || ch == 'f') return 0.0;
        return mode;  // pandas.to_numeric(errors="coerce") then the fill
      };
      std::vector<double> f(n);
      for (size_t r = 0; r < n; ++r) f[r] = r < nr ? bval(a, r) : bval(b, r - nr);
      x.push_back(std::move(f));
    } else {
      // One-hot over the real levels (by text; missing a level of its own).
      std::map<std::string, size_t> level;
      bool missing_level = false;
      for (int32_t code : a.codes) {
        if (code < 0)
          missing_level = true;
        else
          level.emplace(a.dictionary[static_cast<size_t>(code)], 0);
      }
      size_t k = 0;
      for (auto& kv : level) kv.second = k++;
      const size_t width = k + (missing_level ? 1 : 0);
      const size_t first = x.size();
      x.resize(first + width, std::vector<double>(n, 0.0));
      for (size_t r = 0; r < n; ++r) {
        const Column& col = r < nr ? a : b;
        const int32_t code = col.codes[r < nr ? r : r - nr];
        if (code < 0) {
          if (missing_level) x[first + k][r] = 1;
          else ++unknown;
          continue;
        }
        const auto it = level.find(col.dictionary[static_cast<size_t>(code)]);
        if (it != level.end())
          x[first + it->second][r] = 1;
        else
          ++unknown;
      }
    }
  }
  const size_t p = x.size();
  std::vector<int> y(n, 0);
  std::fill(y.begin(), y.begin() + static_cast<long>(nr), 1);
  // Stratified folds: each class shuffled and dealt round robin.
  std::vector<size_t> fold(n);
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<size_t> idx;
    for (size_t r = 0; r < n; ++r)
      if (y[r] == cls) idx.push_back(r);
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.below(i)]);
    for (size_t i = 0; i < idx.size(); ++i) fold[idx[i]] = i % kFolds;
  }
  std::vector<double> aucs;
  for (size_t f = 0; f < kFolds; ++f) {
    std::vector<size_t> tr, te;
    for (size_t r = 0; r < n; ++r) (fold[r] == f ? te : tr).push_back(r);
    Matrix xtr, xte;
    xtr.rows = tr.size();
    xte.rows = te.size();
    xtr.cols = xte.cols = p;
    xtr.data.assign(tr.size() * p, 0.0f);
    xte.data.assign(te.size() * p, 0.0f);
    std::vector<double> col;
    for (size_t c = 0; c < p; ++c) {
      // Mean imputation (of what is still NaN), then (v - median) / IQR, both from the training rows.
      double sum = 0;
      size_t cnt = 0;
      col.clear();
      for (size_t r : tr)
        if (!std::isnan(x[c][r])) sum += x[c][r], ++cnt, col.push_back(x[c][r]);
      const double fill = cnt ? sum / static_cast<double>(cnt) : 0.0;
      for (size_t i = col.size(); i < tr.size(); ++i) col.push_back(fill);
      std::sort(col.begin(), col.end());
      const double med = percentile_sorted(col, 50);
      double scale = percentile_sorted(col, 75) - percentile_sorted(col, 25);
      if (scale == 0 || !std::isfinite(scale)) scale = 1;
      auto tf = [&](double v) { return static_cast<float>(((std::isnan(v) ? fill : v) - med) / scale); };
      for (size_t i = 0; i < tr.size(); ++i) xtr.data[i * p + c] = tf(x[c][tr[i]]);
      for (size_t i = 0; i < te.size(); ++i) xte.data[i * p + c] = tf(x[c][te[i]]);
    }
    std::vector<int> ytr, yte;
    for (size_t r : tr) ytr.push_back(y[r]);
    for (size_t r : te) yte.push_back(y[r]);
    LinearParams lp;
    lp.l2 = 1.0 / static_cast<double>(tr.size());  // C = 1 on the summed loss = 1/n on the mean loss
    lp.max_iterations = 100;
    const std::vector<double> prob = logistic_fit_predict(xtr, ytr, 2, xte, lp);
    std::vector<double> score(te.size());
    for (size_t i = 0; i < te.size(); ++i) score[i] = prob[2 * i + 1];
    aucs.push_back(roc_auc(score, yte));
  }
  double mean_part = 0;
  for (double a : aucs) mean_part += 2.0 * std::max(0.5, a) - 1.0;
  mean_part /= static_cast<double>(aucs.size());
  j["auc"] = std::accumulate(aucs.begin(), aucs.end(), 0.0) / static_cast<double>(aucs.size());
  j["auc_folds"] = aucs;
  j["score"] = 1.0 - mean_part;
  j["rows_real"] = nr;
  j["rows_other"] = no;
  j["features"] = p;
  j["unknown_levels"] = unknown;
  return j;
}

}  // namespace medgen::eval
