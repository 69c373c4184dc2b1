// The heart's rhythm: a discrete state of the physiology beside its equations (see physiology.h), and
// the outcome models of the electrical procedures (defibrillation, synchronised cardioversion, pacing).
//  - sinus: the rate is the baroreflex's (physiology.cpp);
//  - atrial fibrillation: the ventricular rate is set by AV-nodal conduction of a chaotic atrial rhythm,
//    not by the sinus node, so the baroreflex moves it only a little; AV-nodal blockers (metoprolol,
//    diltiazem: the `av_conduction` modifier) lower it; the atria no longer contract (stroke volume -20%);
//  - AV block at the node (vagal, narrow complexes): atropine (`vagolysis`) restores conduction;
//  - complete heart block (infranodal): a slow ventricular escape rhythm that atropine does not move and
//    catecholamines raise only a little; AV dissociation costs the atrial kick (stroke volume -15%);
//  - VF, pulseless VT, asystole/PEA: cardiac arrest, no output; CPR gives a fraction of it.
// Every figure and its source is in docs/simulation.md ("The rhythm model").
#pragma once

#include <string>

namespace medgen::sim {

enum class Rhythm { kSinus, kAf, kAvBlockNodal, kCompleteHeartBlock, kVf, kPulselessVt, kAsystole };

const char* rhythm_name(Rhythm r);                            // "sinus", "af", ..., "asystole"
const char* rhythm_title(Rhythm r);                           // "atrial fibrillation", ...
bool rhythm_from_name(const std::string& name, Rhythm* out);  // the names of rhythm_name
bool is_arrest(Rhythm r);                                     // VF, pulseless VT, asystole/PEA
bool is_shockable(Rhythm r);                                  // VF, pulseless VT

// Probability that one biphasic shock of `joules` terminates VF or pulseless VT, raised by an
// antiarrhythmic on board (`antiarrhythmic` 0..1, the modifier).
double vf_termination_probability(double joules, double antiarrhythmic);
// Probability that one synchronised biphasic shock of `joules` restores sinus rhythm from AF.
double af_cardioversion_probability(double joules);
// Probability of survival (in the model: of a sustained return of spontaneous circulation once VF is
// terminated) after `ischaemic_min` minutes of arrest, no-flow minutes counting fully and CPR minutes
// at a fraction (see physiology.cpp); `antiarrhythmic` (0..1) adds to it. Valenzuela et al. 1997's
// logistic model of survival by collapse-to-CPR and collapse-to-defibrillation intervals.
double arrest_survival_probability(double ischaemic_min, double antiarrhythmic);

// Transcutaneous pacing: capture when the output reaches the patient's threshold (mA).
struct Pacing {
  double rate_bpm = 0;  // 0: off
  double output_ma = 0;
  bool capture = false;
};

}  // namespace medgen::sim
