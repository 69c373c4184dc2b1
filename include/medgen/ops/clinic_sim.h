// Discrete-event simulation of clinic days, used to compare scheduling policies: the
// no-show-aware integer programme (schedule.h), first-come-first-served (FCFS) and FCFS with a
// fixed overbooking rule. Each simulated week draws requests (patients from the synthetic
// appointment generator, their true no-show risk, the model's predicted risk), schedules them
// under each policy, and plays every session: punctual arrivals, no-shows, log-normal service
// times; the provider sees patients in slot order. Policies share their random numbers per
// request (common random numbers), so weekly differences are paired.
// Thread safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/ops/noshow.h"
#include "medgen/ops/schedule.h"

namespace medgen::ops {

struct ClinicParams {
  int providers = 4;           // providers, each with two of `skills` skills
  int days = 5;                // Monday..
  int slots_per_session = 8;   // two sessions a day (08:00 and 13:00)
  int slot_min = 30;           // slot length
  int skills = 3;              // distinct skills
  double demand = 1.2;         // requests per free slot
  double service_share = 0.85; // mean service time / slot length
  double service_cv = 0.4;     // coefficient of variation of service times
  void validate() const;
};

// One synthetic week: slots and requests (predicted no-show in Request::noshow); true_risk gets
// the generator's probabilities per request.
Problem generate_week(const ClinicParams& c, const NoShowModel& model, uint64_t seed, std::vector<double>* true_risk);

struct WeekMetrics {
  double served = 0, booked = 0, idle_min = 0, overtime_min = 0, wait_min = 0;
};

// Plays the week's sessions for one schedule; `seed` fixes shows and service times per request.
WeekMetrics simulate_week(const ClinicParams& c, const Problem& p, const ScheduleResult& s,
                          const std::vector<double>& true_risk, uint64_t seed);

struct SimulationParams {
  ClinicParams clinic;
  int weeks = 30;
  int fixed_every = 4;          // the fixed rule double-books every k-th slot of a session
  ScheduleParams schedule;      // for the no-show-aware policy (allow_unscheduled is forced on)
  size_t history = 20000;       // synthetic appointments to train the no-show model on
};

// Runs the comparison; JSON: per policy the mean and 95% CI of each metric per week, and the
// paired differences (no-show-aware minus FCFS, minus fixed rule) with their CIs.
nlohmann::ordered_json run_simulation(const SimulationParams& p, const NoShowModel& model, uint64_t seed);

// Two-sided 95% t quantile for df degrees of freedom.
double t_quantile_975(int df);

}  // namespace medgen::ops
