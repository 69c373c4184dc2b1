// Virtual clinical trials: trials of a chosen design simulated from what learn_trial learned,
// each analysed as the real one would be (analysis.h), repeated to give power, type-I error and
// the distribution of the estimated hazard ratio.
//
// One simulated trial: per_arm[a] synthetic patients per arm (drawn from the learned patients,
// kept when they meet every eligibility filter), randomised; each gets an event time from its
// arm's outcome model (`hr` given: the control's model with the hazard multiplied by hr; `hr`
// NaN: the arm's own model learned from its real patients), a censoring time (learned: the real
// trial's censoring distribution; or by design: uniform accrual over `accrual`, analysis at
// accrual + follow_up, and exponential dropout losing `dropout` of patients by `follow_up`),
// and the earlier of the two is observed. The null design (every treated arm given the control's
// outcome model) is simulated beside it, with its own trials, for the type-I error.
// Trial i's random streams derive from (ctx.seed, i) alone: results do not depend on threads.
// Thread safety: simulate_trials reads the LearnedTrial only.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/context.h"
#include "medgen/trial/learn.h"

namespace medgen::trial {

struct TrialDesign {
  std::vector<size_t> per_arm;   // patients per arm, control first (empty = the real trial's arm sizes)
  std::vector<double> hr;        // per treated arm: hazard ratio vs control; NaN = learned from the real arm
  std::vector<Filter> eligible;  // eligibility filters on the synthetic patients' covariates
  double accrual = std::numeric_limits<double>::quiet_NaN();    // accrual period (time units); NaN: learned censoring
  double follow_up = std::numeric_limits<double>::quiet_NaN();  // follow-up after the last patient enters
  double dropout = 0;            // share lost to follow-up by `follow_up` (exponential); 0..0.99
  int trials = 1000;             // simulated trials (and as many null trials)
  double alpha = 0.05;           // two-sided significance level

  // InvalidInput for sizes < 2 per arm, a count of sizes or hazard ratios that does not match
  // the arms, hr <= 0, accrual without follow-up (or the reverse), dropout outside [0, 0.99),
  // trials < 10, alpha outside (0, 0.5).
  void validate(size_t arms) const;
  nlohmann::json to_json() const;
};

// Runs design.trials trials of the design and as many of its null; the report holds, per
// treated arm: power (Wald and log-rank) with Monte Carlo SE, type-I error of the null design,
// the hazard ratio estimate's mean log, median, 2.5% and 97.5% quantiles (the simulation's 95%
// interval), mean events, and where the real data has the arm, the Cox reference on the real
// rows and whether it falls inside the simulation's interval.
nlohmann::json simulate_trials(const LearnedTrial& learned, const Table& real, const TrialDesign& design,
                               const Context& ctx);

// One simulated trial's time, event and arm (0 control, a for treated arm a), for tests.
struct SimulatedTrial {
  std::vector<int> arm;
  std::vector<double> time;
  std::vector<int> event;
};
SimulatedTrial simulate_one(const LearnedTrial& learned, const TrialDesign& design, bool null_design,
                            uint64_t seed, const Context& ctx);

}  // namespace medgen::trial
