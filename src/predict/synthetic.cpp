#include "medgen/predict/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "medgen/core/error.h"
#include "medgen/core/ranks.h"
#include "medgen/core/rng.h"
#include "medgen/predict/metrics.h"
#include "medgen/tabular/synthesizer.h"

namespace medgen::predict {

using json = nlohmann::json;

namespace {

json score(const Model& m, const Dataset& test, double threshold, const std::vector<size_t>& subset) {
  std::vector<double> mg = m.margin(test.x, test.n), r = m.risk_from_margin(mg);
  std::vector<double> sm, sr, y, t;
  std::vector<int> l, e;
  for (size_t i : subset) {
    sm.push_back(mg[i]);
    sr.push_back(r[i]);
    if (test.task == Task::kBinary) y.push_back(test.y[i]), l.push_back(test.y[i] != 0);
    else t.push_back(test.time[i]), e.push_back(test.event[i]);
  }
  json s{{"rows", subset.size()}};
  if (test.task == Task::kSurvival) {
    s["c_index"] = harrell_c(sm, t, e);
    const Calibration c = survival_calibration(sr, t, e, m.outcome.horizon);
    s["brier"] = c.brier;
    s["calibration_slope"] = c.slope;
    return s;
  }
  s["auroc"] = roc_auc(sm, l);
  const Calibration c = calibration(sr, y, {});
  s["brier"] = c.brier;
  s["calibration_slope"] = c.slope;
  double tp = 0, fn = 0, fp = 0;
  for (size_t i = 0; i < sr.size(); ++i) {
    const bool flag = sr[i] >= threshold;
    if (y[i]) (flag ? tp : fn) += 1;
    else if (flag) fp += 1;
  }
  s["recall"] = tp + fn > 0 ? tp / (tp + fn) : 0.0;
  s["precision"] = tp + fp > 0 ? tp / (tp + fp) : 0.0;
  return s;
}

Dataset append(const Dataset& a, const Dataset& b) {
  Dataset d = a;
  d.x.insert(d.x.end(), b.x.begin(), b.x.end());
  d.y.insert(d.y.end(), b.y.begin(), b.y.end());
  d.time.insert(d.time.end(), b.time.begin(), b.time.end());
  d.event.insert(d.event.end(), b.event.begin(), b.event.end());
  d.rows.insert(d.rows.end(), b.rows.begin(), b.rows.end());
  d.n += b.n;
  return d;
}

}  // namespace

json synthetic_experiment(const TrainInput& in, const SyntheticOptions& so, const Context& ctx) {
  if (!(so.test_share >= 0.1 && so.test_share <= 0.5)) throw InvalidInput("--test-share must be in [0.1, 0.5]");
  const FitOptions& opt = in.options;
  opt.validate();
  const Table& table = *in.table;
  const ModelKind kind = model_kind_from_string(opt.model);
  OutcomeSpec outcome = in.outcome;
  resolve_labels(table, &outcome);
  std::vector<std::string> exclude = {outcome.outcome, outcome.time, outcome.event};
  Design design = Design::parse(opt.features, table, *in.schema, exclude);
  design.missing = opt.missing.empty() ? (kind == ModelKind::kBoosted ? "keep" : "impute") : opt.missing;
  // Split the real rows (stratified by outcome) before anything is learned.
  std::vector<double> y0, t0;
  std::vector<int> e0;
  std::vector<uint8_t> ok;
  read_outcome(table, outcome, in.source, &y0, &t0, &e0, &ok);
  if (outcome.task() == Task::kSurvival && std::isnan(outcome.horizon)) {
    std::vector<double> tv;
    for (size_t i = 0; i < t0.size(); ++i)
      if (ok[i]) tv.push_back(t0[i]);
    std::sort(tv.begin(), tv.end());
    outcome.horizon = tv[tv.size() / 2];
  }
  std::vector<int> lab(table.num_rows());
  for (size_t i = 0; i < lab.size(); ++i) lab[i] = outcome.task() == Task::kBinary ? y0[i] != 0 : e0[i];
  const int k = static_cast<int>(std::lround(1 / so.test_share));
  const std::vector<int> fold = stratified_folds(lab, k, ctx.seed);
  std::vector<size_t> train_rows, test_rows;
  for (size_t i = 0; i < lab.size(); ++i) (fold[i] == 0 ? test_rows : train_rows).push_back(i);
  const Table train_t = table.take(train_rows), test_t = table.take(test_rows);
  design.fit_imputation(train_t);
  const Dataset train = make_dataset(train_t, design, outcome, in.source + " (training part)");
  const Dataset test = make_dataset(test_t, design, outcome, in.source + " (held-out part)");
  double prevalence = 0;
  if (train.task == Task::kBinary)
    for (double v : train.y) prevalence += v / train.n;

  // The group scored (and augmented): positives, or column=value rows.
  std::string gcol, gval;
  if (!so.group.empty()) {
    const size_t eq = so.group.find('=');
    if (eq == std::string::npos) throw InvalidInput("--augment-group must be COLUMN=VALUE, got '" + so.group + "'");
    gcol = so.group.substr(0, eq);
    gval = so.group.substr(eq + 1);
    if (table.find(gcol) < 0) throw InvalidInput("--augment-group: no column '" + gcol + "'");
  }
  auto in_group = [&](const Table& t, size_t row) {
    const Column& c = t.columns[t.find(gcol)];
    if (c.is_missing(row)) return false;
    if (c.storage == Storage::kString) return c.dictionary[c.codes[row]] == gval;
    char b[64];
    std::snprintf(b, sizeof b, "%g", c.values[row]);
    return gval == b;
  };
  std::vector<size_t> all_test(test.n), group_test;
  std::iota(all_test.begin(), all_test.end(), 0);
  for (size_t i = 0; i < test.n; ++i)
    if (gcol.empty() ? true : in_group(test_t, test.rows[i])) group_test.push_back(i);
  if (!gcol.empty() && group_test.size() < 10)
    throw InvalidInput("--augment-group " + so.group + ": " + std::to_string(group_test.size()) +
                       " held-out rows; too few to measure anything");
  auto eval = [&](const Model& m) {
    json j{{"overall", score(m, test, prevalence, all_test)}};
    if (!gcol.empty()) j["group"] = score(m, test, prevalence, group_test);
    return j;
  };
  json out{{"split", {{"train_rows", train.n}, {"test_rows", test.n}, {"test_share", so.test_share}}},
           {"model", to_string(kind)}, {"synthesizer", so.synthesizer},
           {"note", "every figure is measured on the real held-out rows; the synthesizer saw only the training rows"}};

  // TSTR.
  const Model real = fit_on(train, design, outcome, kind, opt.l2, opt.boost, ctx.seed, ctx.threads);
  const json real_s = eval(real);
  auto synth = tabular::create_synthesizer(so.synthesizer);
  synth->fit(train_t, *in.schema, ctx);
  const Table fake_t = synth->sample(train_t.num_rows(), {}, ctx);
  json tstr{{"real", real_s}};
  try {
    const Dataset fake = make_dataset(fake_t, design, outcome, "synthetic rows");
    const Model fm = fit_on(fake, design, outcome, kind, opt.l2, opt.boost, ctx.seed, ctx.threads);
    tstr["synthetic"] = eval(fm);
    const char* key = train.task == Task::kBinary ? "auroc" : "c_index";
    const double r = real_s["overall"][key].get<double>(), s = tstr["synthetic"]["overall"][key].get<double>();
    tstr["retained"] = (s - 0.5) / std::max(1e-9, r - 0.5);  // share of the real model's skill above chance
  } catch (const InvalidInput& e) {
    tstr["synthetic"] = json{{"error", e.what()}};
  }
  out["tstr"] = tstr;
  if (train.task != Task::kBinary) return out;

  // Augmentation of the minority (positives, or the group).
  std::vector<size_t> minority;
  for (size_t i = 0; i < train.n; ++i)
    if (gcol.empty() ? train.y[i] != 0 : in_group(train_t, train.rows[i])) minority.push_back(i);
  const size_t majority = train.n - minority.size();
  if (minority.size() < 2) throw InvalidInput("augmentation: fewer than 2 training rows in the minority");
  const size_t extra = majority > minority.size() ? majority - minority.size() : minority.size() / 2;
  json aug = json::array();
  const json base = eval(real);
  auto add = [&](const std::string& method, const Dataset& d, const std::string& note) {
    json a{{"method", method}, {"added_rows", d.n - train.n}, {"note", note}};
    try {
      const Model m = fit_on(d, design, outcome, kind, opt.l2, opt.boost, ctx.seed, ctx.threads);
      a["scores"] = eval(m);
      const json& s = gcol.empty() ? a["scores"]["overall"] : a["scores"]["group"];
      const json& b = gcol.empty() ? base["overall"] : base["group"];
      json delta;
      for (const char* key : {"auroc", "recall", "precision", "brier", "calibration_slope"})
        delta[key] = s[key].get<double>() - b[key].get<double>();
      a["change"] = delta;
      a["helped"] = delta["auroc"].get<double>() >= 0 && delta["brier"].get<double>() <= 0;
    } catch (const InvalidInput& e) {
      a["error"] = e.what();
    }
    aug.push_back(a);
  };
  add("none", train, "real training rows only");
  Rng rng(ctx.seed ^ 0xa5a5a5a5ULL);
  {  // reweighting by duplication
    std::vector<size_t> idx(train.n);
    std::iota(idx.begin(), idx.end(), 0);
    for (size_t k2 = 0; k2 < extra; ++k2) idx.push_back(minority[k2 % minority.size()]);
    add("reweight", train.take(idx), "minority rows repeated (integer weights)");
  }
  {  // SMOTE-like interpolation
    const size_t p = train.p;
    std::vector<double> sd(p, 1);
    for (size_t j = 0; j < p; ++j) {
      double m = 0, v = 0;
      for (size_t i = 0; i < train.n; ++i) m += train.row_value(i, j) / train.n;
      for (size_t i = 0; i < train.n; ++i) v += std::pow(train.row_value(i, j) - m, 2) / train.n;
      sd[j] = v > 0 ? std::sqrt(v) : 1;
    }
    Dataset d = train;
    for (size_t k2 = 0; k2 < extra; ++k2) {
      const size_t a = minority[rng.next() % minority.size()];
      std::vector<std::pair<double, size_t>> nn;
      for (size_t b : minority) {
        if (b == a) continue;
        double dist = 0;
        for (size_t j = 0; j < p; ++j) {
          const double u = train.row_value(a, j), v = train.row_value(b, j);
          dist += std::isnan(u) || std::isnan(v) ? 1 : std::pow((u - v) / sd[j], 2);
        }
        nn.emplace_back(dist, b);
      }
      const size_t kk = std::min<size_t>(5, nn.size());
      std::partial_sort(nn.begin(), nn.begin() + kk, nn.end());
      const size_t b = nn[rng.next() % kk].second;
      const double u = (rng.next() >> 11) * (1.0 / 9007199254740992.0);
      for (size_t j = 0; j < p; ++j) {
        const double xa = train.row_value(a, j), xb = train.row_value(b, j);
        d.x.push_back(std::isnan(xb) ? xa : xa + u * (xb - xa));
      }
      d.y.push_back(train.y[a]);
      d.rows.push_back(train.rows[a]);
      ++d.n;
    }
    add("smote", d, "interpolation between a minority row and one of its 5 nearest minority neighbours");
  }
  {  // conditional sampling from the synthesizer
    const std::string ccol = gcol.empty() ? outcome.outcome : gcol;
    std::string cval = gval;
    if (gcol.empty()) {
      const Column& oc = table.column(outcome.outcome);
      if (!outcome.positive.empty()) cval = outcome.positive;
      else if (oc.storage == Storage::kString) {
        for (size_t i = 0; i < table.num_rows(); ++i)
          if (ok[i] && y0[i] != 0) { cval = oc.dictionary[oc.codes[i]]; break; }
      } else {
        for (size_t i = 0; i < table.num_rows(); ++i)
          if (ok[i] && y0[i] != 0) { char b[64]; std::snprintf(b, sizeof b, "%g", oc.values[i]); cval = b; break; }
      }
    }
    std::string how = "conditional sampling (" + ccol + "=" + cval + ")";
    Table rows;
    try {
      rows = synth->sample(extra, {tabular::Condition{ccol, cval}}, ctx);
    } catch (const InvalidInput&) {
      // Not a categorical column: draw unconditionally and keep matching rows.
      how = "rejection sampling (" + ccol + "=" + cval + ")";
      Context c2 = ctx;
      for (int round = 0; round < 50 && rows.num_rows() < extra; ++round) {
        c2.seed = ctx.seed + 7919 * (round + 1);
        const Table draw = synth->sample(std::max<size_t>(extra * 4, 200), {}, c2);
        std::vector<size_t> keep;
        for (size_t i = 0; i < draw.num_rows() && rows.num_rows() + keep.size() < extra; ++i) {
          const Column& c = draw.column(ccol);
          bool match = false;
          if (c.is_missing(i)) match = false;
          else if (c.storage == Storage::kString) match = c.dictionary[c.codes[i]] == cval;
          else { char b[64]; std::snprintf(b, sizeof b, "%g", c.values[i]); match = cval == b; }
          if (match) keep.push_back(i);
        }
        const Table part = draw.take(keep);
        if (rows.num_cols() == 0) rows = part;
        else tabular::append_rows(&rows, part);
      }
    }
    try {
      const Dataset extra_d = make_dataset(rows, design, outcome, "synthetic rows", false);
      add("conditional", append(train, extra_d), how + " from " + so.synthesizer);
    } catch (const InvalidInput& e) {
      aug.push_back({{"method", "conditional"}, {"error", e.what()}});
    }
  }
  out["augmentation"] = aug;
  out["augmentation_target"] = gcol.empty() ? "positive outcomes" : so.group;
  return out;
}

}  // namespace medgen::predict
