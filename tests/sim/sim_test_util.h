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

// A condition's script from data/sim/scripts ("good" or "bad"), dosed for the case's weight.
inline Script load_script(const std::string& condition, const std::string& which, const Case& c) {
  return Script::load(std::string(MEDGEN_SOURCE_DIR) + "/data/sim/scripts/" + condition + "_" + which + ".json",
                      catalog(), *catalog().find_condition(condition), c.patient.weight_kg);
}

struct Course {
  Vitals start, end;
  double score = 0;
  bool dead = false;
  std::vector<Sample> samples;
};

// Runs the condition's script ("good", "bad" or "none": no actions for the good script's length).
inline Course course(const std::string& condition, const std::string& severity, uint64_t seed, const std::string& which) {
  const Case c = make_case(condition, severity, seed);
  Script sc = load_script(condition, "good", c);
  if (which == "none")
    sc.actions.clear();
  else if (which != "good")
    sc = load_script(condition, which, c);
  Session s(catalog(), c);
  Course out;
  out.start = s.vitals();
  run_script(&s, sc);
  out.end = s.vitals();
  out.dead = s.dead();
  out.samples = s.samples();
  out.score = score_session(s, catalog().rubrics.at(catalog().find_condition(condition)->rubric)).percent;
  return out;
}

// The sample at (or just before) a session minute.
inline const Vitals& at(const Course& c, double minute) {
  const Sample* best = &c.samples.front();
  for (const Sample& s : c.samples)
    if (s.t_s <= minute * 60 + 1e-6) best = &s;
  return best->v;
}

// The condition run with the given actions (minute, action) until end_min.
inline Course run_course(const std::string& condition, const std::string& sev, uint64_t seed,
                         const std::vector<std::pair<double, std::string>>& actions, double end_min) {
  const Case c = make_case(condition, sev, seed);
  Session s(catalog(), c);
  Course out;
  out.start = s.vitals();
  run(&s, actions, end_min);
  out.end = s.vitals();
  out.dead = s.dead();
  out.samples = s.samples();
  return out;
}

}  // namespace medgen::sim::test
