// medgen evaluate: fidelity, utility and privacy of a synthetic CSV against the real one,
// as an HTML and/or JSON report, with an optional release gate (exit 3 when it fails).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "medgen/core/context.h"
#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/gate.h"
#include "medgen/eval/report_html.h"
#include "medgen/tabular/disclosure.h"
#include "medgen/tabular/synthesizer.h"
#include "options.h"

namespace {

using namespace medgen;
using namespace medgen::eval;

struct EvaluateArgs {
  EvalFiles files;
  EvalOptions options;
  std::string report, gate, model;
  cli::CommonOptions common;  // --json-out FILE: the JSON report; --json: the JSON report on stdout
  CLI::App* app = nullptr;
  std::vector<std::string> missing;
  char delimiter = ',';
};

std::string number(const nlohmann::ordered_json& j, int digits = 3) {
  if (!j.is_number()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, j.get<double>());
  return b;
}

std::string signed_number(const nlohmann::ordered_json& j) {
  if (!j.is_number()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.3f", j.get<double>());
  return b;
}

std::string summary_text(const nlohmann::ordered_json& r) {
  const auto& s = r["summary"];
  const bool ceiling = s["quality_ceiling"].is_number();
  std::string t;
  // First the boosted-tree detection AUC beside the holdout's, and what gives the rows away.
  t += "detection AUC      " + number(s["detection_auc"]) +
       (s["detection_auc_holdout"].is_number() ? "   (holdout " + number(s["detection_auc_holdout"]) + ", margin " +
                                                     signed_number(s["detection_auc_margin"]) + ")"
                                               : "") +
       "   XGBoost; 0.5 = cannot tell\n";
  const nlohmann::ordered_json* hints = nullptr;
  if (r.contains("fidelity") && r["fidelity"].contains("detection") && r["fidelity"]["detection"].contains("hints"))
    hints = &r["fidelity"]["detection"]["hints"];
  if (hints && hints->contains("telling") && !(*hints)["telling"].get<bool>()) {
    t += "  given away by    nothing clearly (AUC within 2 s.e. of " +
         std::string(s["detection_auc_holdout"].is_number() ? "the holdout's or of 0.5" : "0.5") + ")\n";
  } else if (hints && hints->contains("columns") && (*hints)["columns"].is_array() && !(*hints)["columns"].empty() &&
             (*hints)["columns"][0]["importance"].is_number() &&
             (*hints)["columns"][0]["importance"].get<double>() > 0) {
    std::string top;
    for (size_t i = 0; i < (*hints)["columns"].size() && i < 3; ++i) {
      const auto& c = (*hints)["columns"][i];
      top += (i ? ", " : "") + c["name"].get<std::string>() + " " +
             number(c["importance"].get<double>() * 100, 0) + "%";
    }
    t += "  given away by    " + top + "\n";
    const auto& c = (*hints)["columns"][0];
    if (c.contains("region") && c["region"].contains("bin"))
      t += "  worst region     " + c["name"].get<std::string>() + " " + c["region"]["bin"].get<std::string>() +
           ": real " + number(c["region"]["real_share"].get<double>() * 100, 1) + "%, synthetic " +
           number(c["region"]["synthetic_share"].get<double>() * 100, 1) + "%\n";
  }
  t += "quality            " + number(s["quality"]) +
       (ceiling ? "   (holdout " + number(s["quality_ceiling"]) + ")" : "") + "\n";
  t += "  column shapes    " + number(s["column_shapes"]) + "\n";
  t += "  pair trends      " + number(s["pair_trends"]) + "\n";
  // The other definition, where it tells a different story (docs/evaluation.md).
  const bool sdm = s.value("quality_definition", "") == "sdmetrics";
  if (s["quality"].is_number() && s["quality_alternative"].is_number() &&
      std::fabs(s["quality"].get<double>() - s["quality_alternative"].get<double>()) > 0.01)
    t += std::string(sdm ? "  medgen's definition " : "  SDMetrics' definition ") + number(s["quality_alternative"]) +
         (sdm ? "   (decile bins, present values)" : "   (equal-width bins, missing as a category)") + "\n";
  t += "detection score    " + number(s["detection_score"]) +
       (ceiling ? "   (holdout " + number(s["detection_score_ceiling"]) + ")" : "") + "\n";
  if (s["utility_ratio"].is_number()) t += "utility TSTR/TRTR  " + number(s["utility_ratio"]) + "\n";
  t += "exact copies       " + number(s["exact_copy_rate"], 4) + "   (excess over holdout " +
       number(s["excess_exact_copy_rate"], 4) + ")\n";
  t += "DCR median         " + number(s["dcr_median_synthetic"]) +
       (s["dcr_median_holdout"].is_number() ? "   (holdout " + number(s["dcr_median_holdout"]) + ")" : "") + "\n";
  t += "closer to train    " + number(s["share_closer_to_train"]) + "   (0.5 ideal)\n";
  t += "membership AUC     " + number(s["membership_auc"]) + "   (0.5 ideal)\n";
  if (s["k_anonymity"].is_number()) t += "k-anonymity        " + number(s["k_anonymity"], 0) + "\n";
  return t;
}

int run_evaluate(const EvaluateArgs& a) {
  const std::string& json_path = a.common.json_out;
  if (a.report.empty() && json_path.empty() && !a.common.json)
    throw InvalidInput("evaluate: give --report FILE.html, --json-out FILE.json and/or --json (the report on stdout)");
  if (cli::is_folder(a.files.real)) {
    // Datasets of several tables: the records module's evaluation (docs/records.md).
    if (!cli::dataset_hooks().evaluate)
      throw InvalidInput("evaluate: datasets of several tables need the records module (left out of this build)");
    return cli::dataset_hooks().evaluate(*a.app, a.common);
  }
  a.options.validate();
  // Read the gate before the work, so that a bad gate file fails in a second, not a minute.
  Gate gate;
  if (!a.gate.empty()) gate = Gate::read(a.gate);
  // What the model file reveals, from its header; read (and validated) before the work too.
  nlohmann::json disclosure;
  if (!a.model.empty()) disclosure = tabular::model_disclosure_json(tabular::load_model(a.model).header);
  const Context ctx = cli::make_context(a.common);
  CsvOptions csv;
  csv.delimiter = a.delimiter;
  if (!a.missing.empty()) {
    csv.missing_tokens = {""};
    for (const auto& m : a.missing) csv.missing_tokens.push_back(m);
  }
  const EvalData data = load_eval_data(a.files, csv);
  nlohmann::ordered_json report = evaluate(data, a.options, ctx);
  if (!a.model.empty()) add_model_disclosure(&report, a.model, disclosure);
  GateResult verdict;
  if (!a.gate.empty()) {
    verdict = apply_gate(report, gate);
    report["gate"] = verdict.to_json();
    report["gate"]["thresholds"] = gate.to_json();
  }
  // Both rendered, then written all or nothing: a failure on either leaves neither.
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!a.report.empty()) outputs.emplace_back(a.report, render_html(report));
  const std::string json_text = json_path.empty() && !a.common.json ? "" : report.dump(2) + "\n";
  if (!json_path.empty()) outputs.emplace_back(json_path, json_text);
  write_files_atomic(outputs);
  for (const auto& w : data.warnings) cli::note(a.common, "note: " + w);
  // The results on stdout whatever -q says: the JSON report with --json, else the summary.
  std::printf("%s", a.common.json ? json_text.c_str() : summary_text(report).c_str());
  std::fflush(stdout);
  if (!a.gate.empty()) {
    if (!verdict.passed) {
      for (const std::string& f : verdict.failures()) std::fprintf(stderr, "medgen: gate failed: %s\n", f.c_str());
      return kGateFailedExitCode;
    }
    cli::note(a.common, "gate passed (" + std::to_string(verdict.checks.size()) + " checks)");
  }
  return 0;
}

medgen::cli::Command add_evaluate_command(CLI::App& app) {
  static EvaluateArgs a;
  auto* cmd = a.app = app.add_subcommand("evaluate", "score a synthetic CSV (or dataset folder) against the real one: fidelity, utility, privacy");
  cmd->add_option("--real", a.files.real, "real (training) CSV the synthesizer learned from, or a dataset folder")->required();
  cmd->add_option("--synthetic", a.files.synthetic, "synthetic CSV to evaluate")->required();
  cmd->add_option("--holdout", a.files.holdout,
                  "real CSV the synthesizer never saw (ceiling scores, utility, privacy)");
  cmd->add_option("--schema", a.files.schema, "schema JSON for all three files (default: inferred from --real)");
  cmd->add_option("--target", a.options.target, "utility: column to predict (needs --holdout)");
  cmd->add_option("--report", a.report, "HTML report to write (self-contained, opens offline)");
  cmd->add_option("--model", a.model,
                  "model file the synthetic rows came from: the report states what sharing it would reveal");
  cmd->add_option("--gate", a.gate, "gate JSON: thresholds; exit 3 when one fails (see docs/evaluation.md)");
  cmd->add_option("--sensitive", a.options.sensitive, "attribute inference: sensitive column (repeatable)");
  cmd->add_option("--quasi", a.options.quasi,
                  "quasi-identifier column for attribute inference and k-anonymity (repeatable)");
  cmd->add_flag("--spearman", a.options.spearman, "pair trends of numeric pairs on Spearman's rho (default Pearson)");
  cmd->add_flag("--sdmetrics", a.options.sdmetrics,
                "headline quality by SDMetrics 0.29's definitions (equal-width bins, missing as a category); both are reported");
  cli::add_integer<size_t>(cmd, "--detection-rows", &a.options.detection_rows, "rows per side sampled for detection",
                           10, 100000000)
      ->default_str(std::to_string(a.options.detection_rows));
  cli::add_integer<size_t>(cmd, "--privacy-queries", &a.options.privacy_queries,
                           "query rows sampled per distance metric", 10, 100000000)
      ->default_str(std::to_string(a.options.privacy_queries));
  cli::add_common(cmd, &a.common, cli::kJsonOut,
                  "print the JSON report on stdout instead of the summary (threads: XGBoost's; the rest runs on one)");
  cmd->add_option("--missing", a.missing, "text meaning 'missing' (repeatable; replaces the defaults NA NaN ?)");
  cmd->add_option("--delimiter", a.delimiter, "field separator")->capture_default_str();
  // Datasets of several tables only (docs/records.md): the utility window and left-out columns.
  static std::string window;
  static std::vector<std::string> exclude;
  cmd->add_option("--window", window, "datasets: --target is predicted from the first WINDOW time units (default 365)");
  cmd->add_option("--exclude", exclude, "datasets: top-level column never used to predict --target (repeatable)");
  return {cmd, [] { return run_evaluate(a); }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_evaluate_command);
