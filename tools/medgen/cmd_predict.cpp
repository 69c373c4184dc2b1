// medgen predict: clinical prediction models (fit with cross-validation and a model card, apply
// with explanations, audit for bias, forecast biomarker trajectories). Thin: parses flags, calls
// medgen/predict, prints.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/predict/audit.h"
#include "medgen/predict/card.h"
#include "medgen/predict/evaluate.h"
#include "medgen/predict/landmark.h"
#include "medgen/predict/metrics.h"
#include "medgen/predict/synthetic.h"
#include "medgen/predict/trajectory.h"
#include "medgen/tabular/pipeline.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::predict;

namespace {

struct PredictOptions {
  std::string data, schema, model_path, out, card, card_json, trajectory_id, trajectory_time, hidden;
  std::vector<std::string> markers;
  std::string visits, visit_columns, summaries;
  LandmarkOptions landmark;
  ForecastRiskOptions forecast_risk;
  OutcomeSpec outcome;
  FitOptions fit;
  size_t top = 5;
  SyntheticOptions synthetic;
  cli::CommonOptions common;
};

std::string fmt(double v, int d = 3) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", d, v);
  return b;
}

std::string ci(const json& v) {
  if (!v.is_object()) return "n/a";
  return fmt(v["value"].get<double>()) + " (95% CI " + (v["lo"].is_number() ? fmt(v["lo"].get<double>()) : "?") + "-" +
         (v["hi"].is_number() ? fmt(v["hi"].get<double>()) : "?") + ")";
}

// "bili, albumin" -> {"bili", "albumin"} (blanks around names dropped, empty names skipped).
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    const size_t b = std::min(s.find(',', a), s.size());
    std::string t = s.substr(a, b - a);
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (!t.empty()) out.push_back(t);
    a = b + 1;
  }
  return out;
}

// "32,32" -> {32, 32}; InvalidInput naming --hidden otherwise.
std::vector<int> parse_widths(const std::string& s) {
  std::vector<int> w;
  size_t a = 0;
  while (a <= s.size()) {
    const size_t b = std::min(s.find(',', a), s.size());
    const std::string t = s.substr(a, b - a);
    char* end = nullptr;
    const long v = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v < 1 || v > 4096)
      throw InvalidInput("--hidden: expected widths like 32,32 (each 1..4096), got '" + s + "'");
    w.push_back(static_cast<int>(v));
    a = b + 1;
  }
  return w;
}

int run_fit(PredictOptions& o) {
  if (o.out.empty()) throw InvalidInput("predict fit: -o MODEL.json is required");
  if (!o.hidden.empty()) o.fit.neural.hidden = parse_widths(o.hidden);
  const Context ctx = cli::make_context(o.common);
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  TrainInput in;
  in.table = &data.table;
  in.schema = &data.schema;
  in.source = o.data;
  in.sha256 = data.sha256;
  in.outcome = o.outcome;
  in.options = o.fit;
  LandmarkTable lm;
  if (!o.visits.empty()) {
    if (!o.visit_columns.empty()) o.landmark.columns = split_commas(o.visit_columns);
    if (!o.summaries.empty()) o.landmark.summaries = split_commas(o.summaries);
    o.landmark.validate();
    tabular::Dataset visits = tabular::load_dataset(o.visits, "");
    lm = landmark_table(data.table, data.schema, o.data, visits.table, visits.schema, o.visits, o.outcome, o.landmark);
    lm.report["visits_sha256"] = visits.sha256;
    in.table = &lm.table;
    in.schema = &lm.schema;
    in.landmark = lm.report;
    if (!o.common.quiet)
      cli::note(o.common, "landmark " + fmt(o.landmark.window, 0) + ": " + std::to_string(lm.report["kept"].get<size_t>()) +
                              " of " + std::to_string(data.table.num_rows()) + " patients kept (" +
                              std::to_string(lm.report["left_out_event_or_censored_by_landmark"].get<size_t>()) +
                              " with an event or censored by then, " +
                              std::to_string(lm.report["left_out_no_visit_in_window"].get<size_t>()) +
                              " without a visit in the window)");
  } else if (!o.landmark.id.empty() || !o.landmark.time.empty() || std::isfinite(o.landmark.window)) {
    throw InvalidInput("--id, --visit-time and --window go with --visits VISITS.csv");
  }
  const TrainResult r = train_and_evaluate(in, ctx);
  std::vector<std::pair<std::string, std::string>> files{{o.out, r.model.to_json().dump(1) + "\n"}};
  if (!o.card.empty()) files.emplace_back(o.card, model_card_html(r.model.card));
  if (!o.card_json.empty()) files.emplace_back(o.card_json, r.model.card.dump(2) + "\n");
  write_files_atomic(files);
  if (!o.common.quiet)
    for (const auto& w : r.warnings) cli::note(o.common, "warning: " + w);
  const json& card = r.model.card;
  const json& perf = card["performance"];
  if (o.common.json) {
    json s{{"model", o.out}, {"kind", card["development"]["model"]}, {"rows", card["participants"]["used"]},
           {"performance", {}}, {"warnings", r.warnings}};
    for (const char* k : {"c_index", "c_index_mean_over_folds", "time_auc", "auroc", "auroc_mean_over_folds",
                          "calibration_slope", "calibration_in_the_large", "brier", "apparent_c_index", "apparent_auroc", "horizon",
                          "comparison"})
      if (perf.contains(k)) s["performance"][k] = perf[k];
    if (card["explanations"].contains("coefficients")) s["coefficients"] = card["explanations"]["coefficients"];
    if (card.contains("bias_audit")) s["bias_audit"] = card["bias_audit"];
    cli::write_output("", s.dump(2) + "\n");
    return 0;
  }
  std::printf("%s on %zu rows (%zu outcomes), %s\n", card["development"]["model"].get<std::string>().c_str(),
              card["participants"]["used"].get<size_t>(), card["outcomes"].get<size_t>(), perf["method"].get<std::string>().c_str());
  if (card["explanations"].contains("coefficients"))
    for (const auto& c : card["explanations"]["coefficients"])
      std::printf("  %-20s %9.4f  (se %.4f)\n", c["term"].get<std::string>().c_str(), c["coefficient"].get<double>(),
                  c["se"].get<double>());
  for (const char* k : {"c_index", "time_auc", "auroc", "calibration_slope", "calibration_in_the_large", "brier"})
    if (perf.contains(k)) std::printf("  %-26s %s\n", k, ci(perf[k]).c_str());
  if (perf.contains("comparison")) {
    const json& c = perf["comparison"];
    std::printf("  reference (%s): %s\n  difference                 %s (paired)\n", c["features"].get<std::string>().c_str(),
                ci(c["reference"]).c_str(), ci(c["difference"]).c_str());
  }
  std::printf("model: %s%s%s\n", o.out.c_str(), o.card.empty() ? "" : ", card: ", o.card.c_str());
  return 0;
}

int run_apply(PredictOptions& o) {
  const Model m = load_predict_model(o.model_path);
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  const json preds = apply_model(m, data.table, o.top);
  if (o.common.json) {
    // --json: every prediction with its explanation on stdout (and -o still writes the CSV).
    if (!o.out.empty() && o.out != "-") {
      std::string csv = "row,risk,margin\n";
      for (const auto& r : preds["rows"])
        csv += std::to_string(r["row"].get<size_t>()) + "," + (r["risk"].is_number() ? fmt(r["risk"].get<double>(), 6) : "") +
               "," + (r.contains("margin") ? fmt(r["margin"].get<double>(), 6) : "") + "\n";
      write_file_atomic(o.out, csv);
    }
    cli::write_output("", preds.dump(2) + "\n");
    return 0;
  }
  std::string csv = "row,risk,margin,top_contributions\n";
  for (const auto& r : preds["rows"]) {
    std::string top;
    if (r.contains("contributions"))
      for (const auto& c : r["contributions"])
        top += (top.empty() ? "" : "; ") + c["feature"].get<std::string>() + " " +
               (c["contribution"].get<double>() >= 0 ? "+" : "") + fmt(c["contribution"].get<double>());
    else
      top = r.value("reason", "");
    std::string field;
    append_csv_field(field, top);
    csv += std::to_string(r["row"].get<size_t>()) + "," + (r["risk"].is_number() ? fmt(r["risk"].get<double>(), 6) : "") +
           "," + (r.contains("margin") ? fmt(r["margin"].get<double>(), 6) : "") + "," + field + "\n";
  }
  cli::write_output(o.out, csv);
  return 0;
}

int run_audit(PredictOptions& o) {
  if (o.fit.groups.empty()) throw InvalidInput("predict audit: give at least one --group COLUMN");
  const Model m = load_predict_model(o.model_path);
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  const Dataset d = make_dataset(data.table, m.design, m.outcome, o.data);
  AuditInput a;
  a.table = &data.table;
  a.rows = d.rows;
  a.margin = m.margin(d.x, d.n);
  a.risk = m.risk_from_margin(a.margin);
  a.survival = d.task == Task::kSurvival;
  a.y = d.y;
  a.time = d.time;
  a.event = d.event;
  a.horizon = m.outcome.horizon;
  if (a.survival && !std::isfinite(a.horizon)) throw InvalidInput(o.model_path + ": the model has no horizon");
  double prev = 0;
  if (a.survival) prev = 1 - kaplan_meier(d.time, d.event).at(a.horizon);
  else
    for (double v : d.y) prev += v / d.n;
  a.threshold = std::isnan(o.fit.threshold) ? prev : o.fit.threshold;
  a.feature_columns = m.design.columns();
  a.bootstrap = o.fit.bootstrap;
  a.seed = o.common.seed;
  const json r = audit(a, o.fit.groups);
  if (!o.common.json_out.empty()) write_file_atomic(o.common.json_out, r.dump(2) + "\n");
  if (o.common.json) {
    cli::write_output("", r.dump(2) + "\n");
    return 0;
  }
  std::printf("threshold %.3f; %s\n", r["threshold"].get<double>(), r["note"].get<std::string>().c_str());
  for (const auto& g : r["groups"]) {
    std::printf("%s\n", g["group"].get<std::string>().c_str());
    for (const auto& l : g["levels"])
      std::printf("  %-12s n=%-5zu disc %s  TPR %s  FPR %s\n", l["level"].get<std::string>().c_str(), l["n"].get<size_t>(),
                  ci(l["discrimination"]).c_str(), ci(l["tpr"]).c_str(), ci(l["fpr"]).c_str());
    for (const char* k : {"tpr_gap", "fpr_gap", "demographic_parity_gap"}) std::printf("  %-24s %s\n", k, ci(g["gaps"][k]).c_str());
    for (const auto& w : g["warnings"]) std::printf("  warning: %s\n", w.get<std::string>().c_str());
  }
  return 0;
}

int run_card(PredictOptions& o) {
  if (o.out.empty()) throw InvalidInput("predict card: -o CARD.html is required");
  const Model m = load_predict_model(o.model_path);
  write_file_atomic(o.out, model_card_html(m.card));
  return 0;
}

int run_forecast(PredictOptions& o) {
  const Context ctx = cli::make_context(o.common);
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  TrajectoryOptions t;
  t.id = o.trajectory_id;
  t.time = o.trajectory_time;
  t.markers = o.markers;
  json r = forecast_trajectories(data.table, t, o.data);
  if (!o.model_path.empty()) {
    const Model m = load_predict_model(o.model_path);
    o.forecast_risk.seed = ctx.seed;
    r["risk"] = forecast_risk(data.table, t, m, o.forecast_risk, o.data);
  } else if (!o.forecast_risk.patient.empty()) {
    throw InvalidInput("--patient goes with -m MODEL.json (the risk implied by the forecasts)");
  }
  if (!o.out.empty()) write_file_atomic(o.out, r.dump(2) + "\n");
  if (o.common.json || o.out.empty()) {
    if (o.common.json) cli::write_output("", r.dump(2) + "\n");
    else
      for (const auto& m : r["markers"])
        std::printf("%s: %zu patients, one-step-ahead coverage of 95%% intervals %.3f, MAE %.3f (log scale %s)\n",
                    m["marker"].get<std::string>().c_str(), m["patients"].get<size_t>(),
                    m["evaluation"]["coverage95"].get<double>(), m["evaluation"]["mae"].get<double>(),
                    m["log_scale"].get<bool>() ? "yes" : "no");
    if (!o.common.json && r.contains("risk")) {
      const json& k = r["risk"];
      std::printf("risk within %s of the forecast time (%s, forecast %s after each visit):\n",
                  fmt(k["horizon"].get<double>(), 0).c_str(), k["model"].get<std::string>().c_str(),
                  fmt(k["next_visit_after"].get<double>(), 0).c_str());
      size_t shown = 0;
      for (const auto& p : k["points"]) {
        if (o.forecast_risk.patient.empty() && ++shown > 10) break;
        std::printf("  patient %s at %s: observed %s, implied by the forecast %s\n", p["id"].get<std::string>().c_str(),
                    fmt(p["visit_time"].get<double>(), 0).c_str(),
                    p["risk_observed"].is_number() ? fmt(p["risk_observed"].get<double>()).c_str() : "n/a",
                    p.contains("risk") ? (fmt(p["risk"].get<double>()) + " (95% " + fmt(p["risk_lo95"].get<double>()) + "-" +
                                          fmt(p["risk_hi95"].get<double>()) + ")").c_str()
                                       : p.value("note", "n/a").c_str());
      }
      if (o.forecast_risk.patient.empty() && k["points"].size() > 10)
        std::printf("  ... %zu patients in all (-o or --json for every one)\n", k["points"].size());
    }
  }
  (void)ctx;
  return 0;
}

int run_synthetic(PredictOptions& o) {
  const Context ctx = cli::make_context(o.common);
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  TrainInput in;
  in.table = &data.table;
  in.schema = &data.schema;
  in.source = o.data;
  in.sha256 = data.sha256;
  in.outcome = o.outcome;
  in.options = o.fit;
  const json r = synthetic_experiment(in, o.synthetic, ctx);
  if (!o.out.empty()) write_file_atomic(o.out, r.dump(2) + "\n");
  if (o.common.json) {
    cli::write_output("", r.dump(2) + "\n");
    return 0;
  }
  const char* key = data.table.num_rows() && o.outcome.time.empty() ? "auroc" : "c_index";
  const json& t = r["tstr"];
  std::printf("real held-out rows: %zu; %s trained on real: %.3f", r["split"]["test_rows"].get<size_t>(), key,
              t["real"]["overall"][key].get<double>());
  if (t["synthetic"].contains("overall"))
    std::printf(", on %s synthetic: %.3f (%.0f%% of the skill above chance kept)\n", o.synthetic.synthesizer.c_str(),
                t["synthetic"]["overall"][key].get<double>(), 100 * t["retained"].get<double>());
  else
    std::printf("\n");
  if (r.contains("augmentation"))
    for (const auto& a : r["augmentation"]) {
      if (!a.contains("change")) continue;
      const json& c = a["change"];
      std::printf("  %-12s +%-5zu rows  AUROC %+.3f  recall %+.3f  Brier %+.4f  slope %+.2f  %s\n",
                  a["method"].get<std::string>().c_str(), a["added_rows"].get<size_t>(), c["auroc"].get<double>(),
                  c["recall"].get<double>(), c["brier"].get<double>(), c["calibration_slope"].get<double>(),
                  a["helped"].get<bool>() ? "helped" : "did not help");
    }
  return 0;
}

void outcome_options(CLI::App* c, PredictOptions& o) {
  c->add_option("--outcome", o.outcome.outcome, "binary outcome column");
  c->add_option("--positive", o.outcome.positive, "label of --outcome that counts as positive");
  c->add_option("--time", o.outcome.time, "time-to-event: follow-up time column (> 0)");
  c->add_option("--event", o.outcome.event, "time-to-event: event indicator column");
  c->add_option("--event-value", o.outcome.event_value, "value of --event meaning the event (default 1/true/yes)");
  cli::add_real(c, "--horizon", &o.outcome.horizon, "risk horizon in time units (default: median follow-up)", 0, 1e12, true);
}

cli::Command add_predict_command(CLI::App& app) {
  static PredictOptions o;
  CLI::App* pr = app.add_subcommand("predict", "clinical prediction: fit with honest evaluation, explain, audit for bias");
  pr->require_subcommand(1);

  CLI::App* fit = pr->add_subcommand("fit", "fit a Cox, logistic, XGBoost or DeepSurv model, cross-validate it, write a model card");
  fit->add_option("data", o.data, "CSV table")->required();
  fit->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  outcome_options(fit, o);
  fit->add_option("--model", o.fit.model, "cox | logistic | xgboost | deepsurv")->capture_default_str();
  fit->add_option("--features", o.fit.features, "comma-separated features, log(col) allowed (default: every usable column)");
  fit->add_option("--missing", o.fit.missing, "drop | impute | keep (default drop; keep for xgboost)");
  cli::add_real(fit, "--l2", &o.fit.l2, "ridge penalty on standardised coefficients (cox, logistic)", 0, 1e9);
  fit->add_flag("--tune", o.fit.tune, "choose l2 or depth/rounds by inner cross-validation (nested)");
  cli::add_integer<int>(fit, "--rounds", &o.fit.boost.rounds, "xgboost: boosting rounds", 1, 100000)->default_str("200");
  cli::add_integer<int>(fit, "--max-depth", &o.fit.boost.max_depth, "xgboost: tree depth", 1, 16)->default_str("3");
  cli::add_real(fit, "--eta", &o.fit.boost.eta, "xgboost: learning rate", 0, 1, true)->default_str("0.05");
  fit->add_option("--hidden", o.hidden, "deepsurv: hidden layer widths (default 32,32)");
  cli::add_real(fit, "--dropout", &o.fit.neural.dropout, "deepsurv: dropout after each hidden layer", 0, 0.99)->default_str("0.1");
  cli::add_real(fit, "--weight-decay", &o.fit.neural.weight_decay, "deepsurv: L2 weight decay", 0, 9.99)->default_str("0.001");
  cli::add_real(fit, "--lr", &o.fit.neural.lr, "deepsurv: Adam learning rate", 0, 1, true)->default_str("0.001");
  cli::add_integer<int>(fit, "--epochs", &o.fit.neural.epochs, "deepsurv: most epochs", 1, 100000)->default_str("500");
  cli::add_integer<int>(fit, "--batch", &o.fit.neural.batch, "deepsurv: rows per mini-batch (0 = full batch)", 0, 10000000)->default_str("0");
  fit->add_option("--ties", o.fit.neural.ties, "deepsurv: breslow | efron")->capture_default_str();
  cli::add_real(fit, "--val-share", &o.fit.neural.validation, "deepsurv: share held out for early stopping", 0.01, 0.5)->default_str("0.2");
  cli::add_integer<int>(fit, "--patience", &o.fit.neural.patience, "deepsurv: epochs without improvement before stopping", 1, 100000)->default_str("50");
  cli::add_integer<int>(fit, "--folds", &o.fit.folds, "cross-validation folds", 2, 20)->default_str("5");
  cli::add_integer<int>(fit, "--bootstrap", &o.fit.bootstrap, "bootstrap resamples for intervals", 0, 10000)->default_str("200");
  fit->add_option("--compare-features", o.fit.compare_features, "also cross-validate these features on the same rows and folds (paired difference)");
  fit->add_option("--group", o.fit.groups, "bias audit group: COLUMN or COLUMN:cut,cut (repeatable)");
  cli::add_real(fit, "--threshold", &o.fit.threshold, "audit decision threshold (default: outcome rate)", 0, 1, true);
  fit->add_flag("--allow-leak", o.fit.allow_leak, "warn instead of refusing a feature that leaks the outcome");
  fit->add_option("--visits", o.visits, "long table of visits (one row per visit) summarised up to a landmark");
  fit->add_option("--id", o.landmark.id, "with --visits: patient column in both tables");
  fit->add_option("--visit-time", o.landmark.time, "with --visits: visit time column (outcome's clock and units)");
  cli::add_real(fit, "--window", &o.landmark.window, "with --visits: landmark; visits up to it are summarised, the outcome clock restarts there", 0, 1e12, true);
  fit->add_option("--visit-columns", o.visit_columns, "with --visits: lab columns to summarise (comma-separated)");
  fit->add_option("--summaries", o.summaries, "with --visits: of last, mean, slope, min, max, count (default last,mean,slope,count)");
  cli::add_real(fit, "--slope-per", &o.landmark.slope_per, "with --visits: slopes per this many time units (365.25: per year with days)", 0, 1e12, true)->default_str("1");
  fit->add_option("-o,--output", o.out, "model file (JSON)")->required();
  fit->add_option("--card", o.card, "model card as HTML");
  fit->add_option("--card-json", o.card_json, "model card as JSON");
  cli::add_common(fit, &o.common, cli::kNone, "print the performance summary as JSON");

  CLI::App* ap = pr->add_subcommand("apply", "score a table: risk, margin and per-prediction contributions");
  ap->add_option("data", o.data, "CSV table")->required();
  ap->add_option("--model,-m", o.model_path, "model file from 'predict fit'")->required();
  ap->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  ap->add_option("-o,--output", o.out, "predictions CSV (default: stdout)");
  cli::add_integer<size_t>(ap, "--top", &o.top, "contributions per row (0 = all)", 0, 100000)->default_str("5");
  cli::add_common(ap, &o.common, cli::kNone, "print every prediction with its contributions as JSON");

  CLI::App* au = pr->add_subcommand("audit", "bias audit of a model on labelled (held-out) data");
  au->add_option("data", o.data, "CSV table with the outcome")->required();
  au->add_option("--model,-m", o.model_path, "model file")->required();
  au->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  au->add_option("--group", o.fit.groups, "group: COLUMN or COLUMN:cut,cut (repeatable)");
  cli::add_real(au, "--threshold", &o.fit.threshold, "decision threshold (default: outcome rate)", 0, 1, true);
  cli::add_integer<int>(au, "--bootstrap", &o.fit.bootstrap, "bootstrap resamples", 0, 10000)->default_str("200");
  cli::add_common(au, &o.common, cli::kJsonOut, "print the audit as JSON");

  CLI::App* cd = pr->add_subcommand("card", "write a model file's card as HTML");
  cd->add_option("--model,-m", o.model_path, "model file")->required();
  cd->add_option("-o,--output", o.out, "HTML file")->required();
  cli::add_common(cd, &o.common);

  CLI::App* fc = pr->add_subcommand("forecast", "biomarker trajectories: next values with uncertainty, updated per visit");
  fc->add_option("data", o.data, "long table: one row per visit")->required();
  fc->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  fc->add_option("--id", o.trajectory_id, "patient column")->required();
  fc->add_option("--visit-time", o.trajectory_time, "visit time column")->required();
  fc->add_option("--marker", o.markers, "biomarker column (repeatable)")->required();
  fc->add_option("--model,-m", o.model_path, "survival model file: also the risk implied by the forecasts");
  fc->add_option("--patient", o.forecast_risk.patient, "with -m: this patient's risk after each of its visits");
  cli::add_real(fc, "--at", &o.forecast_risk.at, "with -m: each patient's latest visit at or before this time (default: latest)", -1e12, 1e12);
  cli::add_integer<int>(fc, "--draws", &o.forecast_risk.draws, "with -m: draws from the forecasts for the risk's interval", 10, 100000)->default_str("200");
  fc->add_option("-o,--output", o.out, "forecasts JSON");
  cli::add_common(fc, &o.common, cli::kNone, "print the forecasts as JSON");

  CLI::App* sy = pr->add_subcommand("synthetic", "what synthetic data adds: train on synthetic, test on real; augmentation");
  sy->add_option("data", o.data, "CSV table")->required();
  sy->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  outcome_options(sy, o);
  sy->add_option("--model", o.fit.model, "cox | logistic | xgboost")->capture_default_str();
  sy->add_option("--features", o.fit.features, "comma-separated features (default: every usable column)");
  sy->add_option("--missing", o.fit.missing, "drop | impute | keep (default impute; keep for xgboost)");
  cli::add_real(sy, "--l2", &o.fit.l2, "ridge penalty (cox, logistic)", 0, 1e9);
  cli::add_integer<int>(sy, "--rounds", &o.fit.boost.rounds, "xgboost: boosting rounds", 1, 100000)->default_str("200");
  sy->add_option("--synthesizer", o.synthetic.synthesizer, "copula | cart")->capture_default_str();
  cli::add_real(sy, "--test-share", &o.synthetic.test_share, "real rows held out", 0.1, 0.5)->default_str("0.3");
  sy->add_option("--augment-group", o.synthetic.group, "augment and score COLUMN=VALUE (default: the positive outcome)");
  sy->add_option("-o,--output", o.out, "results JSON");
  cli::add_common(sy, &o.common, cli::kNone, "print the results as JSON");

  cli::Command c;
  c.app = pr;
  c.run = [fit, ap, au, cd, fc, sy]() {
    if (sy->parsed()) return run_synthetic(o);
    if (fit->parsed()) return run_fit(o);
    if (ap->parsed()) return run_apply(o);
    if (au->parsed()) return run_audit(o);
    if (cd->parsed()) return run_card(o);
    if (fc->parsed()) return run_forecast(o);
    return 1;
  };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_predict_command);
