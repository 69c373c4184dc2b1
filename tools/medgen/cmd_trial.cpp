// medgen trial: virtual clinical trials learned from a real trial's table. Thin: parses flags,
// calls medgen/trial (learn_trial, simulate_trials), prints.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/tabular/pipeline.h"
#include "medgen/trial/learn.h"
#include "medgen/trial/simulate.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::trial;

namespace {

struct TrialOptions {
  std::string data, schema, out, covariates, per_arm, params = "{}";
  std::vector<std::string> treatments, hr, where, eligible;
  TrialColumns columns;
  LearnOptions learn;
  TrialDesign design;
  cli::CommonOptions common;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t a = 0;
  while (a <= s.size()) {
    const size_t b = std::min(s.find(sep, a), s.size());
    std::string t = s.substr(a, b - a);
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (!t.empty()) out.push_back(t);
    a = b + 1;
  }
  return out;
}

int run_trial(TrialOptions& o) {
  const Context ctx = cli::make_context(o.common);
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& w : o.where) o.columns.where.push_back(Filter::parse(w, "--where"));
  for (const auto& e : o.eligible) o.design.eligible.push_back(Filter::parse(e, "--eligible"));
  o.columns.treatments = o.treatments;
  o.columns.covariates = split(o.covariates, ',');
  for (const auto& s : split(o.per_arm, ','))
    o.design.per_arm.push_back(cli::parse_unsigned("--per-arm", s, 2, 1000000));
  try {
    o.learn.synthesizer_params = json::parse(o.params);
  } catch (const json::exception& e) {
    throw InvalidInput(std::string("--params: not JSON: ") + e.what());
  }
  if (!o.learn.synthesizer_params.is_object()) throw InvalidInput("--params: expected a JSON object");
  for (const char* s : {"ctgan", "tvae", "diffusion", "autoregressive"})
    if (o.learn.synthesizer == s)
      throw InvalidInput("--synthesizer: '" + o.learn.synthesizer + "' trains a neural network; use copula, cart or independent here");
  tabular::Dataset data = tabular::load_dataset(o.data, o.schema);
  LearnedTrial learned = learn_trial(data.table, data.schema, o.data, o.columns, o.learn, ctx);
  const size_t treated = learned.arms.size() - 1;
  if (o.hr.empty()) o.hr.push_back("learned");
  if (o.hr.size() == 1 && treated > 1) o.hr.resize(treated, o.hr[0]);
  for (const auto& h : o.hr)
    o.design.hr.push_back(h == "learned" ? NAN : cli::parse_real("--hr", h, 0, 100, true));
  const json r = simulate_trials(learned, data.table, o.design, ctx);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.out.empty()) files.emplace_back(o.out, r.dump(2) + "\n");
  if (!o.common.json_out.empty()) files.emplace_back(o.common.json_out, r.dump(2) + "\n");
  if (!files.empty()) write_files_atomic(files);
  if (!o.common.quiet)
    for (const auto& w : learned.warnings) cli::note(o.common, "warning: " + w);
  if (o.common.json) {
    cli::write_output("", r.dump(2) + "\n");
    return 0;
  }
  const json& d = r["design"];
  std::printf("%d simulated trials (and %d of the null design), patients per arm:", d["trials"].get<int>(),
              d["trials"].get<int>());
  for (const auto& n : d["per_arm"]) std::printf(" %zu", n.get<size_t>());
  std::printf("; censoring %s; %.1f s\n", d["censoring"].get<std::string>().c_str(), seconds);
  for (const auto& c : r["comparisons"]) {
    const json& e = c["design"]["hr_estimate"];
    std::printf("%s vs %s (hr %s):\n", c["treatment"].get<std::string>().c_str(), c["control"].get<std::string>().c_str(),
                c["design_hr"].is_string() ? "learned from the real arm" : std::to_string(c["design_hr"].get<double>()).c_str());
    std::printf("  power         Wald %.3f  log-rank %.3f  (Monte Carlo SE %.3f)\n", c["power_wald"].get<double>(),
                c["power_logrank"].get<double>(), c["design"]["rejections_wald"]["mcse"].get<double>());
    std::printf("  type-I error  Wald %.3f  log-rank %.3f  (Monte Carlo SE %.3f; alpha %.3f)\n", c["type1_wald"].get<double>(),
                c["type1_logrank"].get<double>(), c["null"]["rejections_wald"]["mcse"].get<double>(), d["alpha"].get<double>());
    std::printf("  estimated HR  median %.3f, 95%% of trials in %.3f-%.3f; mean events %.1f\n", e["median_hr"].get<double>(),
                e["q025_hr"].get<double>(), e["q975_hr"].get<double>(), c["design"]["mean_events"].get<double>());
    if (c.contains("real_reference")) {
      const json& ref = c["real_reference"];
      std::printf("  real trial    Cox HR %.3f (95%% CI %.3f-%.3f), %zu events: %s the simulation's interval\n",
                  ref["hr"].get<double>(), ref["lo95"].get<double>(), ref["hi95"].get<double>(), ref["events"].get<size_t>(),
                  c["reference_inside_interval"].get<bool>() ? "inside" : "OUTSIDE");
    }
  }
  return 0;
}

cli::Command add_trial_command(CLI::App& app) {
  static TrialOptions o;
  CLI::App* t = app.add_subcommand("trial", "virtual clinical trials: power, type-I error and the hazard ratio by simulation");
  t->add_option("data", o.data, "the real trial's table (CSV)")->required();
  t->add_option("--schema", o.schema, "schema JSON (default: inferred)");
  t->add_option("--arm", o.columns.arm, "treatment arm column")->required();
  t->add_option("--control", o.columns.control, "label of the control arm")->required();
  t->add_option("--treatment", o.treatments, "label of a treated arm (repeatable; default: every other arm)");
  t->add_option("--time", o.columns.time, "follow-up time column (> 0)")->required();
  t->add_option("--event", o.columns.event, "event indicator column (1 = event)")->required();
  t->add_option("--event-value", o.columns.event_value, "value of --event meaning the event (default 1/true/yes)");
  t->add_option("--where", o.where, "use only rows with COLUMN OP VALUE (repeatable), e.g. etype=1");
  t->add_option("--covariates", o.covariates, "baseline covariates, comma-separated (default: every usable column)");
  t->add_option("--synthesizer", o.learn.synthesizer, "synthesizer for the patients: cart | copula | independent")
      ->capture_default_str();
  t->add_option("--params", o.params, "synthesizer options as a JSON object");
  t->add_flag("--patients-from-all-arms", o.learn.patients_from_all_arms,
              "learn the patients from every arm (randomised) instead of the control's alone");
  t->add_option("--hr", o.hr, "hazard ratio of a treated arm vs control, or 'learned' (repeatable, one per arm) [learned]");
  t->add_option("--per-arm", o.per_arm, "patients per arm, control first, comma-separated (default: the real trial's)");
  t->add_option("--eligible", o.eligible, "eligibility: COLUMN OP VALUE on the covariates (repeatable)");
  cli::add_real(t, "--accrual", &o.design.accrual, "accrual period (time units; with --follow-up; default: the real censoring)", 0, 1e9);
  cli::add_real(t, "--follow-up", &o.design.follow_up, "follow-up after the last patient enters (time units)", 0, 1e9, true);
  cli::add_real(t, "--dropout", &o.design.dropout, "share lost to follow-up by --follow-up", 0, 0.98)->default_str("0");
  cli::add_integer<int>(t, "--trials", &o.design.trials, "simulated trials (and as many null trials)", 10, 10000000)
      ->default_str("1000");
  cli::add_real(t, "--alpha", &o.design.alpha, "two-sided significance level", 0, 0.49, true)->default_str("0.05");
  t->add_option("-o,--output", o.out, "results JSON");
  cli::add_common(t, &o.common, cli::kJsonOut, "print the results as JSON");
  cli::Command c;
  c.app = t;
  c.run = []() { return run_trial(o); };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_trial_command);
