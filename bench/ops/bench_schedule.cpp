// Scheduling benchmark (JSON lines on stdout):
//  1. 500 requests over 10 providers x 5 days (800 slots of 30 min) solved by CBC on one
//     thread: status (optimal, or the gap reached), seconds, model size.
//  2. The clinic simulation: the no-show-aware schedule against FCFS and a fixed overbooking
//     rule over many weeks, paired 95% confidence intervals.
// Usage: bench_schedule [--weeks N] [--seed S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "medgen/ops/clinic_sim.h"

using namespace medgen::ops;

int main(int argc, char** argv) {
  int weeks = 40;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--weeks")) weeks = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  GeneratorParams gp;
  gp.appointments = 20000;
  const NoShowModel model = NoShowModel::train(generate_appointments(gp, seed), NoShowParams{}, seed);

  ClinicParams big;
  big.providers = 10;
  big.days = 5;
  big.slots_per_session = 8;
  big.skills = 4;
  big.demand = 500.0 / 800.0;
  std::vector<double> truth;
  Problem p = generate_week(big, model, seed, &truth);
  ScheduleParams sp;
  sp.time_limit_s = 30;
  ScheduleResult r = solve_schedule(p, sp);
  nlohmann::ordered_json j = {{"bench", "schedule_500"}, {"requests", p.requests.size()}, {"slots", p.slots.size()},
                              {"providers", big.providers}, {"days", big.days}, {"threads", 1},
                              {"status", r.status}, {"gap", r.gap}, {"seconds", r.seconds},
                              {"variables", r.variables}, {"constraints", r.constraints},
                              {"overbooked_slots", r.overbooked_slots}, {"unscheduled", r.unscheduled.size()},
                              {"floor_met", (r.status == "optimal" || r.gap <= 0.01) && r.seconds <= 30}};
  std::cout << j.dump() << std::endl;

  SimulationParams sim;
  sim.weeks = weeks;
  const auto t0 = std::chrono::steady_clock::now();
  nlohmann::ordered_json s = run_simulation(sim, model, seed);
  s["bench"] = "simulate";
  s["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << s.dump() << std::endl;
  return 0;
}
