// Synthetic claims with planted denials (see claims.h and docs/ops-admin.md).
#include <algorithm>
#include <cmath>
#include <map>

#include "medgen/core/error.h"
#include "medgen/core/rng.h"
#include "medgen/core/schema.h"
#include "medgen/ops/claims/claims.h"

namespace medgen::ops::claims {

void GenerateOptions::validate() const {
  if (patients < 1 || patients > 10000000) throw InvalidInput("--patients must be between 1 and 10000000");
  if (!(claims_per_patient > 0 && claims_per_patient <= 100))
    throw InvalidInput("--claims-per-patient must be in (0, 100]");
  if (!(denial_rate >= 0 && denial_rate < 1)) throw InvalidInput("--denial-rate must be in [0, 1)");
  double sum = 0;
  for (const auto& [r, s] : reason_shares) {
    Reason x;
    if (!reason_from_name(r, &x) && r != "payer_pattern" && r != "noise")
      throw InvalidInput("unknown denial reason '" + r + "' in the shares");
    if (!(s >= 0)) throw InvalidInput("denial reason shares must be non-negative");
    sum += s;
  }
  if (!(sum > 0)) throw InvalidInput("denial reason shares sum to zero");
}

namespace {

// Payers whose hidden behaviour the "payer_pattern" reason plants: lines charged well above the
// code's typical charge are denied (no rule says so; the learned model has to find it).
constexpr double kPatternRatio = 1.45;

struct Gen {
  const RuleSet& rules;
  const GenerateOptions& o;
  Rng rng;
  std::vector<std::string> payers;
  std::vector<std::string> pattern_payers;
  std::map<std::string, std::vector<std::string>> dx_by_prefix;
  std::vector<std::string> reasons;
  std::vector<double> cum;
  std::vector<int> common;  // procedures drawn for clean lines (weighted toward visits and labs)
  std::vector<ClaimLine> out;
  size_t claim_no = 0;

  Gen(const RuleSet& r, const GenerateOptions& opt) : rules(r), o(opt), rng(opt.seed) {
    payers = rules.payers();
    payers.push_back("SUMMIT");  // a payer with no payer-specific rules
    pattern_payers.assign(payers.begin(), payers.begin() + std::min<size_t>(2, payers.size()));
    double s = 0;
    for (const auto& [name, share] : o.reason_shares) {
      reasons.push_back(name);
      s += share;
      cum.push_back(s);
    }
    for (auto& c : cum) c /= s;
    for (size_t p = 0; p < rules.procedures().size(); ++p) {
      const auto& cat = rules.procedures()[p].category;
      const int w = cat == "evaluation" ? 6 : cat == "laboratory" ? 3 : 1;
      for (int k = 0; k < w; ++k) common.push_back(static_cast<int>(p));
    }
  }

  size_t pick(size_t n) { return static_cast<size_t>(rng.uniform() * n) % n; }

  std::string pick_reason() {
    const double u = rng.uniform();
    for (size_t k = 0; k < cum.size(); ++k)
      if (u < cum[k]) return reasons[k];
    return reasons.back();
  }

  // Diagnoses that support procedure p (or, with `wrong`, none that does).
  std::vector<std::string> diagnoses_for(int p, bool wrong) {
    const auto& pr = rules.procedures()[p];
    const auto& all = rules.diagnoses();
    auto supports = [&](const std::string& d) {
      for (const auto& pre : pr.dx_prefixes)
        if (d.compare(0, pre.size(), pre) == 0) return true;
      return false;
    };
    std::vector<std::string> cand;
    for (const auto& d : all)
      if (pr.dx_prefixes.empty() || supports(d) != wrong) cand.push_back(d);
    if (cand.empty()) cand = all;
    std::vector<std::string> dx = {cand[pick(cand.size())]};
    if (rng.uniform() < 0.3 && !wrong) {  // a second, unrelated diagnosis
      const std::string& extra = all[pick(all.size())];
      if (extra != dx[0]) dx.push_back(extra);
    }
    return dx;
  }

  bool pairs_with(int p, const std::vector<int>& others, bool* modifier_allowed) {
    for (const auto& cp : rules.code_pairs())
      for (int q : others)
        if ((cp.column2 == p && cp.column1 == q) || (cp.column1 == p && cp.column2 == q)) {
          *modifier_allowed = cp.modifier_allowed;
          return true;
        }
    return false;
  }

  struct Patient {
    std::string id, payer;
    int age = 40;
    int32_t cov_start = kNoDay, cov_end = kNoDay;
    std::map<int, std::vector<std::pair<int32_t, double>>> history;  // allowed units by procedure
  };

  bool frequency_ok(const Patient& pt, int p, int32_t day, double units) {
    const auto& pr = rules.procedures()[p];
    if (pr.freq_max == 0) return true;
    double sum = units;
    auto it = pt.history.find(p);
    if (it != pt.history.end())
      for (const auto& [d, u] : it->second)
        if (d > day - pr.freq_days && d <= day) sum += u;
    return sum <= pr.freq_max + 1e-9;
  }

  ClaimLine line_for(const Patient& pt, int p, int32_t day, int pos) {
    const auto& pr = rules.procedures()[p];
    ClaimLine l;
    l.patient_id = pt.id;
    l.payer = pt.payer;
    l.service_day = day;
    l.procedure = pr.code;
    l.diagnoses = diagnoses_for(p, false);
    if (!pr.required_modifiers.empty()) l.modifiers.push_back(pr.required_modifiers[pick(pr.required_modifiers.size())]);
    l.units = 1;
    l.charge = std::round(pr.typical_charge * std::exp(0.12 * rng.normal()) * 100) / 100;
    l.has_coverage = true;
    l.coverage_start = pt.cov_start;
    l.coverage_end = pt.cov_end;
    l.age = pt.age;
    l.place_of_service = pos;
    l.denied = 0;
    return l;
  }

  // A procedure a clean line may carry for this patient on this day.
  int clean_procedure(const Patient& pt, int32_t day, const std::vector<int>& others) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      const int p = common[pick(common.size())];
      bool allowed = false;
      if (rules.excluded(pt.payer, p) || !frequency_ok(pt, p, day, 1) || pairs_with(p, others, &allowed)) continue;
      if (std::find(others.begin(), others.end(), p) != others.end()) continue;
      return p;
    }
    return -1;
  }

  void emit_claim(std::vector<ClaimLine>& lines, Patient& pt) {
    ++claim_no;
    char id[32];
    std::snprintf(id, sizeof id, "C%07zu", claim_no);
    int seq = 0;
    for (auto& l : lines) {
      l.claim_id = id;
      l.sequence = ++seq;
      if (l.denied == 0) {
        const int p = rules.procedure_index(l.procedure);
        pt.history[p].emplace_back(l.service_day, l.units);
      }
      out.push_back(std::move(l));
    }
    lines.clear();
  }

  void patient(size_t k) {
    Patient pt;
    char id[32];
    std::snprintf(id, sizeof id, "P%06zu", k + 1);
    pt.id = id;
    pt.payer = payers[pick(payers.size())];
    pt.age = 18 + static_cast<int>(pick(72));
    const int32_t year0 = static_cast<int32_t>(days_from_civil(2023, 1, 1));
    pt.cov_start = year0 - static_cast<int32_t>(pick(700));
    pt.cov_end = rng.uniform() < 0.5 ? kNoDay : year0 + 365 + static_cast<int32_t>(pick(365));
    const int32_t last = pt.cov_end == kNoDay ? year0 + 729 : pt.cov_end;
    // Poisson number of claims.
    int n = 0;
    for (double t = -std::log(rng.uniform_open()); t < o.claims_per_patient; t -= std::log(rng.uniform_open())) ++n;
    std::vector<int32_t> days;
    for (int i = 0; i < n; ++i) days.push_back(year0 + static_cast<int32_t>(pick(static_cast<size_t>(last - year0 + 1))));
    std::sort(days.begin(), days.end());
    std::vector<ClaimLine> claim;
    for (int32_t day : days) {
      const int pos = rng.uniform() < 0.1 ? 23 : rng.uniform() < 0.15 ? 22 : 11;
      const int nlines = 1 + static_cast<int>(pick(3));
      std::vector<int> procs;
      for (int j = 0; j < nlines; ++j) {
        const int p = clean_procedure(pt, day, procs);
        if (p >= 0) procs.push_back(p);
      }
      bool pa = false;
      for (int p : procs) pa |= rules.prior_auth_required(pt.payer, p);
      for (int p : procs) {
        ClaimLine l = line_for(pt, p, day, pos);
        if (pa) l.prior_auth = "PA" + std::to_string(100000 + pick(900000));
        claim.push_back(std::move(l));
      }
      // Planting, line by line: each line is denied with probability denial_rate.
      for (size_t j = 0; j < claim.size(); ++j) {
        if (rng.uniform() >= o.denial_rate) continue;
        const std::string r = pick_reason();
        plant(r, pt, claim, j, day, pos);
      }
      // Claim-level plants (coverage, prior_auth, frequency) leave the claim and come back as
      // claims of their own; what remains is emitted here.
      if (!claim.empty()) emit_claim(claim, pt);
      for (auto& extra : pending) emit_claim(extra, pt);
      pending.clear();
    }
  }

  std::vector<std::vector<ClaimLine>> pending;

  void mark(ClaimLine& l, const std::string& reason) {
    l.denied = 1;
    l.denial_reason = reason;
  }

  // Procedures matching a predicate.
  template <typename F>
  int find_procedure(F f) {
    std::vector<int> c;
    for (size_t p = 0; p < rules.procedures().size(); ++p)
      if (f(static_cast<int>(p))) c.push_back(static_cast<int>(p));
    return c.empty() ? -1 : c[pick(c.size())];
  }

  void plant(const std::string& r, Patient& pt, std::vector<ClaimLine>& claim, size_t j, int32_t day, int pos) {
    ClaimLine& l = claim[j];
    if (l.denied) return;
    const int p = rules.procedure_index(l.procedure);
    const auto& pr = rules.procedures()[p];
    if (r == "dx_px") {
      if (pr.dx_prefixes.empty()) {
        const int q = find_procedure([&](int x) {
          return !rules.procedures()[x].dx_prefixes.empty() && !rules.excluded(pt.payer, x) &&
                 !rules.prior_auth_required(pt.payer, x) && rules.procedures()[x].freq_max == 0;
        });
        if (q < 0) return;
        const std::string pa = l.prior_auth;
        l = line_for(pt, q, day, pos);
        l.prior_auth = pa;
        if (bad_pair(claim, j)) return revert(claim, j, pt, day, pos);
      }
      l.diagnoses = diagnoses_for(rules.procedure_index(l.procedure), true);
      mark(l, r);
    } else if (r == "modifier") {
      if (pr.required_modifiers.empty()) {
        const int q = find_procedure([&](int x) {
          return !rules.procedures()[x].required_modifiers.empty() && !rules.excluded(pt.payer, x) &&
                 !rules.prior_auth_required(pt.payer, x) && rules.procedures()[x].freq_max == 0;
        });
        if (q < 0) return;
        const std::string pa = l.prior_auth;
        l = line_for(pt, q, day, pos);
        l.prior_auth = pa;
        if (bad_pair(claim, j)) return revert(claim, j, pt, day, pos);
      }
      const auto& req = rules.procedures()[rules.procedure_index(l.procedure)].required_modifiers;
      l.modifiers.erase(std::remove_if(l.modifiers.begin(), l.modifiers.end(),
                                       [&](const std::string& m) {
                                         return std::find(req.begin(), req.end(), m) != req.end();
                                       }),
                        l.modifiers.end());
      mark(l, r);
    } else if (r == "excluded") {
      const int q = find_procedure([&](int x) {
        return rules.excluded(pt.payer, x) && !rules.prior_auth_required(pt.payer, x) && rules.procedures()[x].freq_max == 0;
      });
      if (q < 0) return;
      const std::string pa = l.prior_auth;
      l = line_for(pt, q, day, pos);
      l.prior_auth = pa;
      if (bad_pair(claim, j)) return revert(claim, j, pt, day, pos);
      mark(l, r);
    } else if (r == "code_pair") {
      // Add the column-2 code of a pair whose column-1 code is on the claim, without a bypass.
      std::vector<const RuleSet::CodePair*> cands;
      for (const auto& cp : rules.code_pairs())
        for (const auto& other : claim)
          if (rules.procedure_index(other.procedure) == cp.column1 && !rules.excluded(pt.payer, cp.column2) &&
              !rules.prior_auth_required(pt.payer, cp.column2) && rules.procedures()[cp.column2].freq_max == 0)
            cands.push_back(&cp);
      if (cands.empty()) {
        // Else replace this line by a pair of its own: column1 clean, column2 planted.
        std::vector<const RuleSet::CodePair*> all;
        for (const auto& cp : rules.code_pairs())
          if (!rules.excluded(pt.payer, cp.column1) && !rules.excluded(pt.payer, cp.column2) &&
              !rules.prior_auth_required(pt.payer, cp.column1) && !rules.prior_auth_required(pt.payer, cp.column2) &&
              rules.procedures()[cp.column1].freq_max == 0 && rules.procedures()[cp.column2].freq_max == 0)
            all.push_back(&cp);
        if (all.empty()) return;
        const auto* cp = all[pick(all.size())];
        std::vector<ClaimLine> own = {line_for(pt, cp->column1, day, pos), line_for(pt, cp->column2, day, pos)};
        mark(own[1], r);
        pending.push_back(std::move(own));
        claim.erase(claim.begin() + static_cast<std::ptrdiff_t>(j));
        return;
      }
      const auto* cp = cands[pick(cands.size())];
      for (const auto& other : claim)
        if (rules.procedure_index(other.procedure) == cp->column2) return;
      ClaimLine add = line_for(pt, cp->column2, day, pos);
      add.prior_auth = l.prior_auth;
      mark(add, r);
      claim.push_back(std::move(add));
    } else if (r == "payer_pattern") {
      if (std::find(pattern_payers.begin(), pattern_payers.end(), pt.payer) == pattern_payers.end()) {
        // Another payer: the pattern lives with the first pattern payer's members; plant noise-free
        // by moving the line into a claim of its own for a pattern patient is not possible, so
        // fall back to a random label (counted as noise).
        mark(l, "noise");
        return;
      }
      l.charge = std::round(pr.typical_charge * (kPatternRatio + 0.1 + 0.6 * rng.uniform()) * 100) / 100;
      mark(l, r);
    } else if (r == "noise") {
      mark(l, r);
    } else if (r == "coverage" || r == "prior_auth" || r == "frequency") {
      std::vector<ClaimLine> own;
      if (r == "coverage") {
        ClaimLine c = line_for(pt, p, day, pos);
        c.prior_auth = l.prior_auth;
        // No coverage on the date: a claim dated before the coverage starts.
        c.service_day = pt.cov_start - 1 - static_cast<int32_t>(pick(200));
        mark(c, r);
        own.push_back(std::move(c));
      } else if (r == "prior_auth") {
        const int q = find_procedure([&](int x) {
          return rules.prior_auth_required(pt.payer, x) && !rules.excluded(pt.payer, x) &&
                 rules.procedures()[x].freq_max == 0;
        });
        if (q < 0) return;
        ClaimLine c = line_for(pt, q, day, pos);
        mark(c, r);
        own.push_back(std::move(c));
      } else {
        const int q = find_procedure([&](int x) {
          return rules.procedures()[x].freq_max > 0 && !rules.excluded(pt.payer, x) &&
                 !rules.prior_auth_required(pt.payer, x);
        });
        if (q < 0) return;
        for (const auto& other : claim)
          if (other.procedure == rules.procedures()[q].code) return;
        const auto& f = rules.procedures()[q];
        const int32_t d0 = day;
        ClaimLine first = line_for(pt, q, d0, pos);
        first.units = f.freq_max;
        if (!frequency_ok(pt, q, d0, first.units)) {
          first.units = 0;  // the history already fills the window
        }
        if (first.units > 0) {
          std::vector<ClaimLine> c1 = {first};
          emit_claim(c1, pt);
        }
        ClaimLine second = line_for(pt, q, d0 + static_cast<int32_t>(pick(static_cast<size_t>(f.freq_days))), pos);
        if (pt.cov_end != kNoDay && second.service_day > pt.cov_end) second.service_day = d0;
        mark(second, r);
        own.push_back(std::move(second));
      }
      pending.push_back(std::move(own));
      claim.erase(claim.begin() + static_cast<std::ptrdiff_t>(j));
    }
  }

  // A replaced line must not form a code pair with the rest of its claim.
  bool bad_pair(const std::vector<ClaimLine>& claim, size_t j) {
    std::vector<int> others;
    for (size_t k = 0; k < claim.size(); ++k)
      if (k != j) others.push_back(rules.procedure_index(claim[k].procedure));
    bool allowed = false;
    return pairs_with(rules.procedure_index(claim[j].procedure), others, &allowed);
  }
  void revert(std::vector<ClaimLine>& claim, size_t j, Patient&, int32_t, int) {
    claim.erase(claim.begin() + static_cast<std::ptrdiff_t>(j));
  }
};

}  // namespace

std::vector<ClaimLine> generate_claims(const RuleSet& rules, const GenerateOptions& options) {
  options.validate();
  Gen g(rules, options);
  for (size_t k = 0; k < options.patients; ++k) g.patient(k);
  for (auto& l : g.out) l.where = "generated claim " + l.claim_id + " line " + std::to_string(l.sequence);
  return g.out;
}

}  // namespace medgen::ops::claims
