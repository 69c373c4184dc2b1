// Outbreak forecasting on every series of data/epi/series.json: the SEIR particle filter against
// the renewal R(t) projection and persistence, rolling origins over the held-out half, one JSON
// line per series (and method) with the weighted interval score, MAE, 50%/95% coverage, WIS
// relative to persistence, and the seconds taken.
// Usage: bench_epi [--particles N] [--draws N] [--seed S] [--train-share F] [series.csv ...]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "medgen/core/file.h"
#include "medgen/epi/evaluate.h"

using namespace medgen::epi;

int main(int argc, char** argv) {
  EvaluateOptions o;
  uint64_t seed = 1;
  std::vector<std::string> files;
  const std::string dir = std::string(MEDGEN_SOURCE_DIR) + "/data/epi/";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--particles") && i + 1 < argc) o.particles = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--draws") && i + 1 < argc) o.draws = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--train-share") && i + 1 < argc) o.train_share = std::atof(argv[++i]);
    else files.push_back(argv[i]);
  }
  if (files.empty())
    for (const auto& e : nlohmann::json::parse(medgen::read_file(dir + "series.json"))) files.push_back(dir + e["file"].get<std::string>());
  for (const auto& f : files) {
    const auto t0 = std::chrono::steady_clock::now();
    Series s = read_series(f);
    apply_metadata(&s, dir + "series.json");
    const nlohmann::json r = evaluate_forecasts(s, o, seed);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const char* m : {"seir", "renewal", "persistence"}) {
      const auto& ov = r["methods"][m]["overall"];
      nlohmann::json line{{"bench", "epi"},          {"series", s.name},
                          {"step", s.step},          {"steps", s.cases.size()},
                          {"train_steps", r["train_steps"]}, {"horizons", r["horizons"]},
                          {"method", m},             {"forecasts", ov["forecasts"]},
                          {"wis", ov["wis"]},        {"mae", ov["mae"]},
                          {"coverage50", ov["coverage50"]}, {"coverage95", ov["coverage95"]},
                          {"relative_wis", r["relative_wis_vs_persistence"][m]},
                          {"wis_by_horizon", nlohmann::json::array()},
                          {"particles", o.particles}, {"draws", o.draws}, {"seed", seed}, {"seconds", sec}};
      for (const auto& h : r["methods"][m]["by_horizon"]) line["wis_by_horizon"].push_back(h.value("wis", 0.0));
      if (!std::strcmp(m, "seir")) line["seir"] = r["seir"];
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
