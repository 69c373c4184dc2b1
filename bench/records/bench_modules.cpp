// Module engine speed: the ten shipped modules (data/modules) together over a population aged
// 0-90, lifetimes simulated in weekly steps, chunks assembled into the clinical tables (no
// writing). JSON lines, one per thread count and repetition:
//   {"bench":"modules","modules":10,"patients":5000,"threads":1,"rep":0,"seconds":...,
//    "patients_per_s":...,"rows":...}
// Usage: bench_modules [patients: 5000] [threads: 1,2] [reps: 3]
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/records/modules.h"

using namespace medgen;
using namespace medgen::records;

static int run(int argc, char** argv) {
  const size_t patients = argc > 1 ? std::stoul(argv[1]) : 5000;
  std::vector<int> threads;
  std::stringstream ts(argc > 2 ? argv[2] : "1,2");
  for (std::string t; std::getline(ts, t, ',');) threads.push_back(std::stoi(t));
  const int reps = argc > 3 ? std::stoi(argv[3]) : 3;
  const ModuleSet set = load_modules({std::string(MEDGEN_SOURCE_DIR) + "/data/modules"});
  for (int th : threads)
    for (int rep = 0; rep < reps; ++rep) {
      PopulationOptions o;
      o.patients = patients;
      Context ctx;
      ctx.seed = 1;
      ctx.threads = th;
      size_t rows = 0;
      const auto t0 = std::chrono::steady_clock::now();
      const PopulationSummary s = run_population(set, o, ctx, [&](const Dataset& chunk) {
        for (const Table& t : chunk.tables) rows += t.num_rows();
      });
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      nlohmann::ordered_json j;
      j["bench"] = "modules";
      j["modules"] = set.modules.size();
      j["patients"] = s.patients;
      j["threads"] = th;
      j["rep"] = rep;
      j["seconds"] = secs;
      j["patients_per_s"] = static_cast<double>(s.patients) / secs;
      j["rows"] = rows;
      std::printf("%s\n", j.dump().c_str());
      std::fflush(stdout);
    }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_modules: %s\n", e.what());
    return 1;
  }
}
