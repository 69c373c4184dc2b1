// The two checks at full size, on the colon trial (Lev+5FU vs observation):
//  1. re-simulating the trial's own design (patients learned from the control arm by cart, each
//     arm's outcome learned from its real patients, the real censoring) recovers the real Cox
//     hazard ratio within the simulation's 95% interval, for recurrence and for death;
//  2. the null design keeps the type-I error at 5% +- 1% over 10,000 null trials (Monte Carlo
//     SE 0.22%), Wald and log-rank.
#include <gtest/gtest.h>

#include <cmath>

#include "medgen/tabular/pipeline.h"
#include "medgen/trial/learn.h"
#include "medgen/trial/simulate.h"

using namespace medgen;
using namespace medgen::trial;

namespace {

LearnedTrial learn(const tabular::Dataset& d, int etype, const Context& ctx) {
  TrialColumns c;
  c.arm = "rx";
  c.control = "Obs";
  c.treatments = {"Lev+5FU"};
  c.time = "time";
  c.event = "status";
  c.where = {Filter::parse("etype=" + std::to_string(etype), "--where")};
  return learn_trial(d.table, d.schema, "colon", c, {}, ctx);
}

}  // namespace

TEST(TrialSlow, ColonOwnDesignRecoversTheRealHazardRatio) {
  const tabular::Dataset d = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/colon.csv", "");
  for (int etype = 1; etype <= 2; ++etype) {
    Context ctx;
    ctx.seed = 2026;
    const LearnedTrial L = learn(d, etype, ctx);
    TrialDesign design;
    design.hr = {NAN};
    design.trials = 1000;
    const nlohmann::json r = simulate_trials(L, d.table, design, ctx);
    const auto& c = r["comparisons"][0];
    EXPECT_TRUE(c["reference_inside_interval"].get<bool>()) << c.dump();
    // The real hazard ratio is not in a tail: within the central 80% of the simulated estimates.
    EXPECT_GT(c["real_reference"]["log_hr"].get<double>(),
              c["design"]["hr_estimate"]["mean_log_hr"].get<double>() - 1.2816 * c["design"]["hr_estimate"]["sd_log_hr"].get<double>());
    EXPECT_LT(c["real_reference"]["log_hr"].get<double>(),
              c["design"]["hr_estimate"]["mean_log_hr"].get<double>() + 1.2816 * c["design"]["hr_estimate"]["sd_log_hr"].get<double>());
  }
}

TEST(TrialSlow, NullDesignKeepsTypeOneErrorAtFivePercent) {
  const tabular::Dataset d = tabular::load_dataset(std::string(MEDGEN_SOURCE_DIR) + "/data/colon.csv", "");
  for (int etype = 1; etype <= 2; ++etype) {
    Context ctx;
    ctx.seed = 77;
    ctx.threads = 2;
    const LearnedTrial L = learn(d, etype, ctx);
    TrialDesign design;
    design.hr = {1.0};  // the design is null as well: 2 x 5,000 null trials
    design.trials = 5000;
    const nlohmann::json r = simulate_trials(L, d.table, design, ctx);
    const auto& c = r["comparisons"][0];
    for (const char* test : {"rejections_wald", "rejections_logrank"}) {
      const double rate = (c["design"][test]["rate"].get<double>() + c["null"][test]["rate"].get<double>()) / 2;
      EXPECT_NEAR(rate, 0.05, 0.01) << test << " etype " << etype;
    }
  }
}
