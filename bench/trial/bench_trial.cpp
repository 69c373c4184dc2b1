// Virtual trials on the colon trial (data/colon.csv): for recurrence (etype 1) and death
// (etype 2), Lev+5FU vs observation, (1) the trial's own design re-simulated from both learned
// arms, with the real Cox hazard ratio as the reference; (2) the null design's type-I error over
// many trials; (3) power of a new design at given hazard ratios. One JSON line per result.
// Usage: bench_trial [--trials N] [--null-trials N] [--synthesizer cart|copula] [--seed S] [--threads T]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "medgen/tabular/pipeline.h"
#include "medgen/trial/learn.h"
#include "medgen/trial/simulate.h"

using namespace medgen;
using namespace medgen::trial;

int main(int argc, char** argv) {
  int trials = 1000, null_trials = 5000;
  std::string synth = "cart";
  Context ctx;
  ctx.seed = 1;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--trials") && i + 1 < argc) trials = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--null-trials") && i + 1 < argc) null_trials = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--synthesizer") && i + 1 < argc) synth = argv[++i];
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) ctx.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) ctx.threads = std::atoi(argv[++i]);
  }
  const std::string path = std::string(MEDGEN_SOURCE_DIR) + "/data/colon.csv";
  const tabular::Dataset d = tabular::load_dataset(path, "");
  for (int etype = 1; etype <= 2; ++etype) {
    const char* outcome = etype == 1 ? "recurrence" : "death";
    TrialColumns c;
    c.arm = "rx";
    c.control = "Obs";
    c.treatments = {"Lev+5FU"};
    c.time = "time";
    c.event = "status";
    c.where = {Filter::parse("etype=" + std::to_string(etype), "--where")};
    LearnOptions lo;
    lo.synthesizer = synth;
    auto t0 = std::chrono::steady_clock::now();
    const LearnedTrial L = learn_trial(d.table, d.schema, path, c, lo, ctx);
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

    TrialDesign own;
    own.hr = {NAN};
    own.trials = trials;
    nlohmann::json r = simulate_trials(L, d.table, own, ctx);
    const auto& cmp = r["comparisons"][0];
    std::printf("%s\n", nlohmann::json{{"bench", "trial_own_design"}, {"outcome", outcome}, {"synthesizer", synth},
                                       {"trials", trials}, {"per_arm", r["design"]["per_arm"]},
                                       {"real_hr", cmp["real_reference"]["hr"]}, {"real_lo95", cmp["real_reference"]["lo95"]},
                                       {"real_hi95", cmp["real_reference"]["hi95"]},
                                       {"sim_median_hr", cmp["design"]["hr_estimate"]["median_hr"]},
                                       {"sim_q025_hr", cmp["design"]["hr_estimate"]["q025_hr"]},
                                       {"sim_q975_hr", cmp["design"]["hr_estimate"]["q975_hr"]},
                                       {"reference_inside", cmp["reference_inside_interval"]},
                                       {"power_wald", cmp["power_wald"]}, {"power_logrank", cmp["power_logrank"]},
                                       {"type1_wald", cmp["type1_wald"]}, {"type1_logrank", cmp["type1_logrank"]},
                                       {"real_events", cmp["real_reference"]["events"]},
                                       {"sim_mean_events", cmp["design"]["mean_events"]},
                                       {"threads", ctx.threads}, {"seconds", seconds()}}
                                .dump()
                                .c_str());
    std::fflush(stdout);

    t0 = std::chrono::steady_clock::now();
    TrialDesign null_design;
    null_design.hr = {1.0};  // the design is the null too: its trials and the null's both count
    null_design.trials = null_trials;
    r = simulate_trials(L, d.table, null_design, ctx);
    const auto& n = r["comparisons"][0];
    const double t1w = (n["design"]["rejections_wald"]["rate"].get<double>() + n["null"]["rejections_wald"]["rate"].get<double>()) / 2;
    const double t1l =
        (n["design"]["rejections_logrank"]["rate"].get<double>() + n["null"]["rejections_logrank"]["rate"].get<double>()) / 2;
    const int total = 2 * null_trials;
    std::printf("%s\n", nlohmann::json{{"bench", "trial_type1"}, {"outcome", outcome}, {"synthesizer", synth},
                                       {"null_trials", total}, {"alpha", 0.05}, {"type1_wald", t1w}, {"type1_logrank", t1l},
                                       {"mcse", std::sqrt(0.05 * 0.95 / total)},
                                       {"null_median_hr", n["null"]["hr_estimate"]["median_hr"]},
                                       {"threads", ctx.threads}, {"seconds", seconds()}}
                                .dump()
                                .c_str());
    std::fflush(stdout);

    for (double hr : {0.6, 0.7, 0.8}) {
      t0 = std::chrono::steady_clock::now();
      TrialDesign p;
      p.hr = {hr};
      p.per_arm = {300, 300};
      p.accrual = 3 * 365.25;
      p.follow_up = 3 * 365.25;
      p.dropout = 0.05;
      p.trials = trials;
      r = simulate_trials(L, d.table, p, ctx);
      const auto& x = r["comparisons"][0];
      std::printf("%s\n", nlohmann::json{{"bench", "trial_power"}, {"outcome", outcome}, {"synthesizer", synth},
                                         {"design", r["design"]}, {"hr", hr}, {"power_wald", x["power_wald"]},
                                         {"power_logrank", x["power_logrank"]}, {"type1_wald", x["type1_wald"]},
                                         {"median_hr_estimate", x["design"]["hr_estimate"]["median_hr"]},
                                         {"mean_events", x["design"]["mean_events"]}, {"threads", ctx.threads},
                                         {"seconds", seconds()}}
                                  .dump()
                                  .c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
