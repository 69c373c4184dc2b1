#include "medgen/sim/order_safety.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace medgen::sim {

namespace {

std::string num(double x) {
  char buf[48];
  std::snprintf(buf, sizeof buf, std::fabs(x) >= 1000 ? "%.0f" : "%.3g", x);
  return buf;
}

// The smallest of the per-kg and absolute limits that are set; 0 when none.
double effective(double per_kg, double abs_max, double w) {
  double lim = 0;
  if (per_kg > 0) lim = per_kg * w;
  if (abs_max > 0 && (lim == 0 || abs_max < lim)) lim = abs_max;
  return lim;
}

double mass_factor(const std::string& u) { return u == "mg" ? 1 : u == "mcg" ? 1e-3 : u == "g" ? 1e3 : 0; }

struct Unit {
  std::string base;
  bool per_kg = false;
  double per_s = 0;  // 0, 60 or 3600
};

Unit split_unit(const std::string& u) {
  Unit x;
  size_t p = u.find('/');
  x.base = u.substr(0, p);
  while (p != std::string::npos) {
    const size_t q = u.find('/', p + 1);
    const std::string part = u.substr(p + 1, q == std::string::npos ? std::string::npos : q - p - 1);
    if (part == "kg") x.per_kg = true;
    if (part == "min") x.per_s = 60;
    if (part == "h") x.per_s = 3600;
    p = q;
  }
  return x;
}

std::string join_unit(const Unit& u) {
  return u.base + (u.per_kg ? "/kg" : "") + (u.per_s == 60 ? "/min" : u.per_s == 3600 ? "/h" : "");
}

// The amount (bolus) or amount per hour (rate) of the drug that `value unit` means; < 0 when the unit
// does not fit the drug.
double amount_of(const DrugSpec& d, double value, const Unit& u, double w) {
  double x = -1;
  if (u.base == d.amount_unit) {
    x = value;
  } else if (mass_factor(u.base) > 0 && mass_factor(d.amount_unit) > 0) {
    x = value * mass_factor(u.base) / mass_factor(d.amount_unit);
  } else if ((u.base == "ml" || u.base == "l") && d.concentration_per_ml > 0) {
    x = value * (u.base == "l" ? 1000 : 1) * d.concentration_per_ml;
  }
  if (x < 0) return x;
  if (u.per_kg) x *= w;
  if (u.per_s > 0) x *= 3600.0 / u.per_s;
  return x;
}

}  // namespace

DoseCheck check_dose(const DrugSpec& d, const Action& a, double w, bool in_arrest) {
  DoseCheck out;
  const bool rate = a.rate_per_s > 0;
  const std::string what = rate ? "rate" : "dose";
  if (rate && !d.infusion) {
    out.verdict = DoseCheck::Verdict::kRefuse;
    out.unit_error = true;
    out.reason = d.name + " is not given as an infusion here: order a dose in " + d.amount_unit + " (e.g. '" + d.name +
                 " <dose> " + d.amount_unit + " " + a.route + "')";
    return out;
  }
  const DoseLimit* lim = rate ? &d.rate_limit_per_h : d.bolus_limit(a.route);
  if (!rate && in_arrest && d.has_arrest_limit && (a.route == "iv" || a.route == "io")) lim = &d.arrest_limit;
  if (!lim) return out;
  const double x = rate ? a.rate_per_s * 3600.0 : a.amount;
  const double hard = effective(lim->hard_per_kg, lim->hard_max, w);
  const double soft = effective(lim->soft_per_kg, lim->soft_max, w);
  const std::string per = rate ? " " + d.amount_unit + "/h" : " " + d.amount_unit;
  const std::string as_given = num(x) + per + " (" + num(x / w) + " " + per.substr(1).insert(d.amount_unit.size(), "/kg") +
                               (rate ? ", " + num(x / w / 60) + " " + d.amount_unit + "/kg/min" : " " + a.route) + ")";
  if (hard > 0 && x > hard * 1.0001) {
    out.verdict = DoseCheck::Verdict::kRefuse;
    out.reason = d.name + " " + as_given + " is above the hard limit of " + num(hard) + per + " for this patient";
    // Would the same number make sense under another unit? Then the unit is the likely error.
    if (!a.dose_unit.empty() && !a.unit_assumed) {
      const Unit typed = split_unit(a.dose_unit);
      std::vector<Unit> alternatives;
      for (const char* b : {"mcg", "mg", "g", "units", "mmol", "ml"})
        if (typed.base != b) alternatives.push_back({b, typed.per_kg, typed.per_s});
      if (typed.per_s == 60) alternatives.push_back({typed.base, typed.per_kg, 3600});
      if (typed.per_kg) alternatives.push_back({typed.base, false, typed.per_s});
      for (const Unit& alt : alternatives) {
        const double y = amount_of(d, a.dose_value, alt, w);
        const double ok = soft > 0 ? soft : hard;
        if (y > 0 && y <= ok * 1.0001) {
          out.unit_error = true;
          out.reason += " (" + num(x / hard) + " times it); unit check: did you mean " + num(a.dose_value) + " " +
                        join_unit(alt) + "?";
          break;
        }
      }
    }
    return out;
  }
  if (soft > 0 && x > soft * 1.0001) {
    out.verdict = DoseCheck::Verdict::kConfirm;
    out.reason = d.name + " " + as_given + " is above the usual maximum of " + num(soft) + per +
                 " for this patient";
  }
  return out;
}

}  // namespace medgen::sim
