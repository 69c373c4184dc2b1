// medgen epi: outbreak forecasts from an incidence series, scored on its held-out part against
// the renewal R(t) and persistence baselines. Thin: parses flags, calls medgen/epi, prints.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "commands.h"
#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/epi/evaluate.h"
#include "medgen/epi/series.h"
#include "options.h"

using json = nlohmann::json;
using namespace medgen;
using namespace medgen::epi;

namespace {

struct EpiOptions {
  std::string data, meta, cases = "cases", step, out;
  double si_mean = NAN, si_sd = NAN;
  EvaluateOptions eval;
  cli::CommonOptions common;
};

int run_epi(EpiOptions& o) {
  cli::make_context(o.common);
  Series s = read_series(o.data, o.cases);
  std::string meta = o.meta;
  if (meta.empty()) {
    const auto beside = std::filesystem::path(o.data).parent_path() / "series.json";
    if (std::filesystem::exists(beside)) meta = beside.string();
  }
  const bool have_si = !std::isnan(o.si_mean) || !std::isnan(o.si_sd);
  bool found = false;
  if (!meta.empty() && !have_si) found = apply_metadata(&s, meta);
  if (!o.step.empty()) {
    if (o.step != "day" && o.step != "week") throw InvalidInput("--step must be day or week, got '" + o.step + "'");
    s.step = o.step;
  }
  if (have_si) {
    if (std::isnan(o.si_mean) || std::isnan(o.si_sd)) throw InvalidInput("--si-mean and --si-sd go together");
    s.si = discretised_gamma_si(o.si_mean, o.si_sd);
    s.si_mean = 0;
    for (size_t k = 0; k < s.si.size(); ++k) s.si_mean += k * s.si[k];
  } else if (!found) {
    throw InvalidInput(o.data + ": no serial interval: give --si-mean and --si-sd (in steps), or a series.json listing this file");
  }
  const json r = evaluate_forecasts(s, o.eval, o.common.seed);
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.out.empty()) files.emplace_back(o.out, r.dump(2) + "\n");
  if (!o.common.json_out.empty()) files.emplace_back(o.common.json_out, r.dump(2) + "\n");
  if (!files.empty()) write_files_atomic(files);
  if (o.common.json) {
    cli::write_output("", r.dump(2) + "\n");
    return 0;
  }
  std::printf("%s: %zu %ss, first %zu to fit, forecasts 1-%d %ss ahead from every later %s\n", r["series"].get<std::string>().c_str(),
              r["steps"].get<size_t>(), s.step.c_str(), r["train_steps"].get<size_t>(), r["horizons"].get<int>(), s.step.c_str(),
              s.step.c_str());
  const json& p = r["seir"];
  std::printf("SEIR: latent %.2f, infectious %.2f %ss; random walk sd %.2f, NB size %.0f, population %s\n",
              p["latent_steps"].get<double>(), p["infectious_steps"].get<double>(), s.step.c_str(), p["rw_sd"].get<double>(),
              p["dispersion"].get<double>(), p["population"].dump().c_str());
  std::printf("%-12s %10s %10s %8s %8s %12s\n", "method", "WIS", "MAE", "cov50", "cov95", "WIS/persist");
  for (const char* m : {"seir", "renewal", "persistence"}) {
    const json& ov = r["methods"][m]["overall"];
    std::printf("%-12s %10.2f %10.2f %8.3f %8.3f %12.3f\n", m, ov["wis"].get<double>(), ov["mae"].get<double>(),
                ov["coverage50"].get<double>(), ov["coverage95"].get<double>(), r["relative_wis_vs_persistence"][m].get<double>());
  }
  std::printf("beyond the end (SEIR): ");
  for (const auto& q : r["forecast_beyond_end"]["seir"])
    std::printf("%.0f [%.0f-%.0f]  ", q["median"].get<double>(), q["lo95"].get<double>(), q["hi95"].get<double>());
  std::printf("\n");
  return 0;
}

cli::Command add_epi_command(CLI::App& app) {
  static EpiOptions o;
  CLI::App* e = app.add_subcommand("epi", "outbreak forecasts: SEIR with time-varying transmission, scored against R(t) and persistence");
  e->add_option("data", o.data, "incidence CSV: one row per day or week, a 'cases' column")->required();
  e->add_option("--cases", o.cases, "column of new cases")->capture_default_str();
  e->add_option("--meta", o.meta, "series metadata JSON (default: series.json beside the data, if any)");
  e->add_option("--step", o.step, "day | week (default: from the metadata, else day)");
  cli::add_real(e, "--si-mean", &o.si_mean, "serial interval mean, in steps (gamma; instead of the metadata)", 0, 1000, true);
  cli::add_real(e, "--si-sd", &o.si_sd, "serial interval sd, in steps", 0, 1000, true);
  cli::add_real(e, "--train-share", &o.eval.train_share, "share of the series used to fit (never scored)", 0.2, 0.9)->default_str("0.5");
  cli::add_integer<int>(e, "--horizons", &o.eval.horizons, "steps ahead (0 = 7 days or 4 weeks)", 0, 60)->default_str("0");
  cli::add_integer<int>(e, "--particles", &o.eval.particles, "particles of the SEIR filter", 50, 1000000)->default_str("1000");
  cli::add_integer<int>(e, "--draws", &o.eval.draws, "forecast paths per origin", 50, 1000000)->default_str("1000");
  cli::add_integer<int>(e, "--window", &o.eval.window, "renewal R(t) window in steps (0 = 7 days or 3 weeks)", 0, 60)->default_str("0");
  cli::add_integer<int>(e, "--refit-every", &o.eval.refit_every, "re-choose the SEIR's hyperparameters every N origins on the data so far (0 = once)", 0, 10000)->default_str("0");
  e->add_option("-o,--output", o.out, "results JSON");
  cli::add_common(e, &o.common, cli::kJsonOut, "print the results as JSON");
  cli::Command c;
  c.app = e;
  c.run = []() { return run_epi(o); };
  return c;
}

}  // namespace

MEDGEN_CLI_COMMAND(add_epi_command);
