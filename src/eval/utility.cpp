// Utility: is the synthetic table good for the analysis it stands in for? The same models are
// trained on synthetic rows (TSTR) and on the real training rows (TRTR) and both are tested
// on the real holdout, which neither saw; TSTR / TRTR near 1 means nothing was lost.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "medgen/eval/metrics.h"
#include "medgen/eval/models.h"
#include "sections.h"

namespace medgen::eval {

namespace {

constexpr size_t kMaxTestRows = 50000;  // holdout rows scored (a sample beyond this)

constexpr size_t kMaxIntegerClasses = 10;  // a whole-number target with at most this many values is a class label

// What the models predict: a categorical target's bins, the values of a numeric target that
// takes few whole-number values (pbc's status 0/1/2 is a label, not a quantity), or a number.
struct Target {
  bool classify = false;
  std::vector<double> values;  // integer-valued classes, ascending (empty: the column's bins)
  int classes = 0;
  // Class of a row, −1 when the target is missing; a value no class has goes to the nearest.
  int of(const Column& col, const EvalColumn& c, size_t r) const {
    if (col.is_missing(r)) return -1;
    if (values.empty()) {
      const int32_t code = col.codes[r];
      return static_cast<size_t>(code) < c.level_bin.size() ? c.level_bin[static_cast<size_t>(code)] : -1;
    }
    const auto it = std::lower_bound(values.begin(), values.end(), col.values[r]);
    if (it == values.end()) return classes - 1;
    if (it != values.begin() && col.values[r] - *(it - 1) < *it - col.values[r])
      return static_cast<int>(it - values.begin()) - 1;
    return static_cast<int>(it - values.begin());
  }
};

Target describe_target(const Table& real, const EvalColumn& c) {
  Target t;
  if (c.kind == Kind::kCategorical) {
    t.classify = true;
    t.classes = static_cast<int>(c.bins);
    return t;
  }
  const Column& col = real.columns[c.index];
  std::vector<double> v;
  for (size_t r = 0; r < col.values.size(); ++r) {
    if (!col.valid[r]) continue;
    if (col.values[r] != std::floor(col.values[r])) return t;
    if (std::find(v.begin(), v.end(), col.values[r]) == v.end()) {
      v.push_back(col.values[r]);
      if (v.size() > kMaxIntegerClasses) return t;
    }
  }
  if (v.size() < 2) return t;
  std::sort(v.begin(), v.end());
  t.classify = true;
  t.values = v;
  t.classes = static_cast<int>(v.size());
  return t;
}

struct Labelled {
  Matrix x;
  std::vector<int> cls;     // classification: class of the target
  std::vector<double> val;  // regression: the target value
};

// Rows of t with a present target (sampled to at most `limit`), as features and labels.
Labelled labelled(const Table& t, const std::vector<EvalColumn>& cols, size_t target, const Target& spec, size_t limit,
                  Rng& rng) {
  const EvalColumn& c = cols[target];
  const Column& col = t.columns[c.index];
  std::vector<size_t> rows;
  for (size_t r = 0; r < t.num_rows(); ++r)
    if ((spec.classify ? spec.of(col, c, r) : (col.is_missing(r) ? -1 : 0)) >= 0) rows.push_back(r);
  if (rows.size() > limit) {
    const std::vector<size_t> pick = sample_indices(rows.size(), limit, rng);
    std::vector<size_t> kept;
    for (size_t i : pick) kept.push_back(rows[i]);
    std::sort(kept.begin(), kept.end());
    rows.swap(kept);
  }
  Labelled l;
  l.x = feature_matrix(t, cols, rows, static_cast<int>(target));
  for (size_t r : rows) {
    if (spec.classify)
      l.cls.push_back(spec.of(col, c, r));
    else
      l.val.push_back(col.values[r]);
  }
  return l;
}

ojson classification_scores(const std::vector<double>& p, const std::vector<int>& y, int classes) {
  const size_t n = y.size(), k = static_cast<size_t>(classes);
  size_t correct = 0;
  std::vector<double> tp(k, 0), fp(k, 0), fn(k, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t pred = static_cast<size_t>(
        std::max_element(p.begin() + static_cast<long>(i * k), p.begin() + static_cast<long>((i + 1) * k)) -
        (p.begin() + static_cast<long>(i * k)));
    const size_t truth = static_cast<size_t>(y[i]);
    if (pred == truth) {
      ++correct;
      tp[pred] += 1;
    } else {
      fp[pred] += 1;
      fn[truth] += 1;
    }
  }
  // Macro F1 over classes that occur in the test set or in the predictions; macro one-vs-rest
  // AUC over classes that occur in the test set (binary: the AUC of class 1).
  double f1 = 0, auc = 0;
  int f1_n = 0, auc_n = 0;
  for (size_t c = 0; c < k; ++c) {
    if (tp[c] + fp[c] + fn[c] > 0) {
      f1 += 2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]);
      ++f1_n;
    }
    if (classes == 2 && c == 0) continue;
    std::vector<double> s(n);
    std::vector<int> lab(n);
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
      s[i] = p[i * k + c];
      lab[i] = y[i] == static_cast<int>(c);
      pos += static_cast<size_t>(lab[i]);
    }
    if (pos == 0 || pos == n) continue;
    auc += roc_auc(s, lab);
    ++auc_n;
  }
  return {{"accuracy", n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0},
          {"f1_macro", f1_n ? f1 / f1_n : 0.0},
          {"auc", auc_n ? num(auc / auc_n) : ojson(nullptr)}};
}

ojson regression_scores(const std::vector<double>& pred, const std::vector<double>& y) {
  double mean = 0, sse = 0, sst = 0, mae = 0;
  for (double v : y) mean += v;
  mean /= std::max<double>(1, static_cast<double>(y.size()));
  for (size_t i = 0; i < y.size(); ++i) {
    sse += (pred[i] - y[i]) * (pred[i] - y[i]);
    sst += (y[i] - mean) * (y[i] - mean);
    mae += std::fabs(pred[i] - y[i]);
  }
  return {{"r2", sst > 0 ? num(1 - sse / sst) : ojson(nullptr)},
          {"mae", y.empty() ? 0.0 : mae / static_cast<double>(y.size())}};
}

double ratio(const ojson& a, const ojson& b) {
  if (!a.is_number() || !b.is_number() || b.get<double>() <= 0) return NAN;
  return a.get<double>() / b.get<double>();
}

}  // namespace

ojson utility_section(const Table& real, const Table& synthetic, const Table& holdout,
                      const std::vector<EvalColumn>& cols, size_t target, const EvalOptions& options,
                      const Context& ctx, Rng rng) {
  const EvalColumn& c = cols[target];
  const Target spec = describe_target(real, c);
  const bool classify = spec.classify;
  ojson out{{"target", c.name}, {"task", classify ? "classification" : "regression"}};
  if (classify) out["classes"] = spec.classes;
  if (!spec.values.empty()) out["note"] = "a numeric target with few whole-number values is treated as a class label";
  const Labelled test = labelled(holdout, cols, target, spec, kMaxTestRows, rng);
  const Labelled trtr = labelled(real, cols, target, spec, options.utility_rows, rng);
  const Labelled tstr = labelled(synthetic, cols, target, spec, options.utility_rows, rng);
  out["rows"] = {{"train_real", trtr.x.rows}, {"train_synthetic", tstr.x.rows}, {"test_holdout", test.x.rows}};
  const int classes = spec.classes;
  if (test.x.rows == 0 || trtr.x.rows == 0 || tstr.x.rows == 0 || (classify && classes < 2)) {
    out["skipped"] = classify && classes < 2 ? "the target has fewer than two levels"
                                             : "a table has no rows with the target present";
    return out;
  }
  const char* primary = classify ? "auc" : "r2";
  out["primary_metric"] = primary;
  ojson models = ojson::array();
  double best_tstr = -INFINITY, best_trtr = -INFINITY;
  for (int m = 0; m < 2; ++m) {
    BoostParams bp;
    bp.rounds = options.boost_rounds;
    bp.max_depth = options.boost_depth;
    bp.threads = ctx.threads;
    bp.seed = ctx.seed;
    ojson res[2];
    const auto t0 = std::chrono::steady_clock::now();
    for (int side = 0; side < 2; ++side) {
      const Labelled& tr = side == 0 ? tstr : trtr;
      if (classify)
        res[side] = classification_scores(m == 0 ? logistic_fit_predict(tr.x, tr.cls, classes, test.x)
                                                 : boost_classify(tr.x, tr.cls, classes, test.x, bp),
                                          test.cls, classes);
      else
        res[side] = regression_scores(
            m == 0 ? linear_fit_predict(tr.x, tr.val, test.x) : boost_regress(tr.x, tr.val, test.x, bp), test.val);
    }
    ojson r{{"model", m == 0 ? (classify ? "logistic_regression" : "linear_regression") : "xgboost"},
            {"tstr", res[0]},
            {"trtr", res[1]},
            {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
    ojson ratios;
    for (auto it = res[0].begin(); it != res[0].end(); ++it) {
      if (it.key() == "mae") continue;  // lower is better: a ratio would read backwards
      ratios[it.key()] = num(ratio(*it, res[1][it.key()]));
    }
    r["ratio"] = ratios;
    if (res[0][primary].is_number()) best_tstr = std::max(best_tstr, res[0][primary].get<double>());
    if (res[1][primary].is_number()) best_trtr = std::max(best_trtr, res[1][primary].get<double>());
    models.push_back(std::move(r));
  }
  out["models"] = models;
  out["best_tstr"] = num(best_tstr);
  out["best_trtr"] = num(best_trtr);
  // The headline: the best model trained on synthetic rows against the best trained on real.
  out["ratio"] = best_trtr > 0 ? num(best_tstr / best_trtr) : ojson(nullptr);
  return out;
}

}  // namespace medgen::eval
