// Fidelity: how closely the compared table follows the real one, column by column, pair by
// pair, and as a whole (can a classifier tell them apart?). The definitions are the ones
// SDMetrics popularised (KSComplement, TVComplement, CorrelationSimilarity,
// ContingencySimilarity, LogisticDetection), so scores compare with other tools.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_map>

#include "medgen/core/error.h"
#include "medgen/eval/metrics.h"
#include "medgen/eval/models.h"
#include "sections.h"

namespace medgen::eval {

std::vector<size_t> sample_indices(size_t n, size_t k, Rng& rng) {
  std::vector<size_t> idx = all_rows(n);
  k = std::min(k, n);
  // Partial Fisher–Yates: the first k positions are a uniform sample without replacement.
  for (size_t i = 0; i < k; ++i) std::swap(idx[i], idx[i + rng.below(n - i)]);
  idx.resize(k);
  return idx;
}

namespace {

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return NAN;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

std::vector<double> present_values(const Column& col) {
  std::vector<double> v;
  v.reserve(col.values.size());
  for (size_t r = 0; r < col.values.size(); ++r)
    if (col.valid[r]) v.push_back(col.values[r]);
  return v;
}

std::vector<double> level_counts(const Column& col, size_t levels) {
  std::vector<double> c(levels, 0.0);
  for (int32_t code : col.codes)
    if (code >= 0 && static_cast<size_t>(code) < levels) c[static_cast<size_t>(code)] += 1;
  return c;
}

// Values for the correlation of numeric pairs: standardised (Pearson) or mid-ranks among the
// column's present values (Spearman), NaN where missing.
std::vector<double> corr_values(const Column& col, const EvalColumn& c, bool spearman) {
  std::vector<double> out(col.values.size(), NAN);
  if (!spearman) {
    for (size_t r = 0; r < col.values.size(); ++r)
      if (col.valid[r]) out[r] = (col.values[r] - c.mean) / c.sd;
    return out;
  }
  std::vector<double> v;
  std::vector<size_t> where;
  for (size_t r = 0; r < col.values.size(); ++r)
    if (col.valid[r]) {
      v.push_back(col.values[r]);
      where.push_back(r);
    }
  const std::vector<double> ranks = mid_ranks(v);
  for (size_t i = 0; i < where.size(); ++i) out[where[i]] = ranks[i];
  return out;
}

// Pearson correlation over the rows where both are present (one pass on pre-centred values).
double pairwise_corr(const std::vector<double>& x, const std::vector<double>& y) {
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (size_t r = 0; r < x.size(); ++r) {
    const double a = x[r], b = y[r];
    if (std::isnan(a) || std::isnan(b)) continue;
    n += 1;
    sx += a;
    sy += b;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
  }
  if (n < 2) return 0.0;
  const double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
  if (vx <= 1e-12 * n || vy <= 1e-12 * n) return 0.0;
  return std::clamp((sxy - sx * sy / n) / std::sqrt(vx * vy), -1.0, 1.0);
}

std::vector<double> contingency(const std::vector<int32_t>& a, const std::vector<int32_t>& b, size_t na, size_t nb) {
  std::vector<double> t(na * nb, 0.0);
  for (size_t r = 0; r < a.size(); ++r)
    if (a[r] >= 0 && b[r] >= 0) t[static_cast<size_t>(a[r]) * nb + static_cast<size_t>(b[r])] += 1;
  return t;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

// Per-column histogram for the report: 20 equal-width bins over the real range (values
// outside fall in the end bins), or the categorical bins; shares of present values.
ojson column_chart(const Table& real, const Table& other, const EvalColumn& c) {
  ojson j;
  j["name"] = c.name;
  j["kind"] = c.kind == Kind::kNumeric ? (c.datetime ? "datetime" : "numeric") : "categorical";
  std::vector<double> hr, ho;
  std::vector<std::string> labels;
  if (c.kind == Kind::kNumeric) {
    constexpr size_t kBins = 20;
    hr.assign(kBins, 0);
    ho.assign(kBins, 0);
    const double w = c.range() / kBins;
    auto fill = [&](const Column& col, std::vector<double>& h) {
      for (size_t r = 0; r < col.values.size(); ++r) {
        if (!col.valid[r]) continue;
        const double pos = std::floor((col.values[r] - c.min) / w);
        h[static_cast<size_t>(std::clamp(pos, 0.0, static_cast<double>(kBins - 1)))] += 1;
      }
    };
    fill(real.columns[c.index], hr);
    fill(other.columns[c.index], ho);
    for (size_t b = 0; b < kBins; ++b) {
      const double x = c.min + w * static_cast<double>(b);
      labels.push_back(c.datetime ? format_datetime(x, "%Y-%m-%d") : fmt(x));
    }
  } else {
    hr.assign(c.bins, 0);
    ho.assign(c.bins, 0);
    for (int32_t b : bin_codes(real, c))
      if (b >= 0) hr[static_cast<size_t>(b)] += 1;
    for (int32_t b : bin_codes(other, c))
      if (b >= 0) ho[static_cast<size_t>(b)] += 1;
    labels = c.bin_labels;
  }
  auto shares = [](std::vector<double> h) {
    double t = 0;
    for (double v : h) t += v;
    if (t > 0)
      for (double& v : h) v /= t;
    return h;
  };
  j["labels"] = labels;
  j["real"] = shares(hr);
  j["synthetic"] = shares(ho);
  return j;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Stratified k-fold detection: real rows labelled 0, other rows 1, equal numbers of each.
// stats: the splits of XGBoost's fold models (for the hints), summed over the folds.
ojson detection(const Table& real, const Table& other, const std::vector<EvalColumn>& cols, const EvalOptions& options,
                const Context& ctx, Rng& rng, SplitStats* stats) {
  ojson j;
  const size_t per_side = std::min({options.detection_rows, real.num_rows(), other.num_rows()});
  const size_t folds = static_cast<size_t>(options.folds);
  if (per_side < 2 * folds) {
    j["skipped"] = "fewer than " + std::to_string(2 * folds) + " rows per side";
    return j;
  }
  const std::vector<size_t> ri = sample_indices(real.num_rows(), per_side, rng);
  const std::vector<size_t> oi = sample_indices(other.num_rows(), per_side, rng);
  const Matrix xr = feature_matrix(real, cols, ri), xo = feature_matrix(other, cols, oi);
  Matrix x;
  x.rows = 2 * per_side;
  x.cols = xr.cols;
  x.data = xr.data;
  x.data.insert(x.data.end(), xo.data.begin(), xo.data.end());
  std::vector<int> y(x.rows, 0);
  std::fill(y.begin() + static_cast<long>(per_side), y.end(), 1);
  // Stratified folds (round robin within each class: both halves are in random order), except
  // that identical rows (a synthetic copy of a real row, a discrete table's common rows) share
  // the fold of their first occurrence. Split across folds, a memorising model would learn the
  // twin's opposite label and score below chance (XGBoost: AUC 0.35 on a table against itself).
  std::vector<size_t> fold(x.rows);
  std::unordered_map<uint64_t, size_t> seen;
  size_t next[2] = {0, 0};
  for (size_t i = 0; i < x.rows; ++i) {
    uint64_t h = 0xCBF29CE484222325ULL;
    const float* row = x.row(i);
    for (size_t c = 0; c < x.cols; ++c) {
      uint32_t bits;
      std::memcpy(&bits, &row[c], sizeof bits);
      h = (h ^ bits) * 0x100000001B3ULL;
      h ^= h >> 29;
    }
    const auto it = seen.find(h);
    if (it != seen.end()) {
      fold[i] = it->second;
    } else {
      fold[i] = next[y[i]]++ % folds;
      seen.emplace(h, fold[i]);
    }
  }
  j["rows_per_side"] = per_side;
  j["folds"] = folds;
  j["features"] = x.cols;
  ojson models = ojson::array();
  double worst_score = 1.0;
  for (int m = 0; m < 2; ++m) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<double> aucs;
    for (size_t f = 0; f < folds; ++f) {
      std::vector<size_t> tr, te;
      for (size_t i = 0; i < x.rows; ++i) (fold[i] == f ? te : tr).push_back(i);
      const Matrix xtr = take_rows(x, tr), xte = take_rows(x, te);
      std::vector<int> ytr, yte;
      for (size_t i : tr) ytr.push_back(y[i]);
      for (size_t i : te) yte.push_back(y[i]);
      BoostParams bp;
      bp.rounds = options.boost_rounds;
      bp.max_depth = options.boost_depth;
      bp.threads = ctx.threads;
      bp.seed = ctx.seed + f;
      const std::vector<double> p =
          m == 0 ? logistic_fit_predict(xtr, ytr, 2, xte) : boost_classify(xtr, ytr, 2, xte, bp, stats);
      std::vector<double> score(te.size());
      for (size_t i = 0; i < te.size(); ++i) score[i] = p[2 * i + 1];
      aucs.push_back(roc_auc(score, yte));
    }
    const double auc = mean_of(aucs);
    const double s = 1.0 - (2.0 * std::max(auc, 0.5) - 1.0);
    worst_score = std::min(worst_score, s);
    models.push_back({{"model", m == 0 ? "logistic_regression" : "xgboost"},
                      {"auc", auc},
                      {"auc_folds", aucs},
                      {"auc_standard_error", auc_standard_error(auc, per_side, per_side)},
                      {"score", s},
                      {"seconds", seconds_since(t0)}});
  }
  j["models"] = models;
  j["score"] = worst_score;
  j["auc"] = models[1]["auc"];  // the boosted trees': the headline detection AUC
  return j;
}

// The column that owns each model feature. feature_matrix lays the features out column by
// column; each column's width is what leaving it out removes.
std::vector<size_t> feature_owner(const Table& t, const std::vector<EvalColumn>& cols) {
  const size_t all = feature_matrix(t, cols, {}).cols;
  std::vector<size_t> owner;
  owner.reserve(all);
  for (size_t i = 0; i < cols.size(); ++i)
    owner.insert(owner.end(), all - feature_matrix(t, cols, {}, static_cast<int>(i)).cols, i);
  MEDGEN_ASSERT(owner.size() == all);
  return owner;
}

// Label of a contingency bin (bin_codes; cols.bins for "missing").
std::string bin_label(const EvalColumn& c, size_t b) {
  if (b >= c.bins) return "(missing)";
  if (c.kind == Kind::kCategorical) return b < c.bin_labels.size() ? c.bin_labels[b] : "?";
  auto v = [&](double x) { return c.datetime ? format_datetime(x, "%Y-%m-%d") : fmt(x); };
  if (c.cuts.empty()) return "any value";
  if (b == 0) return "< " + v(c.cuts[0]);
  if (b == c.cuts.size()) return ">= " + v(c.cuts.back());
  return "[" + v(c.cuts[b - 1]) + ", " + v(c.cuts[b]) + ")";
}

// Shares of the bins 0..bins−1 and "missing" (the last slot) over all rows.
std::vector<double> bin_shares(const std::vector<int32_t>& codes, size_t bins) {
  std::vector<double> h(bins + 1, 0.0);
  for (int32_t b : codes) h[b < 0 ? bins : static_cast<size_t>(b)] += 1;
  for (double& x : h) x /= std::max<double>(1.0, static_cast<double>(codes.size()));
  return h;
}

// The cell whose share differs most (first of the largest), as {real_share, synthetic_share, ratio}.
ojson region(const std::vector<double>& p, const std::vector<double>& q, size_t* cell) {
  size_t best = 0;
  for (size_t k = 1; k < p.size(); ++k)
    if (std::fabs(q[k] - p[k]) > std::fabs(q[best] - p[best])) best = k;
  *cell = best;
  return {{"real_share", p[best]},
          {"synthetic_share", q[best]},
          {"ratio", p[best] > 0 ? ojson(q[best] / p[best]) : ojson(nullptr)}};
}

// What gives the compared rows away: the detector's gain per column and per nested pair of
// columns, and for each the region (bin, or cell of the pair's contingency table, missing
// values a bin of their own) where the two tables' shares differ most.
ojson detection_hints(const Table& real, const std::vector<EvalColumn>& cols, const SplitStats& stats,
                      const std::vector<std::vector<int32_t>>& bins_a, const std::vector<std::vector<int32_t>>& bins_b,
                      const std::vector<double>& shape_scores, const std::vector<double>& pair_matrix) {
  constexpr size_t kPairs = 5;
  const size_t m = cols.size();
  const std::vector<size_t> owner = feature_owner(real, cols);
  if (stats.gain.size() != owner.size()) return ojson();
  std::vector<double> gain(m, 0.0), splits(m, 0.0);
  double total = 0;
  for (size_t f = 0; f < owner.size(); ++f) {
    gain[owner[f]] += stats.gain[f];
    splits[owner[f]] += stats.splits[f];
    total += stats.gain[f];
  }
  std::map<std::pair<size_t, size_t>, double> pair_gain;
  for (const SplitStats::Nested& n : stats.nested) {
    size_t a = owner[static_cast<size_t>(n.parent)], b = owner[static_cast<size_t>(n.child)];
    if (a == b) continue;  // two features of one column (its levels, its missing indicator)
    if (a > b) std::swap(a, b);
    pair_gain[{a, b}] += n.gain;
  }
  const double denom = total > 0 ? total : 1.0;
  std::vector<size_t> order = all_rows(m);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gain[a] > gain[b]; });
  std::vector<std::vector<double>> pa(m), pb(m);
  for (size_t i = 0; i < m; ++i) {
    pa[i] = bin_shares(bins_a[i], cols[i].bins);
    pb[i] = bin_shares(bins_b[i], cols[i].bins);
  }
  ojson cj = ojson::array();
  for (size_t i : order) {
    size_t cell = 0;
    const ojson shares = region(pa[i], pb[i], &cell);
    ojson r{{"bin", bin_label(cols[i], cell)}};
    r.update(shares);
    cj.push_back({{"name", cols[i].name},
                  {"importance", gain[i] / denom},
                  {"gain", gain[i]},
                  {"splits", splits[i]},
                  {"shape_score", num(shape_scores[i])},
                  {"region", r}});
  }
  std::vector<std::pair<double, std::pair<size_t, size_t>>> pairs;
  for (const auto& [k, g] : pair_gain) pairs.push_back({g, k});
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  ojson pj = ojson::array();
  for (size_t t = 0; t < pairs.size() && t < kPairs; ++t) {
    const auto [a, b] = pairs[t].second;
    const size_t na = cols[a].bins + 1, nb = cols[b].bins + 1;
    std::vector<double> ta(na * nb, 0.0), tb(na * nb, 0.0);
    auto fill = [&](const std::vector<int32_t>& x, const std::vector<int32_t>& y, std::vector<double>& tab) {
      for (size_t r = 0; r < x.size(); ++r)
        tab[(x[r] < 0 ? cols[a].bins : static_cast<size_t>(x[r])) * nb +
            (y[r] < 0 ? cols[b].bins : static_cast<size_t>(y[r]))] += 1;
      for (double& v : tab) v /= std::max<double>(1.0, static_cast<double>(x.size()));
    };
    fill(bins_a[a], bins_a[b], ta);
    fill(bins_b[a], bins_b[b], tb);
    size_t cell = 0;
    const ojson shares = region(ta, tb, &cell);
    ojson r{{"a", bin_label(cols[a], cell / nb)}, {"b", bin_label(cols[b], cell % nb)}};
    r.update(shares);
    pj.push_back({{"a", cols[a].name},
                  {"b", cols[b].name},
                  {"importance", pairs[t].first / denom},
                  {"pair_score", pair_matrix[a * m + b]},
                  {"region", r}});
  }
  return {{"method",
           "importance: share of the XGBoost detector's total split gain (summed over its cross-validation fits) "
           "on the column's features; pairs: gain of splits on one column directly below a split on the other; "
           "region: the bin (real deciles, category levels, missing) or pair cell whose share differs most"},
          {"columns", cj},
          {"pairs", pj}};
}

}  // namespace

ojson fidelity_section(const Table& real, const Table& other, const std::vector<EvalColumn>& cols,
                       const EvalOptions& options, const Context& ctx, Rng rng, bool charts) {
  ojson out;
  const auto t0 = std::chrono::steady_clock::now();
  // Column shapes.
  ojson shape_cols = ojson::array();
  std::vector<double> shape_scores;
  double max_missing_diff = 0;
  for (const EvalColumn& c : cols) {
    const Column& a = real.columns[c.index];
    const Column& b = other.columns[c.index];
    double stat;
    const char* metric;
    if (c.kind == Kind::kNumeric) {
      stat = ks_statistic(present_values(a), present_values(b));
      metric = "ks";
    } else {
      const size_t levels = std::max(a.dictionary.size(), b.dictionary.size());
      stat = total_variation(level_counts(a, levels), level_counts(b, levels));
      metric = "tvd";
    }
    const double ma = a.size() ? static_cast<double>(a.count_missing()) / static_cast<double>(a.size()) : 0;
    const double mb = b.size() ? static_cast<double>(b.count_missing()) / static_cast<double>(b.size()) : 0;
    max_missing_diff = std::max(max_missing_diff, std::fabs(ma - mb));
    shape_scores.push_back(1.0 - stat);
    shape_cols.push_back({{"name", c.name},
                          {"kind", c.kind == Kind::kNumeric ? (c.datetime ? "datetime" : "numeric") : "categorical"},
                          {"metric", metric},
                          {"statistic", stat},
                          {"score", 1.0 - stat},
                          {"missing_real", ma},
                          {"missing_synthetic", mb},
                          {"missing_difference", std::fabs(ma - mb)}});
  }
  const double shapes = mean_of(shape_scores);
  out["column_shapes"] = {
      {"score", num(shapes)}, {"max_missing_difference", max_missing_diff}, {"columns", shape_cols}};

  // Pair trends.
  const size_t m = cols.size();
  std::vector<std::vector<int32_t>> bins_a(m), bins_b(m);
  std::vector<std::vector<double>> val_a(m), val_b(m);
  for (size_t i = 0; i < m; ++i) {
    bins_a[i] = bin_codes(real, cols[i]);
    bins_b[i] = bin_codes(other, cols[i]);
    if (cols[i].kind == Kind::kNumeric) {
      val_a[i] = corr_values(real.columns[cols[i].index], cols[i], options.spearman);
      val_b[i] = corr_values(other.columns[cols[i].index], cols[i], options.spearman);
    }
  }
  ojson pairs = ojson::array();
  std::vector<double> matrix(m * m, 1.0), pair_scores;
  for (size_t i = 0; i < m; ++i)
    for (size_t k = i + 1; k < m; ++k) {
      ojson p{{"a", cols[i].name}, {"b", cols[k].name}};
      double score;
      if (cols[i].kind == Kind::kNumeric && cols[k].kind == Kind::kNumeric) {
        const double ra = pairwise_corr(val_a[i], val_a[k]), rb = pairwise_corr(val_b[i], val_b[k]);
        score = 1.0 - std::fabs(ra - rb) / 2.0;
        p["metric"] = options.spearman ? "spearman" : "pearson";
        p["real"] = ra;
        p["synthetic"] = rb;
      } else {
        const double tvd = total_variation(contingency(bins_a[i], bins_a[k], cols[i].bins, cols[k].bins),
                                           contingency(bins_b[i], bins_b[k], cols[i].bins, cols[k].bins));
        score = 1.0 - tvd;
        p["metric"] = "contingency";
        p["tvd"] = tvd;
      }
      p["score"] = score;
      matrix[i * m + k] = matrix[k * m + i] = score;
      pair_scores.push_back(score);
      pairs.push_back(std::move(p));
    }
  const double trends = pair_scores.empty() ? NAN : mean_of(pair_scores);
  out["pair_trends"] = {
      {"score", num(trends)}, {"numeric_pairs", options.spearman ? "spearman" : "pearson"}, {"pairs", pairs}};
  // Quality: the mean of the two property scores (one column: shapes alone). Both definitions
  // are computed; options.sdmetrics makes SDMetrics' the headline (docs/evaluation.md).
  const double quality_medgen = std::isnan(trends) ? shapes : 0.5 * (shapes + trends);
  ojson sdm = sdmetrics_pair_trends(real, other, cols, options.spearman);
  const double sdm_trends = sdm["score"].is_number() ? sdm["score"].get<double>() : NAN;
  const double quality_sdm = std::isnan(sdm_trends) ? shapes : 0.5 * (shapes + sdm_trends);
  out["sdmetrics"] = {{"definition", "SDMetrics 0.29 QualityReport"},
                      {"column_shapes", num(shapes)},
                      {"pair_trends", std::move(sdm)},
                      {"quality", num(quality_sdm)}};
  out["quality_definition"] = options.sdmetrics ? "sdmetrics" : "medgen";
  out["quality"] = num(options.sdmetrics ? quality_sdm : quality_medgen);
  out["quality_alternative"] = num(options.sdmetrics ? quality_medgen : quality_sdm);
  out["shapes_trends_seconds"] = seconds_since(t0);

  if (options.detection) {
    SplitStats stats;
    out["detection"] = detection(real, other, cols, options, ctx, rng, charts ? &stats : nullptr);
    // SDMetrics' LogisticDetection beside it when scores are to compare with SDMetrics'.
    if (options.sdmetrics) out["detection"]["sdmetrics_logistic"] = sdmetrics_logistic_detection(real, other, cols, rng);
    if (charts && out["detection"].contains("models")) {
      ojson hints = detection_hints(real, cols, stats, bins_a, bins_b, shape_scores, matrix);
      if (!hints.is_null()) out["detection"]["hints"] = std::move(hints);
    }
  }
  if (charts) {
    ojson cj = ojson::array();
    for (size_t i = 0; i < cols.size() && i < options.chart_columns; ++i)
      cj.push_back(column_chart(real, other, cols[i]));
    std::vector<std::string> names;
    for (const EvalColumn& c : cols) names.push_back(c.name);
    ojson mat = ojson::array();
    for (size_t i = 0; i < m; ++i)
      mat.push_back(std::vector<double>(matrix.begin() + static_cast<long>(i * m),
                                        matrix.begin() + static_cast<long>((i + 1) * m)));
    out["charts"] = {{"columns", cj}, {"pair_matrix", {{"names", names}, {"scores", mat}}}};
  }
  return out;
}

}  // namespace medgen::eval
