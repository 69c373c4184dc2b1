// medgen evaluate: fidelity, utility and privacy of a synthetic CSV against the real one,
// as an HTML and/or JSON report, with an optional release gate (exit 3 when it fails).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "medgen/core/context.h"
#include "medgen/core/csv.h"
#include "medgen/core/error.h"
#include "medgen/eval/evaluate.h"
#include "medgen/eval/gate.h"
#include "medgen/eval/report_html.h"

namespace {

using namespace medgen;
using namespace medgen::eval;

struct EvaluateArgs {
  EvalFiles files;
  EvalOptions options;
  std::string report, json, gate;
  uint64_t seed = 42;
  int threads = 1;
  bool quiet = false;
  std::vector<std::string> missing;
  char delimiter = ',';
};

std::string number(const nlohmann::ordered_json& j, int digits = 3) {
  if (!j.is_number()) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, j.get<double>());
  return b;
}

std::string summary_text(const nlohmann::ordered_json& r) {
  const auto& s = r["summary"];
  const bool ceiling = s["quality_ceiling"].is_number();
  std::string t;
  t += "quality            " + number(s["quality"]) +
       (ceiling ? "   (holdout " + number(s["quality_ceiling"]) + ")" : "") + "\n";
  t += "  column shapes    " + number(s["column_shapes"]) + "\n";
  t += "  pair trends      " + number(s["pair_trends"]) + "\n";
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
  if (a.report.empty() && a.json.empty())
    throw InvalidInput("evaluate: give --report FILE.html and/or --json FILE.json");
  a.options.validate();
  // Read the gate before the work, so that a bad gate file fails in a second, not a minute.
  Gate gate;
  if (!a.gate.empty()) gate = Gate::read(a.gate);
  Context ctx;
  ctx.seed = a.seed;
  ctx.threads = a.threads;
  ctx.validate();
  apply_threads(ctx);
  CsvOptions csv;
  csv.delimiter = a.delimiter;
  if (!a.missing.empty()) {
    csv.missing_tokens = {""};
    for (const auto& m : a.missing) csv.missing_tokens.push_back(m);
  }
  const EvalData data = load_eval_data(a.files, csv);
  nlohmann::ordered_json report = evaluate(data, a.options, ctx);
  GateResult verdict;
  if (!a.gate.empty()) {
    verdict = apply_gate(report, gate);
    report["gate"] = verdict.to_json();
    report["gate"]["thresholds"] = gate.to_json();
  }
  // Both rendered before either is written (a rendering error leaves no file); each write is atomic.
  const std::string json_text = a.json.empty() ? "" : report.dump(2) + "\n";
  const std::string html = a.report.empty() ? "" : render_html(report);
  if (!a.report.empty()) write_file_atomic(a.report, html);
  if (!a.json.empty()) write_file_atomic(a.json, json_text);
  if (!a.quiet) {
    for (const auto& w : data.warnings) std::fprintf(stderr, "medgen: note: %s\n", w.c_str());
    std::printf("%s", summary_text(report).c_str());
    std::fflush(stdout);
  }
  if (!a.gate.empty()) {
    if (!verdict.passed) {
      for (const std::string& f : verdict.failures()) std::fprintf(stderr, "medgen: gate failed: %s\n", f.c_str());
      return kGateFailedExitCode;
    }
    if (!a.quiet) std::fprintf(stderr, "medgen: gate passed (%zu checks)\n", verdict.checks.size());
  }
  return 0;
}

medgen::cli::Command add_evaluate_command(CLI::App& app) {
  static EvaluateArgs a;
  auto* cmd = app.add_subcommand("evaluate", "score a synthetic CSV against the real one: fidelity, utility, privacy");
  cmd->add_option("--real", a.files.real, "real (training) CSV the synthesizer learned from")->required();
  cmd->add_option("--synthetic", a.files.synthetic, "synthetic CSV to evaluate")->required();
  cmd->add_option("--holdout", a.files.holdout,
                  "real CSV the synthesizer never saw (ceiling scores, utility, privacy)");
  cmd->add_option("--schema", a.files.schema, "schema JSON for all three files (default: inferred from --real)");
  cmd->add_option("--target", a.options.target, "utility: column to predict (needs --holdout)");
  cmd->add_option("--report", a.report, "HTML report to write (self-contained, opens offline)");
  cmd->add_option("--json", a.json, "JSON report to write");
  cmd->add_option("--gate", a.gate, "gate JSON: thresholds; exit 3 when one fails (see docs/evaluation.md)");
  cmd->add_option("--sensitive", a.options.sensitive, "attribute inference: sensitive column (repeatable)");
  cmd->add_option("--quasi", a.options.quasi,
                  "quasi-identifier column for attribute inference and k-anonymity (repeatable)");
  cmd->add_flag("--spearman", a.options.spearman, "pair trends of numeric pairs on Spearman's rho (default Pearson)");
  cmd->add_option("--detection-rows", a.options.detection_rows, "rows per side sampled for detection")
      ->capture_default_str();
  cmd->add_option("--privacy-queries", a.options.privacy_queries, "query rows sampled per distance metric")
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "random seed: same seed and inputs give the same report")->capture_default_str();
  cmd->add_option("--threads", a.threads, "threads for XGBoost (the rest runs on one)")->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no summary on stdout, no notes on stderr");
  cmd->add_option("--missing", a.missing, "text meaning 'missing' (repeatable; replaces the defaults NA NaN ?)");
  cmd->add_option("--delimiter", a.delimiter, "field separator")->capture_default_str();
  return {cmd, [] { return run_evaluate(a); }};
}

}  // namespace

MEDGEN_CLI_COMMAND(add_evaluate_command);
