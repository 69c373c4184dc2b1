// Dose checks before a drug is given: the order is compared with the limits in the drug's file (per kg
// and absolute, per route for a dose, per hour for an infusion). Above a hard limit, or when the unit
// cannot be right for the drug (a rate for a drug that is not infused; a dose that is implausible as
// written but usual under another unit, e.g. norepinephrine 0.1 mg/kg/min for 0.1 mcg/kg/min), the order
// is refused with the reason; above a soft limit it needs confirmation.
#pragma once

#include <string>

#include "medgen/sim/catalog.h"
#include "medgen/sim/session.h"

namespace medgen::sim {

struct DoseCheck {
  enum class Verdict { kOk, kConfirm, kRefuse };
  Verdict verdict = Verdict::kOk;
  bool unit_error = false;  // refused because the unit looks wrong (the reason says which one was meant)
  std::string reason;       // for kConfirm and kRefuse
};

// `a` is a parsed kDrug action for `d` (amount or rate_per_s in the drug's amount unit). In cardiac arrest an
// IV/IO dose is checked against the drug's `arrest` limits where it has them (epinephrine 1 mg).
DoseCheck check_dose(const DrugSpec& d, const Action& a, double weight_kg, bool in_arrest = false);

}  // namespace medgen::sim
