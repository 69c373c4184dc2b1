#include "medgen/predict/evaluate.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/ranks.h"
#include "medgen/core/rng.h"
#include "medgen/core/version.h"
#include "medgen/predict/audit.h"
#include "medgen/predict/metrics.h"

namespace medgen::predict {

using json = nlohmann::json;

std::vector<int> stratified_folds(const std::vector<int>& label, int k, uint64_t seed) {
  Rng rng(seed);
  std::vector<int> fold(label.size(), 0);
  for (int cls = 0; cls <= 1; ++cls) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < label.size(); ++i)
      if ((label[i] != 0) == (cls == 1)) idx.push_back(i);
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng.next() % i]);
    for (size_t i = 0; i < idx.size(); ++i) fold[idx[i]] = static_cast<int>((i + cls) % k);
  }
  return fold;
}

namespace {

std::vector<int> labels_of(const Dataset& d) {
  std::vector<int> l(d.n);
  for (size_t i = 0; i < d.n; ++i) l[i] = d.task == Task::kBinary ? d.y[i] != 0 : d.event[i] != 0;
  return l;
}

// Discrimination of margins on d: AUROC (binary) or Harrell's c (survival).
double discrimination(const Dataset& d, const std::vector<double>& m, const std::vector<size_t>* idx = nullptr) {
  std::vector<double> s, t;
  std::vector<int> l;
  const size_t n = idx ? idx->size() : d.n;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = idx ? (*idx)[k] : k;
    s.push_back(m[i]);
    if (d.task == Task::kBinary) l.push_back(d.y[i] != 0);
    else t.push_back(d.time[i]), l.push_back(d.event[i]);
  }
  return d.task == Task::kBinary ? roc_auc(s, l) : harrell_c(s, t, l);
}

struct Candidate {
  double l2 = 0;
  BoostParams boost;
  NeuralParams neural;
  json to_json(ModelKind kind) const {
    if (kind == ModelKind::kBoosted) return json{{"max_depth", boost.max_depth}, {"rounds", boost.rounds}};
    if (kind == ModelKind::kNeural) return json{{"weight_decay", neural.weight_decay}};
    return json{{"l2", l2}};
  }
};

std::vector<Candidate> grid(ModelKind kind, const FitOptions& o) {
  std::vector<Candidate> g;
  if (!o.tune) {
    g.push_back(Candidate{o.l2, o.boost, o.neural});
    return g;
  }
  if (kind == ModelKind::kNeural) {
    for (double wd : {1e-4, 1e-3, 1e-2}) {
      Candidate c{0, o.boost, o.neural};
      c.neural.weight_decay = wd;
      g.push_back(c);
    }
  } else if (kind == ModelKind::kBoosted) {
    for (int depth : {2, 3, 4})
      for (int rounds : {100, 300}) {
        Candidate c{0, o.boost, o.neural};
        c.boost.max_depth = depth;
        c.boost.rounds = rounds;
        g.push_back(c);
      }
  } else {
    for (double l2 : {0.0, 1.0, 4.0, 16.0, 64.0}) g.push_back(Candidate{l2, o.boost, o.neural});
  }
  return g;
}

// The candidate with the best inner-CV discrimination on d (3 folds).
Candidate tune(const Dataset& d, const Design& design, const OutcomeSpec& o, ModelKind kind, const FitOptions& opt,
               uint64_t seed, int threads) {
  const std::vector<Candidate> g = grid(kind, opt);
  if (g.size() == 1) return g[0];
  const std::vector<int> fold = stratified_folds(labels_of(d), 3, seed ^ 0x5bd1e995);
  double best = -1;
  Candidate pick = g[0];
  for (const Candidate& c : g) {
    double sum = 0;
    int used = 0;
    for (int f = 0; f < 3; ++f) {
      std::vector<size_t> tr, te;
      for (size_t i = 0; i < d.n; ++i) (fold[i] == f ? te : tr).push_back(i);
      const Dataset dtr = d.take(tr), dte = d.take(te);
      try {
        const Model m = fit_on(dtr, design, o, kind, c.l2, c.boost, seed, threads, c.neural);
        const double v = discrimination(dte, m.margin(dte.x, dte.n));
        if (std::isfinite(v)) sum += v, ++used;
      } catch (const InvalidInput&) {
      }
    }
    if (used && sum / used > best) best = sum / used, pick = c;
  }
  return pick;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = mid_ranks(a), rb = mid_ranks(b);
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += ra[i], mb += rb[i];
  ma /= a.size();
  mb /= a.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 1.0;
}

// Mean |contribution| per term.
std::vector<double> mean_abs(const std::vector<double>& contrib, size_t n, size_t p) {
  std::vector<double> m(p, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < p; ++j) m[j] += std::abs(contrib[i * (p + 1) + j]);
  for (double& v : m) v /= std::max<size_t>(n, 1);
  return m;
}

// Partial dependence over a source column: mean risk with the column set to each grid value.
json partial_dependence(const Model& model, const Table& table, const std::vector<size_t>& rows,
                        const std::string& column) {
  Table t = table.take(rows);
  const int ci = t.find(column);
  Column& c = t.columns[ci];
  std::vector<std::string> labels;
  std::vector<double> grid_values;
  if (c.storage == Storage::kNumber) {
    std::vector<double> v;
    for (size_t i = 0; i < c.size(); ++i)
      if (c.valid[i]) v.push_back(c.values[i]);
    if (v.empty()) return json();
    std::sort(v.begin(), v.end());
    for (int q = 0; q <= 10; ++q) {
      const double val = v[std::min(v.size() - 1, static_cast<size_t>((0.05 + 0.09 * q) * (v.size() - 1)))];
      if (grid_values.empty() || val != grid_values.back()) grid_values.push_back(val);
    }
  } else {
    for (size_t k = 0; k < c.dictionary.size(); ++k) grid_values.push_back(k), labels.push_back(c.dictionary[k]);
  }
  json out{{"column", column}, {"x", json::array()}, {"risk", json::array()}};
  const Column saved = c;
  for (size_t g = 0; g < grid_values.size(); ++g) {
    for (size_t i = 0; i < c.size(); ++i) {
      if (c.storage == Storage::kNumber) c.values[i] = grid_values[g], c.valid[i] = 1;
      else c.codes[i] = static_cast<int32_t>(grid_values[g]);
    }
    const std::vector<double> x = model.design.matrix(t);
    std::vector<double> r = model.risk_from_margin(model.margin(x, t.num_rows()));
    double s = 0;
    size_t k = 0;
    for (double v : r)
      if (std::isfinite(v)) s += v, ++k;
    if (labels.empty()) out["x"].push_back(grid_values[g]);
    else out["x"].push_back(labels[g]);
    out["risk"].push_back(k ? s / k : 0.0);
  }
  return out;
}

json interval_or_null(const Interval& v) { return std::isfinite(v.value) ? v.to_json() : json(); }

}  // namespace

TrainResult train_and_evaluate(const TrainInput& in, const Context& ctx) {
  const FitOptions& opt = in.options;
  opt.validate();
  const Table& table = *in.table;
  const ModelKind kind = model_kind_from_string(opt.model);
  OutcomeSpec outcome = in.outcome;
  TrainResult res;
  const std::string chosen = resolve_labels(table, &outcome);
  if (!chosen.empty()) res.warnings.push_back(chosen);
  std::vector<std::string> exclude = {outcome.outcome, outcome.time, outcome.event};
  // A column named like an identifier is never a feature by default.
  for (const auto& c : in.schema->columns) {
    std::string l = c.name;
    for (char& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (l == "id" || l == "patient" || l == "patient_id" || l == "subject" || l == "rownames" || l == "")
      if (opt.features.empty()) exclude.push_back(c.name);
  }
  Design design = Design::parse(opt.features, table, *in.schema, exclude);
  design.missing = opt.missing.empty() ? (kind == ModelKind::kBoosted ? "keep" : "drop") : opt.missing;
  design.fit_imputation(table);
  // Survival: a horizon for risks (default: the median follow-up time).
  if (outcome.task() == Task::kSurvival && std::isnan(outcome.horizon)) {
    std::vector<double> y, t;
    std::vector<int> e;
    std::vector<uint8_t> ok;
    read_outcome(table, outcome, in.source, &y, &t, &e, &ok);
    std::vector<double> tv;
    for (size_t i = 0; i < t.size(); ++i)
      if (ok[i]) tv.push_back(t[i]);
    std::sort(tv.begin(), tv.end());
    if (!tv.empty()) outcome.horizon = tv[tv.size() / 2];
    res.warnings.push_back("no --horizon: risks are for the median follow-up time, " + nlohmann::json(outcome.horizon).dump());
  }
  const Dataset d = make_dataset(table, design, outcome, in.source);
  if (d.dropped_missing > 0)
    res.warnings.push_back(std::to_string(d.dropped_missing) + " of " + std::to_string(table.num_rows()) +
                           " rows left out (missing outcome" + (design.missing == "drop" ? " or feature)" : ")"));
  for (const std::string& w : leak_warnings(d)) {
    if (!opt.allow_leak) throw InvalidInput(in.source + ": " + w + " (drop it, or pass --allow-leak)");
    res.warnings.push_back(w);
  }
  const bool survival = d.task == Task::kSurvival;
  const std::vector<int> lab = labels_of(d);
  const size_t events = std::accumulate(lab.begin(), lab.end(), size_t{0});
  const int k = static_cast<int>(std::min<size_t>(opt.folds, std::min(events, d.n - (survival ? 0 : events))));
  if (k < 2) throw InvalidInput(in.source + ": too few outcomes to cross-validate (" + std::to_string(events) + ")");

  // Outer cross-validation.
  const std::vector<int> fold = stratified_folds(lab, k, ctx.seed);
  std::vector<double> oof_margin(d.n), oof_risk(d.n);
  std::vector<std::vector<double>> fold_importance;
  std::vector<double> fold_disc;
  json fold_params = json::array();
  for (int f = 0; f < k; ++f) {
    std::vector<size_t> tr, te;
    for (size_t i = 0; i < d.n; ++i) (fold[i] == f ? te : tr).push_back(i);
    const Dataset dtr = d.take(tr), dte = d.take(te);
    const Candidate c = tune(dtr, design, outcome, kind, opt, ctx.seed + f, ctx.threads);
    fold_params.push_back(c.to_json(kind));
    const Model m = fit_on(dtr, design, outcome, kind, c.l2, c.boost, ctx.seed + f, ctx.threads, c.neural);
    const std::vector<double> mg = m.margin(dte.x, dte.n), rk = m.risk_from_margin(mg);
    for (size_t i = 0; i < te.size(); ++i) oof_margin[te[i]] = mg[i], oof_risk[te[i]] = rk[i];
    fold_disc.push_back(discrimination(dte, mg));
    fold_importance.push_back(mean_abs(m.contributions(dte.x, dte.n), dte.n, d.p));
  }

  // Final model on every row (tuned on all of them when asked).
  const Candidate final_c = tune(d, design, outcome, kind, opt, ctx.seed + 1000, ctx.threads);
  Model model = fit_on(d, design, outcome, kind, final_c.l2, final_c.boost, ctx.seed + 1000, ctx.threads, final_c.neural);
  for (const auto& w : model.linear.warnings) res.warnings.push_back(w);
  const std::vector<double> app_margin = model.margin(d.x, d.n);

  // Performance on out-of-fold predictions, with bootstrap intervals.
  json perf;
  const int B = opt.bootstrap;
  const uint64_t bs = ctx.seed ^ 0x9e3779b97f4a7c15ULL;
  auto sub = [&](const std::vector<size_t>& idx, std::vector<double>* r, std::vector<double>* m, std::vector<double>* y,
                 std::vector<double>* t, std::vector<int>* e) {
    for (size_t i : idx) {
      if (r) r->push_back(oof_risk[i]);
      if (m) m->push_back(oof_margin[i]);
      if (survival) t->push_back(d.time[i]), e->push_back(d.event[i]);
      else y->push_back(d.y[i]);
    }
  };
  double mean_fold = 0;
  for (double v : fold_disc) mean_fold += v;
  mean_fold /= fold_disc.size();
  if (survival) {
    const double h = outcome.horizon;
    perf["c_index"] = interval_or_null(bootstrap(d.n, B, bs, [&](const std::vector<size_t>& idx) {
      std::vector<double> m, y, t;
      std::vector<int> e;
      sub(idx, nullptr, &m, &y, &t, &e);
      return harrell_c(m, t, e);
    }));
    perf["c_index_mean_over_folds"] = mean_fold;
    perf["time_auc"] = interval_or_null(bootstrap(d.n, B, bs + 1, [&](const std::vector<size_t>& idx) {
      std::vector<double> m, y, t;
      std::vector<int> e;
      sub(idx, nullptr, &m, &y, &t, &e);
      return time_auc(m, t, e, h);
    }));
    auto cal_stat = [&](int which) {
      return bootstrap(d.n, B, bs + 2 + which, [&](const std::vector<size_t>& idx) {
        std::vector<double> r, y, t;
        std::vector<int> e;
        sub(idx, &r, nullptr, &y, &t, &e);
        const Calibration c = survival_calibration(r, t, e, h);
        return which == 0 ? c.slope : which == 1 ? c.citl : c.brier;
      });
    };
    perf["calibration_slope"] = interval_or_null(cal_stat(0));
    perf["calibration_in_the_large"] = interval_or_null(cal_stat(1));
    perf["brier"] = interval_or_null(cal_stat(2));
    perf["calibration"] = survival_calibration(oof_risk, d.time, d.event, h).to_json();
    perf["decision_curve"] = survival_decision_curve(oof_risk, d.time, d.event, h).to_json();
    perf["apparent_c_index"] = harrell_c(app_margin, d.time, d.event);
    perf["horizon"] = h;
  } else {
    perf["auroc"] = interval_or_null(bootstrap(d.n, B, bs, [&](const std::vector<size_t>& idx) {
      std::vector<double> m, y, t;
      std::vector<int> e;
      sub(idx, nullptr, &m, &y, &t, &e);
      std::vector<int> l(y.begin(), y.end());
      return roc_auc(m, l);
    }));
    perf["auroc_mean_over_folds"] = mean_fold;
    auto cal_stat = [&](int which) {
      return bootstrap(d.n, B, bs + 2 + which, [&](const std::vector<size_t>& idx) {
        std::vector<double> r, y, t;
        std::vector<int> e;
        sub(idx, &r, nullptr, &y, &t, &e);
        const Calibration c = calibration(r, y, {});
        return which == 0 ? c.slope : which == 1 ? c.citl : c.brier;
      });
    };
    perf["calibration_slope"] = interval_or_null(cal_stat(0));
    perf["calibration_in_the_large"] = interval_or_null(cal_stat(1));
    perf["brier"] = interval_or_null(cal_stat(2));
    perf["calibration"] = calibration(oof_risk, d.y, {}).to_json();
    perf["decision_curve"] = decision_curve(oof_risk, d.y).to_json();
    std::vector<int> l(d.y.begin(), d.y.end());
    perf["apparent_auroc"] = roc_auc(app_margin, l);
  }
  // A reference feature set on the same rows and folds: the paired bootstrap difference.
  if (!opt.compare_features.empty()) {
    const Table sub_table = table.take(d.rows);
    Design ref_design = Design::parse(opt.compare_features, table, *in.schema, exclude);
    ref_design.missing = design.missing;
    ref_design.fit_imputation(table);
    const Dataset r = make_dataset(sub_table, ref_design, outcome, in.source, false);
    if (r.n != d.n)
      throw InvalidInput(in.source + ": --compare-features: " + std::to_string(d.n - r.n) +
                         " of the rows used have a missing reference feature (use --missing impute)");
    std::vector<double> ref_margin(d.n);
    for (int f = 0; f < k; ++f) {
      std::vector<size_t> tr, te;
      for (size_t i = 0; i < d.n; ++i) (fold[i] == f ? te : tr).push_back(i);
      const Dataset rtr = r.take(tr), rte = r.take(te);
      const Candidate c = tune(rtr, ref_design, outcome, kind, opt, ctx.seed + f, ctx.threads);
      const Model m = fit_on(rtr, ref_design, outcome, kind, c.l2, c.boost, ctx.seed + f, ctx.threads, c.neural);
      const std::vector<double> mg = m.margin(rte.x, rte.n);
      for (size_t i = 0; i < te.size(); ++i) ref_margin[te[i]] = mg[i];
    }
    auto disc_of = [&](const std::vector<double>& mg, const std::vector<size_t>& idx) {
      std::vector<double> s, t;
      std::vector<int> l;
      for (size_t i : idx) {
        s.push_back(mg[i]);
        if (survival) t.push_back(d.time[i]), l.push_back(d.event[i]);
        else l.push_back(d.y[i] != 0);
      }
      return survival ? harrell_c(s, t, l) : roc_auc(s, l);
    };
    const char* metric = survival ? "c_index" : "auroc";
    json cmp{{"features", opt.compare_features}, {"terms", r.names}, {"metric", metric}};
    cmp["reference"] = interval_or_null(bootstrap(d.n, B, bs, [&](const std::vector<size_t>& idx) { return disc_of(ref_margin, idx); }));
    cmp["difference"] = interval_or_null(bootstrap(d.n, B, bs + 7, [&](const std::vector<size_t>& idx) {
      return disc_of(oof_margin, idx) - disc_of(ref_margin, idx);
    }));
    cmp["method"] = "the reference features cross-validated on the same rows and folds; difference = this model's minus "
                    "the reference's, 95% percentile interval from the same bootstrap resamples (paired)";
    perf["comparison"] = cmp;
  }
  perf["folds"] = k;
  perf["fold_discrimination"] = fold_disc;
  perf["fold_parameters"] = fold_params;
  perf["bootstrap"] = B;
  perf["method"] = std::to_string(k) + "-fold cross-validation stratified by outcome" +
                   std::string(opt.tune ? ", tuning by 3-fold CV inside each training fold (nested)" : "") +
                   "; metrics on out-of-fold predictions; 95% percentile bootstrap intervals over rows";

  // Explanations: importance (final model) and its stability across folds.
  const std::vector<double> imp = mean_abs(model.contributions(d.x, d.n), d.n, d.p);
  json importance = json::array();
  std::vector<double> imp_mean(d.p, 0), imp_sd(d.p, 0);
  std::vector<double> top3(d.p, 0);
  for (const auto& fi : fold_importance) {
    std::vector<size_t> o(d.p);
    std::iota(o.begin(), o.end(), 0);
    std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return fi[a] > fi[b]; });
    for (size_t r = 0; r < std::min<size_t>(3, d.p); ++r) top3[o[r]] += 1.0 / fold_importance.size();
    for (size_t j = 0; j < d.p; ++j) imp_mean[j] += fi[j] / fold_importance.size();
  }
  for (const auto& fi : fold_importance)
    for (size_t j = 0; j < d.p; ++j) imp_sd[j] += (fi[j] - imp_mean[j]) * (fi[j] - imp_mean[j]) / std::max<size_t>(1, fold_importance.size() - 1);
  std::vector<size_t> order(d.p);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return imp[a] > imp[b]; });
  for (size_t j : order)
    importance.push_back({{"feature", d.names[j]}, {"mean_abs_contribution", imp[j]}, {"fold_mean", imp_mean[j]},
                          {"fold_sd", std::sqrt(imp_sd[j])}, {"top3_share", top3[j]}});
  double rho = 0;
  int pairs = 0;
  for (size_t a = 0; a < fold_importance.size(); ++a)
    for (size_t b = a + 1; b < fold_importance.size(); ++b) rho += spearman(fold_importance[a], fold_importance[b]), ++pairs;
  json explain{{"importance", importance},
               {"importance_stability_spearman", pairs ? rho / pairs : 1.0},
               {"contributions", kind == ModelKind::kBoosted
                                     ? "tree SHAP (XGBoost pred_contribs) on the margin (log-odds or log hazard ratio)"
                                 : kind == ModelKind::kNeural
                                     ? (d.p <= kExactShapleyMax
                                            ? "baseline Shapley values against the mean training patient, exact (every subset)"
                                            : "baseline Shapley values against the mean training patient, estimated from " +
                                                  std::to_string(kShapleyPermutations) +
                                                  " random feature orders per row (the sum is exact)")
                                     : "exact: coefficient x (value - training mean) on the margin"}};
  json pd = json::array();
  std::vector<std::string> pd_cols;
  for (size_t j : order) {
    const std::string& c = design.terms[j].column;
    if (std::find(pd_cols.begin(), pd_cols.end(), c) == pd_cols.end() && pd_cols.size() < 6) pd_cols.push_back(c);
  }
  for (const auto& c : pd_cols) {
    json one = partial_dependence(model, table, d.rows, c);
    if (!one.is_null()) pd.push_back(one);
  }
  explain["partial_dependence"] = pd;
  if (kind == ModelKind::kCox || kind == ModelKind::kLogistic) {
    json coef = json::array();
    for (size_t j = 0; j < d.p; ++j) {
      const double b = model.linear.beta[j], se = model.linear.se[j];
      json c{{"term", d.names[j]}, {"coefficient", b}, {"se", se}, {"lo", b - 1.959964 * se}, {"hi", b + 1.959964 * se},
             {"p", std::erfc(std::abs(b / se) / std::sqrt(2.0))}};
      if (survival) c["hazard_ratio"] = std::exp(b);
      else c["odds_ratio"] = std::exp(b);
      coef.push_back(c);
    }
    explain["coefficients"] = coef;
  }

  // Bias audit on the out-of-fold predictions.
  json audit_j;
  if (!opt.groups.empty()) {
    AuditInput a;
    a.table = &table;
    a.rows = d.rows;
    a.risk = oof_risk;
    a.margin = oof_margin;
    a.survival = survival;
    a.y = d.y;
    a.time = d.time;
    a.event = d.event;
    a.horizon = outcome.horizon;
    double prev = 0;
    if (survival) prev = 1 - kaplan_meier(d.time, d.event).at(outcome.horizon);
    else prev = static_cast<double>(events) / d.n;
    a.threshold = std::isnan(opt.threshold) ? prev : opt.threshold;
    a.feature_columns = design.columns();
    a.bootstrap = B;
    a.seed = ctx.seed;
    audit_j = audit(a, opt.groups);
  }

  json dev{{"model", to_string(kind)},
           {"terms", d.names},
           {"missing_data", design.missing == "drop" ? "complete cases" :
                            design.missing == "impute" ? "median imputation (medians of all training rows)" :
                                                         "kept as missing (XGBoost learns a default direction)"},
           {"parameters", final_c.to_json(kind)}};
  if (kind == ModelKind::kBoosted) dev["boosting"] = final_c.boost.to_json();
  else if (kind == ModelKind::kNeural) {
    dev["network"] = final_c.neural.to_json();
    dev["training"] = model.network->log().to_json();
    dev["network_description"] =
        "multilayer perceptron (ReLU, dropout) with one output, the log-risk, trained by Adam on the negative Cox partial "
        "log-likelihood (" + final_c.neural.ties + " ties), weight decay, early stopping on " +
        std::to_string(static_cast<int>(std::lround(100 * final_c.neural.validation))) +
        "% of the training rows held out (stratified by event); inputs standardised; LibTorch, one thread, seeded";
  } else dev["converged"] = model.linear.converged;
  json card{{"title", std::string("Prediction model: ") + to_string(kind) + (survival ? " (time to event)" : " (binary outcome)")},
            {"tripod", "TRIPOD 2015 items: source of data, participants, outcome, predictors, sample size, missing data, "
                       "model development, performance, limitations"},
            {"source_of_data", {{"file", in.source}, {"sha256", in.sha256}, {"rows", table.num_rows()}}},
            {"participants", {{"used", d.n}, {"left_out", d.dropped_missing}}},
            {"outcome", outcome.to_json()},
            {"outcomes", events},
            {"predictors", d.names},
            {"events_per_parameter", static_cast<double>(events) / d.p},
            {"development", dev},
            {"performance", perf},
            {"explanations", explain},
            {"warnings", res.warnings},
            {"limitations",
             "Internal validation only (cross-validation on the development data): performance in another population, "
             "period or setting is unknown until externally validated. Predictions explain the model, not causes."},
            {"medgen_version", MEDGEN_VERSION},
            {"seed", ctx.seed}};
  if (!audit_j.is_null()) card["bias_audit"] = audit_j;
  if (!in.landmark.is_null()) card["landmark"] = in.landmark;
  model.card = card;
  res.model = std::move(model);
  return res;
}

json apply_model(const Model& model, const Table& table, size_t top) {
  std::vector<uint8_t> complete;
  const std::vector<double> x = model.design.matrix(table, &complete);
  const size_t n = table.num_rows(), p = model.design.terms.size();
  const std::vector<std::string> names = model.design.names();
  const std::vector<double> m = model.margin(x, n);
  const std::vector<double> r = model.risk_from_margin(m);
  const std::vector<double> c = model.contributions(x, n);
  json rows = json::array();
  for (size_t i = 0; i < n; ++i) {
    json row{{"row", i + 1}};
    if (!std::isfinite(m[i])) {
      row["risk"] = nullptr;
      std::string miss;
      for (size_t j = 0; j < p; ++j)
        if (std::isnan(x[i * p + j])) miss += (miss.empty() ? "" : ", ") + names[j];
      row["reason"] = "missing " + miss;
      rows.push_back(row);
      continue;
    }
    row["risk"] = r[i];
    row["margin"] = m[i];
    std::vector<size_t> o(p);
    std::iota(o.begin(), o.end(), 0);
    std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return std::abs(c[i * (p + 1) + a]) > std::abs(c[i * (p + 1) + b]); });
    json contrib = json::array();
    for (size_t k = 0; k < (top ? std::min(top, p) : p); ++k)
      contrib.push_back({{"feature", names[o[k]]},
                         {"value", std::isnan(x[i * p + o[k]]) ? json() : json(x[i * p + o[k]])},
                         {"contribution", c[i * (p + 1) + o[k]]}});
    row["base"] = c[i * (p + 1) + p];
    row["contributions"] = contrib;
    rows.push_back(row);
  }
  json out{{"model", to_string(model.kind)}, {"rows", rows},
           {"risk", model.task() == Task::kBinary ? "probability of the outcome"
                    : std::isfinite(model.outcome.horizon) ? "probability of the event by " + std::to_string(model.outcome.horizon)
                                                           : "log hazard ratio"},
           {"margin", model.task() == Task::kBinary ? "log-odds" : "log hazard ratio vs the training mean"}};
  return out;
}

}  // namespace medgen::predict
