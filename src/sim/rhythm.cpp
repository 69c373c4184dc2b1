#include "medgen/sim/rhythm.h"

#include <algorithm>
#include <cmath>

namespace medgen::sim {

namespace {
struct Name {
  Rhythm r;
  const char* name;
  const char* title;
};
const Name kNames[] = {{Rhythm::kSinus, "sinus", "sinus rhythm"},
                       {Rhythm::kAf, "af", "atrial fibrillation"},
                       {Rhythm::kAvBlockNodal, "av_block_nodal", "second-degree AV block (2:1, narrow complexes)"},
                       {Rhythm::kCompleteHeartBlock, "complete_heart_block", "complete heart block"},
                       {Rhythm::kVf, "vf", "ventricular fibrillation"},
                       {Rhythm::kPulselessVt, "pulseless_vt", "pulseless ventricular tachycardia"},
                       {Rhythm::kAsystole, "asystole", "asystole / pulseless electrical activity"}};
}  // namespace

const char* rhythm_name(Rhythm r) {
  for (const Name& n : kNames)
    if (n.r == r) return n.name;
  return "sinus";
}
const char* rhythm_title(Rhythm r) {
  for (const Name& n : kNames)
    if (n.r == r) return n.title;
  return "sinus rhythm";
}
bool rhythm_from_name(const std::string& name, Rhythm* out) {
  for (const Name& n : kNames)
    if (name == n.name) {
      *out = n.r;
      return true;
    }
  return false;
}
bool is_arrest(Rhythm r) { return r == Rhythm::kVf || r == Rhythm::kPulselessVt || r == Rhythm::kAsystole; }
bool is_shockable(Rhythm r) { return r == Rhythm::kVf || r == Rhythm::kPulselessVt; }

double vf_termination_probability(double joules, double antiarrhythmic) {
  // Biphasic first-shock termination of VF is ~85-95% at 150-200 J (ERC 2021; van Alem 2003, Morrison 2005):
  // 1 - exp(-E/75 J) gives 86% at 150 J and 93% at 200 J, 55% at 60 J.
  const double p = 1 - std::exp(-std::max(0.0, joules) / 75.0);
  return std::min(0.99, p + (1 - p) * 0.5 * std::clamp(antiarrhythmic, 0.0, 1.0));
}

double af_cardioversion_probability(double joules) {
  // Synchronised biphasic cardioversion of AF: ~75% at 120 J, ~90% at 200 J, ~98% at 360 J (Page 2002:
  // cumulative biphasic success 91%; ERC 2021 starts at 120-150 J and escalates).
  return std::min(0.99, 1 - std::exp(-std::max(0.0, joules) / 86.6));
}

double arrest_survival_probability(double ischaemic_min, double antiarrhythmic) {
  // Valenzuela 1997: P = 1 / (1 + exp(-0.260 + 0.106 x collapse-to-CPR + 0.139 x collapse-to-defibrillation)),
  // minutes. Without CPR both intervals grow together (0.245 per minute of no flow); with CPR running only
  // the second does (0.139), i.e. CPR minutes count 0.57 as much, which the physiology's ischaemic clock
  // reproduces (physiology.cpp). Amiodarone adds up to +0.45 on the logit (ALPS 2016 and ARREST 1999:
  // survival to admission 46% vs 40% and 44% vs 34%, odds ratios 1.3-1.5).
  const double logit = 0.260 - 0.245 * std::max(0.0, ischaemic_min) + 0.45 * std::clamp(antiarrhythmic, 0.0, 1.0);
  return 1.0 / (1.0 + std::exp(-logit));
}

}  // namespace medgen::sim
