// Simulator speed: simulated seconds per wall-clock second, for one patient and for a class of
// concurrent patients. Prints JSON lines (see docs/simulation.md for results).
//   bench_sim [--patients N] [--threads T] [--minutes M]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/script.h"
#include "medgen/sim/session.h"

using namespace medgen::sim;
using clk = std::chrono::steady_clock;

static double seconds_since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }

int main(int argc, char** argv) {
  int patients = 1000, threads = 1;
  double minutes = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--patients"))
      patients = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--minutes"))
      minutes = std::atof(argv[i + 1]);
  }
  const Catalog cat = Catalog::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim");

  // 1. One patient, scripted septic shock, 6 simulated hours (session: 5 s alarm checks, samples).
  for (const char* cond : {"septic_shock", "dka", "opioid_overdose"}) {
    CaseOptions o;
    o.condition = cond;
    o.severity = "moderate";
    o.seed = 7;
    const Case c = generate_case(cat, o);
    const ConditionSpec& spec = *cat.find_condition(cond);
    const Script script = Script::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim/scripts/" + cond + "_good.json", cat,
                                       spec, c.patient.weight_kg);
    const auto t0 = clk::now();
    Session s(cat, c);
    const double warm = seconds_since(t0);
    const auto t1 = clk::now();
    run_script(&s, script);
    const double wall = seconds_since(t1);
    std::printf(
        "{\"bench\":\"one_patient\",\"condition\":\"%s\",\"sim_s\":%.0f,\"wall_s\":%.4f,\"speedup\":%.0f,"
        "\"onset_warmup_sim_s\":%.0f,\"onset_warmup_wall_s\":%.4f,\"cvode_steps\":%ld}\n",
        cond, s.time_s(), wall, s.time_s() / wall, c.onset_hours * 3600, warm, s.physiology().steps());
  }

  // 2. A class: N concurrent patients (mixed conditions), all advanced in 5 s steps, as a server would.
  std::vector<Session> sessions;
  sessions.reserve(patients);
  const auto tc = clk::now();
  for (int i = 0; i < patients; ++i) {
    CaseOptions o;
    o.condition = cat.conditions[i % cat.conditions.size()].name;
    o.seed = static_cast<uint64_t>(i);
    Case c = generate_case(cat, o);
    sessions.emplace_back(cat, c);
  }
  const double create = seconds_since(tc);
  const double sim_s = minutes * 60;
  const auto t0 = clk::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (double done = 0; done < sim_s; done += 5)
        for (int i = t; i < patients; i += threads) sessions[i].advance(5);
    });
  for (auto& th : pool) th.join();
  const double wall = seconds_since(t0);
  std::printf(
      "{\"bench\":\"class\",\"patients\":%d,\"threads\":%d,\"sim_s_each\":%.0f,\"wall_s\":%.3f,"
      "\"realtime_factor\":%.1f,\"patient_sim_s_per_wall_s\":%.0f,\"case_generation_s\":%.2f}\n",
      patients, threads, sim_s, wall, sim_s / wall, sim_s * patients / wall, create);
  return 0;
}
