// Free-text actions. Forgiving by design: a trainee types fast, with typos and abbreviations, and
// must get a useful answer (the closest known word), never a crash or a silent no-op.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "medgen/sim/session.h"

namespace medgen::sim {

namespace {

struct Procedure {
  const char* name;
  std::vector<const char*> phrases;
};

const std::vector<Procedure>& procedures() {
  static const std::vector<Procedure> kProcedures = {
      {"needle_decompression",
       {"needle decompression", "needle thoracostomy", "needle thoracocentesis", "decompress", "needle the chest",
        "needle"}},
      {"chest_drain", {"chest drain", "chest tube", "thoracostomy", "finger thoracostomy"}},
      {"haemorrhage_control",
       {"haemorrhage control", "hemorrhage control", "control bleeding", "control the bleeding", "stop the bleeding",
        "tourniquet", "surgery", "pelvic binder", "pack", "direct pressure"}},
      {"pci", {"pci", "cath lab", "catheter lab", "angioplasty", "primary pci", "activate cath lab"}},
      {"thrombolysis", {"thrombolysis", "thrombolyse", "lysis"}},
      {"iv_access", {"iv access", "cannula", "cannulate", "iv line", "large bore"}},
      {"monitoring", {"monitor", "attach monitor", "cardiac monitor"}},
      {"call_senior", {"call senior", "call for help", "escalate", "call icu", "call the icu", "call consultant"}},
  };
  return kProcedures;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Normalises units and spelling so that the tokenizer sees one form: "0.1 micrograms per kg per minute"
// -> "0.1 mcg/kg/min".
std::string normalise(std::string s) {
  s = lower(s);
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  };
  replace_all("\xc2\xb5g", "mcg");  // µg
  replace_all("\xce\xbcg", "mcg");  // μg
  replace_all("\t", " ");
  for (const char* c : {"?", "!", "\""}) replace_all(c, " ");
  std::istringstream in(s);
  std::string tok, out;
  static const std::map<std::string, std::string> kWords = {{"micrograms", "mcg"},
                                                            {"microgram", "mcg"},
                                                            {"ug", "mcg"},
                                                            {"milligrams", "mg"},
                                                            {"milligram", "mg"},
                                                            {"grams", "g"},
                                                            {"gram", "g"},
                                                            {"unit", "units"},
                                                            {"u", "units"},
                                                            {"iu", "units"},
                                                            {"hours", "h"},
                                                            {"hour", "h"},
                                                            {"hr", "h"},
                                                            {"hrs", "h"},
                                                            {"minutes", "min"},
                                                            {"minute", "min"},
                                                            {"mins", "min"},
                                                            {"litres", "l"},
                                                            {"liters", "l"},
                                                            {"litre", "l"},
                                                            {"liter", "l"},
                                                            {"millilitres", "ml"},
                                                            {"milliliters", "ml"},
                                                            {"per", "/"},
                                                            {"a", ""},
                                                            {"the", ""},
                                                            {"of", ""},
                                                            {"please", ""},
                                                            {"lpm", "l/min"},
                                                            {"mls", "ml"},
                                                            {"intravenous", "iv"},
                                                            {"intravenously", "iv"},
                                                            {"intramuscular", "im"},
                                                            {"intramuscularly", "im"},
                                                            {"subcutaneous", "sc"},
                                                            {"subcut", "sc"},
                                                            {"nebulised", "neb"},
                                                            {"nebulized", "neb"},
                                                            {"nebuliser", "neb"},
                                                            {"nebulizer", "neb"},
                                                            {"inhaled", "neb"},
                                                            {"intranasal", "in"},
                                                            {"sublingual", "sl"},
                                                            {"oral", "po"},
                                                            {"orally", "po"}};
  while (in >> tok) {
    auto it = kWords.find(tok);
    if (it != kWords.end()) tok = it->second;
    if (tok.empty()) continue;
    out += (out.empty() ? "" : " ") + tok;
  }
  replace_all(" / ", "/");
  s = out;
  replace_all(" / ", "/");
  replace_all(" /", "/");
  replace_all("/ ", "/");
  return s;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

bool parse_number(const std::string& t, double* v, std::string* rest) {
  char* end = nullptr;
  const double x = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || !std::isfinite(x)) return false;
  *v = x;
  *rest = std::string(end);
  return true;
}

// A quantity "<number> <unit>" where unit is base[/kg][/min|/h].
struct Quantity {
  double value = 0;
  std::string base;  // mg mcg g units mmol ml l
  bool per_kg = false;
  double per_s = 0;  // 0: not a rate; else the divisor to seconds (60 for /min, 3600 for /h)
  bool percent = false;
};

bool parse_unit(const std::string& u, Quantity* q) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : u) {
    if (c == '/') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  static const std::set<std::string> kBases = {"mg", "mcg", "g", "units", "mmol", "ml", "l", "%"};
  if (parts.empty() || !kBases.count(parts[0])) return false;
  q->base = parts[0];
  q->percent = parts[0] == "%";
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "kg")
      q->per_kg = true;
    else if (parts[i] == "min")
      q->per_s = 60;
    else if (parts[i] == "h")
      q->per_s = 3600;
    else
      return false;
  }
  return true;
}

// Finds the first quantity in the words; returns its index or -1.
int find_quantity(const std::vector<std::string>& w, Quantity* q, size_t from = 0) {
  for (size_t i = from; i < w.size(); ++i) {
    double v;
    std::string rest;
    if (!parse_number(w[i], &v, &rest)) continue;
    Quantity x;
    x.value = v;
    if (!rest.empty()) {
      if (!parse_unit(rest, &x)) continue;
    } else if (i + 1 < w.size() && parse_unit(w[i + 1], &x)) {
    } else {
      x.base.clear();
    }
    *q = x;
    return static_cast<int>(i);
  }
  return -1;
}

double mass_in_mg(const std::string& u) { return u == "mg" ? 1 : u == "mcg" ? 1e-3 : u == "g" ? 1e3 : 0; }

// Amount in the drug's unit from a quantity's base unit; 0 if incompatible.
double to_drug_unit(double v, const std::string& base, const DrugSpec& d) {
  if (base == d.amount_unit) return v;
  const double from = mass_in_mg(base), to = mass_in_mg(d.amount_unit);
  if (from > 0 && to > 0) return v * from / to;
  if (base == "ml" && d.concentration_per_ml > 0) return v * d.concentration_per_ml;
  return 0;
}

bool contains_phrase(const std::string& text, const std::string& phrase) {
  const std::string t = " " + text + " ", p = " " + phrase + " ";
  return t.find(p) != std::string::npos;
}

std::string closest(const std::string& word, const std::vector<std::string>& vocab, size_t* dist) {
  std::string best;
  size_t bd = 1000;
  for (const auto& v : vocab) {
    const size_t d = edit_distance(word, v);
    if (d < bd) {
      bd = d;
      best = v;
    }
  }
  *dist = bd;
  return best;
}

const std::vector<std::string> kVerbs = {"give",        "start",   "stop",       "order",   "check",    "send",
                                         "ask",         "fluids",  "bolus",      "oxygen",  "intubate", "examine",
                                         "vitals",      "wait",    "help",       "end",     "blood",    "transfuse",
                                         "crystalloid", "history", "administer", "request", "obs"};

}  // namespace

Action parse_action(const std::string& raw, const Catalog& cat, const ConditionSpec& cond, double weight_kg) {
  Action a;
  std::string text = normalise(raw);
  std::vector<std::string> w = split_words(text);
  // Leading filler verbs ("give oxygen", "start fluids", "please administer ...") carry no meaning here.
  static const std::set<std::string> kFiller = {"give", "start", "administer", "commence", "apply",
                                                "put",  "begin", "prescribe",  "i'll",     "i",
                                                "will", "let's", "lets",       "we"};
  while (w.size() > 1 && kFiller.count(w[0])) w.erase(w.begin());
  text.clear();
  for (const auto& t : w) text += (text.empty() ? "" : " ") + t;
  if (w.empty()) {
    a.message = "type an action, or 'help'";
    return a;
  }
  const std::string& first = w[0];
  auto rest_from = [&](size_t i) {
    std::string s;
    for (size_t k = i; k < w.size(); ++k) s += (s.empty() ? "" : " ") + w[k];
    return s;
  };

  if (first == "help" || first == "h" || text == "?") {
    a.kind = Action::Kind::kHelp;
    return a;
  }
  if (first == "end" || first == "quit" || first == "exit" || first == "finish" || first == "q") {
    a.kind = Action::Kind::kEnd;
    return a;
  }
  if (first == "vitals" || first == "obs" || first == "observations" || first == "monitor" || first == "status") {
    a.kind = Action::Kind::kVitals;
    return a;
  }
  if (first == "examine" || first == "exam" || first == "examination" || first == "look" || text == "assess patient") {
    a.kind = Action::Kind::kExamine;
    return a;
  }
  if (first == "wait") {
    Quantity q;
    const int i = find_quantity(w, &q);
    double s = 60;
    if (i >= 0) {
      s = q.value * 60;
      if (i + 1 < static_cast<int>(w.size()) && (w[i + 1] == "h")) s = q.value * 3600;
      if (i + 1 < static_cast<int>(w.size()) && (w[i + 1] == "s" || w[i + 1] == "sec" || w[i + 1] == "seconds"))
        s = q.value;
    }
    if (!(s > 0) || s > 24 * 3600) {
      a.message = "wait takes a duration up to 24 h, e.g. 'wait 5 min'";
      return a;
    }
    a.kind = Action::Kind::kWait;
    a.seconds = s;
    return a;
  }

  // History questions: "ask about allergies", "any allergies", "history of pain".
  const bool asking = first == "ask" || first == "history" || first == "question" || raw.find('?') != std::string::npos;
  if (asking) {
    for (const auto& h : cond.history) {
      bool hit = contains_phrase(text, h.topic);
      // Keywords match at the start of a word ("allerg" matches "allergies"; "eat" not "weather").
      for (const auto& k : h.keywords) hit = hit || (" " + text).find(" " + k) != std::string::npos;
      if (hit) {
        a.kind = Action::Kind::kAsk;
        a.what = h.topic;
        return a;
      }
    }
    if (first == "ask" || first == "history" || first == "question") {
      std::string topics;
      for (const auto& h : cond.history) topics += (topics.empty() ? "" : ", ") + h.topic;
      a.message = "the patient does not understand the question; you can ask about: " + topics;
      return a;
    }
  }

  // Oxygen.
  if (first == "oxygen" || first == "o2" || first == "fio2" || first == "nrb" || first == "non-rebreather") {
    a.kind = Action::Kind::kOxygen;
    if (contains_phrase(text, "off") || contains_phrase(text, "stop")) {
      a.fio2 = 0.21;
      return a;
    }
    Quantity q;
    const int i = find_quantity(w, &q);
    if (i < 0) {
      a.fio2 = first == "fio2" ? 0.21 : 0.85;  // "oxygen" alone: 15 L/min non-rebreather
      if (first == "fio2") {
        a.kind = Action::Kind::kUnknown;
        a.message = "fio2 needs a value, e.g. 'fio2 0.6' or 'oxygen 40%'";
      }
      return a;
    }
    if (q.percent || (first == "fio2" && q.value > 1))
      a.fio2 = q.value / 100.0;
    else if (first == "fio2" || (q.value <= 1 && q.base.empty()))
      a.fio2 = q.value;
    else if (q.base == "l" || q.base.empty()) {  // flow in L/min: nasal cannula up to 6, mask up to 10, NRB above
      const double f = q.value;
      a.fio2 = f <= 6 ? 0.21 + 0.04 * f : f <= 10 ? 0.45 + 0.03 * (f - 6) : 0.85;
      if (contains_phrase(text, "nasal") || contains_phrase(text, "cannula")) a.fio2 = std::min(a.fio2, 0.45);
    } else {
      a.kind = Action::Kind::kUnknown;
      a.message = "oxygen takes a flow ('oxygen 15 l/min') or a fraction ('oxygen 40%', 'fio2 0.6')";
      return a;
    }
    if (a.fio2 < 0.21 || a.fio2 > 1.0) {
      a.kind = Action::Kind::kUnknown;
      a.message = "FiO2 must be between 0.21 and 1.0";
    }
    return a;
  }
  if (first == "intubate" || first == "rsi" || contains_phrase(text, "intubate") ||
      contains_phrase(text, "intubation")) {
    a.kind = Action::Kind::kIntubate;
    return a;
  }

  // Orders.
  const bool ordering = first == "order" || first == "check" || first == "send" || first == "request" ||
                        first == "measure" || first == "get" || first == "do";
  {
    const size_t start = ordering ? 1 : 0;
    const std::string what = rest_from(start);
    const OrderSpec* o = cat.find_order(what);
    if (!o)
      for (const auto& ord : cat.orders) {
        if (contains_phrase(what, ord.name)) o = &ord;
        for (const auto& al : ord.aliases)
          if (!o && contains_phrase(what, al)) o = &ord;
        if (o) break;
      }
    if (o) {
      a.kind = Action::Kind::kOrder;
      a.what = o->name;
      return a;
    }
    if (ordering) {
      std::vector<std::string> vocab;
      for (const auto& ord : cat.orders) {
        vocab.push_back(ord.name);
        for (const auto& al : ord.aliases) vocab.push_back(al);
      }
      size_t d = 0;
      const std::string best = closest(what, vocab, &d);
      a.message =
          "unknown order '" + what + "'" +
          (d <= std::max<size_t>(2, what.size() / 3) ? "; did you mean '" + best + "'?" : "; try 'help orders'");
      return a;
    }
  }

  // Procedures.
  for (const auto& p : procedures())
    for (const char* ph : p.phrases)
      if (contains_phrase(text, ph)) {
        a.kind = Action::Kind::kProcedure;
        a.what = p.name;
        return a;
      }

  // Fluids and blood.
  const bool stop = first == "stop" || first == "pause" || first == "discontinue";
  const bool is_blood = contains_phrase(text, "blood") || contains_phrase(text, "prbc") || first == "transfuse" ||
                        contains_phrase(text, "packed cells") || contains_phrase(text, "prc");
  const bool is_fluid = first == "fluids" || first == "fluid" || first == "bolus" || first == "crystalloid" ||
                        contains_phrase(text, "saline") || contains_phrase(text, "hartmann's") ||
                        contains_phrase(text, "hartmanns") || contains_phrase(text, "ringer's") ||
                        contains_phrase(text, "plasma-lyte") || contains_phrase(text, "crystalloid") ||
                        contains_phrase(text, "fluids") || contains_phrase(text, "fluid") ||
                        contains_phrase(text, "lactated ringer's");
  if ((is_fluid || is_blood) && stop) {
    a.kind = Action::Kind::kStopFluids;
    return a;
  }
  if ((is_fluid || is_blood) && !cat.find_drug(w.size() > 1 ? w[1] : w[0])) {
    Quantity q;
    const int i = find_quantity(w, &q);
    a.kind = Action::Kind::kFluid;
    a.blood = is_blood;
    if (i < 0) {
      if (is_blood)
        a.volume_ml = 300;  // one unit of packed red cells
      else {
        a.kind = Action::Kind::kUnknown;
        a.message = "how much? e.g. 'fluids 30 ml/kg', 'bolus 500 ml', 'blood 2 units'";
        return a;
      }
    } else if (q.base == "units" || (is_blood && q.base.empty())) {
      a.volume_ml = q.value * 300;
    } else if (q.base == "ml" || q.base == "l") {
      a.volume_ml = q.value * (q.base == "l" ? 1000 : 1) * (q.per_kg ? weight_kg : 1);
    } else {
      a.kind = Action::Kind::kUnknown;
      a.message = "fluid volumes are in ml, ml/kg or l (blood also in units), e.g. 'fluids 30 ml/kg'";
      return a;
    }
    if (!(a.volume_ml > 0) || a.volume_ml > 10000) {
      a.kind = Action::Kind::kUnknown;
      a.message = "a fluid order must be between 1 and 10,000 ml";
      return a;
    }
    // Default: crystalloid at 2 L in 30 min (pressure bag), blood at 1 unit in 20 min; "over N min" overrides.
    double over_s = is_blood ? a.volume_ml / 300.0 * 1200.0 : a.volume_ml / 2000.0 * 1800.0;
    for (size_t k = 0; k + 1 < w.size(); ++k)
      if (w[k] == "over") {
        double v;
        std::string r;
        if (parse_number(w[k + 1], &v, &r) && v > 0) {
          const bool hours = r == "h" || (k + 2 < w.size() && w[k + 2] == "h");
          over_s = v * (hours ? 3600 : 60);
        }
      }
    a.fluid_rate_ml_s = a.volume_ml / std::max(over_s, 60.0);
    return a;
  }

  // Drugs: find the drug name anywhere in the text (two-word aliases first).
  const DrugSpec* drug = nullptr;
  for (size_t k = 0; k < w.size() && !drug; ++k) {
    if (k + 1 < w.size()) drug = cat.find_drug(w[k] + " " + w[k + 1]);
    if (!drug) drug = cat.find_drug(w[k]);
  }
  if (drug) {
    if (stop) {
      a.kind = Action::Kind::kStopDrug;
      a.what = drug->name;
      return a;
    }
    Quantity q;
    int i = find_quantity(w, &q);
    while (i >= 0 && q.percent) i = find_quantity(w, &q, i + 1);  // "dextrose 10%" names the preparation
    if (i < 0 || q.base.empty()) {
      a.message = "how much " + drug->name + "? e.g. '" + drug->name + " <dose> " + drug->amount_unit + " " +
                  drug->routes.begin()->first + "'";
      return a;
    }
    // Route: an explicit route word, else IV when possible, else the drug's first route.
    std::string route;
    for (const auto& t : w)
      if (drug->routes.count(t)) route = t;
    for (const auto& t : w) {
      static const std::set<std::string> kRoutes = {"iv", "im", "sc", "neb", "in", "po", "io", "sl"};
      if (kRoutes.count(t) && !drug->routes.count(t)) {
        std::string ok;
        for (const auto& [r, spec] : drug->routes) ok += (ok.empty() ? "" : ", ") + r;
        a.message = drug->name + " cannot be given " + t + " here; routes: " + ok;
        return a;
      }
    }
    if (route.empty()) route = drug->routes.count("iv") ? "iv" : drug->routes.begin()->first;
    double amount = to_drug_unit(q.value, q.base, *drug);
    if (amount <= 0 || q.value <= 0) {
      a.message = "cannot give " + drug->name + " in " + q.base + "; its doses are in " + drug->amount_unit +
                  (drug->concentration_per_ml > 0 ? " (or ml)" : "");
      return a;
    }
    if (q.per_kg) amount *= weight_kg;
    a.what = drug->name;
    a.route = route;
    if (q.per_s > 0) {
      if (route != "iv" && route != "io") {
        a.message = "infusions are IV; give " + drug->name + " as a dose, or drop the rate";
        return a;
      }
      a.kind = Action::Kind::kDrug;
      a.rate_per_s = amount / q.per_s;
    } else {
      a.kind = Action::Kind::kDrug;
      a.amount = amount;
    }
    return a;
  }

  // Nothing matched: suggest the closest drug, order or verb for each word.
  std::vector<std::string> vocab = kVerbs;
  for (const auto& d : cat.drugs) {
    vocab.push_back(d.name);
    for (const auto& al : d.aliases) vocab.push_back(al);
  }
  for (const auto& o : cat.orders) vocab.push_back(o.name);
  std::string best_word, best;
  size_t bd = 1000;
  for (const auto& t : w) {
    if (t.size() < 3) continue;
    double dummy;
    std::string r;
    if (parse_number(t, &dummy, &r)) continue;
    size_t d = 0;
    const std::string c = closest(t, vocab, &d);
    if (d < bd && d > 0) {
      bd = d;
      best = c;
      best_word = t;
    }
  }
  if (!best.empty() && bd <= std::max<size_t>(2, best_word.size() / 3))
    a.message = "unknown action '" + raw + "': did you mean '" + best + "' (not '" + best_word + "')?";
  else
    a.message = "unknown action '" + raw + "'; type 'help' for examples";
  return a;
}

}  // namespace medgen::sim
