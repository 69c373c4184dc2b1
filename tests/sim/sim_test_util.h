// Helpers shared by the sim tests: the embedded catalog, cases, scripted runs.
#pragma once

#include <string>
#include <vector>

#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"
#include "medgen/sim/scoring.h"
#include "medgen/sim/script.h"
#include "medgen/sim/session.h"

namespace medgen::sim::test {

inline const Catalog& catalog() {
  static const Catalog c = Catalog::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim");
  return c;
}

inline Case make_case(const std::string& condition, const std::string& severity = "moderate", uint64_t seed = 7) {
  CaseOptions o;
  o.condition = condition;
  o.severity = severity;
  o.seed = seed;
  return generate_case(catalog(), o);
}

// Runs timed actions ({minute, text}) and then to `end_min`.
inline void run(Session* s, const std::vector<std::pair<double, std::string>>& actions, double end_min) {
  Script sc;
  sc.duration_s = end_min * 60;
  for (const auto& [m, t] : actions) sc.actions.push_back({m * 60, t});
  run_script(s, sc);
}

inline double get(const Vitals& v, const std::string& name) {
  double x = 0;
  v.get(name, &x);
  return x;
}

}  // namespace medgen::sim::test
