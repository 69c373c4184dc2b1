// Free-text actions. Forgiving by design: a trainee types fast, with typos and abbreviations, and
// must get a useful answer (the closest known word), never a crash or a silent no-op.
#include <algorithm>
#include <cmath>
#include <cstdio>
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
      // Before needle decompression: "needle pericardiocentesis" names the pericardium, not the chest.
      {"pericardiocentesis",
       {"pericardiocentesis", "pericardial drain", "pericardial drainage", "pericardial tap", "tap the pericardium",
        "tap pericardium", "drain the pericardium", "drain pericardium", "drain the pericardial", "drain pericardial",
        "aspirate the pericardium", "aspirate pericardium", "pericardial aspiration", "pericardial window",
        "subxiphoid needle"}},
      {"needle_decompression",
       {"needle decompression", "needle thoracostomy", "needle thoracocentesis", "decompress", "needle the chest",
        "needle"}},
      {"neurosurgery", {"craniotomy", "neurosurgery", "neurosurgical", "evacuate the haematoma", "evacuate haematoma",
                        "evacuate the hematoma", "burr hole", "craniectomy"}},
      {"niv", {"niv", "bipap", "bilevel", "non-invasive ventilation", "noninvasive ventilation", "non invasive ventilation",
               "nippv", "start niv"}},
      {"chest_drain", {"chest drain", "chest tube", "thoracostomy", "finger thoracostomy"}},
      // Before haemorrhage control: taking a tourniquet off is not controlling the bleeding.
      {"tourniquet_release", {"release tourniquet", "remove tourniquet", "take off tourniquet", "tourniquet off",
                              "loosen tourniquet", "deflate tourniquet", "tourniquet removed", "released tourniquet"}},
      {"haemorrhage_control",
       {"haemorrhage control", "hemorrhage control", "control bleeding", "control the bleeding", "stop the bleeding",
        "tourniquet", "surgery", "pelvic binder", "pack", "direct pressure"}},
      {"pci", {"pci", "cath lab", "catheter lab", "angioplasty", "primary pci", "activate cath lab"}},
      {"thrombolysis", {"thrombolysis", "thrombolyse", "lysis"}},
      {"iv_access", {"iv access", "cannula", "cannulate", "iv line", "large bore"}},
      {"monitoring", {"monitor", "attach monitor", "cardiac monitor"}},
      {"call_senior", {"call senior", "call for help", "escalate", "call icu", "call the icu", "call consultant",
                       "poisons centre", "poisons center", "poison centre", "poison center", "poisons service",
                       "poisons information", "toxbase", "toxicology", "toxicologist", "npis"}},
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

// Number words to digits: "zero point four" -> "0.4", "five hundred" -> "500", "half" -> "0.5",
// "two and a half" -> "2.5". Other words pass through.
std::string number_words(const std::string& s) {
  static const std::map<std::string, int> kSmall = {
      {"zero", 0},     {"nought", 0},   {"oh", 0},        {"one", 1},       {"two", 2},       {"three", 3},
      {"four", 4},     {"five", 5},     {"six", 6},       {"seven", 7},     {"eight", 8},     {"nine", 9},
      {"ten", 10},     {"eleven", 11},  {"twelve", 12},   {"thirteen", 13}, {"fourteen", 14}, {"fifteen", 15},
      {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19}, {"twenty", 20},  {"thirty", 30},
      {"forty", 40},   {"fifty", 50},   {"sixty", 60},    {"seventy", 70},  {"eighty", 80},   {"ninety", 90}};
  std::vector<std::string> w;
  {
    std::istringstream in(s);
    std::string t;
    while (in >> t) {
      // "twenty-five" -> "twenty five"
      const size_t h = t.find('-');
      if (h != std::string::npos && kSmall.count(t.substr(0, h)) && kSmall.count(t.substr(h + 1))) {
        w.push_back(t.substr(0, h));
        w.push_back(t.substr(h + 1));
      } else if ((t == "a" || t == "an") && (in >> std::ws).peek() != EOF) {
        // "a hundred", "a thousand": the article is the number one
        const auto pos = in.tellg();
        std::string next;
        in >> next;
        in.seekg(pos);
        w.push_back(next == "hundred" || next == "thousand" ? "one" : t);
      } else {
        w.push_back(t);
      }
    }
  }
  std::string out;
  auto emit = [&](const std::string& t) { out += (out.empty() ? "" : " ") + t; };
  auto fmt_num = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", x);
    return std::string(buf);
  };
  for (size_t i = 0; i < w.size();) {
    const bool starts = (kSmall.count(w[i]) && w[i] != "oh") || w[i] == "half" ||
                        (w[i] == "point" && i + 1 < w.size() && kSmall.count(w[i + 1]));
    if (!starts) {
      emit(w[i++]);
      continue;
    }
    double total = 0, group = 0;
    bool any = false;
    size_t j = i;
    while (j < w.size()) {
      auto it = kSmall.find(w[j]);
      if (it != kSmall.end() && w[j] != "oh") {
        group += it->second;
        any = true;
        ++j;
      } else if (w[j] == "hundred" && any) {
        group = (group == 0 ? 1 : group) * 100;
        ++j;
      } else if (w[j] == "thousand" && any) {
        total += (group == 0 ? 1 : group) * 1000;
        group = 0;
        ++j;
      } else if (w[j] == "and" && j + 1 < w.size() && (kSmall.count(w[j + 1]) || w[j + 1] == "a")) {
        ++j;  // "two hundred and fifty", "two and a half"
      } else {
        break;
      }
    }
    double x = total + group;
    // "point four", "zero point four five"
    if (j < w.size() && w[j] == "point") {
      std::string digits;
      size_t k = j + 1;
      while (k < w.size() && kSmall.count(w[k]) && kSmall.at(w[k]) < 10) digits += std::to_string(kSmall.at(w[k++]));
      if (!digits.empty()) {
        x += std::stod("0." + digits);
        any = true;
        j = k;
      }
    }
    // "half", "a half", "and a half"
    if (j < w.size() && w[j] == "a" && j + 1 < w.size() && w[j + 1] == "half") ++j;
    if (j < w.size() && w[j] == "half") {
      x += 0.5;
      any = true;
      ++j;
      if (j < w.size() && (w[j] == "a" || w[j] == "an")) ++j;  // "half a litre"
    }
    if (!any) {
      emit(w[i++]);
      continue;
    }
    emit(fmt_num(x));
    i = j;
  }
  return out;
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
  for (const char* c : {"?", "!", "\"", "(", ")", ":"}) replace_all(c, " ");
  // "1,000 ml" -> "1000 ml"; other commas separate words.
  for (size_t p = 1; p + 1 < s.size(); ++p)
    if (s[p] == ',' && std::isdigit(static_cast<unsigned char>(s[p - 1])) &&
        std::isdigit(static_cast<unsigned char>(s[p + 1])))
      s.erase(p, 1);
  replace_all(",", " ");
  // A trailing full stop ("naloxone 0.4 mg iv.") but not a decimal point.
  for (size_t p = 0; p < s.size(); ++p)
    if (s[p] == '.' && (p + 1 == s.size() || s[p + 1] == ' ') && (p == 0 || !std::isdigit(static_cast<unsigned char>(s[p - 1])) || p + 1 == s.size()))
      s[p] = ' ';
  s = number_words(s);
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
                                                            {"orally", "po"},
                                                            {"by", ""},
                                                            {"mouth", "po"},
                                                            {"stat", ""},
                                                            {"now", ""},
                                                            {"immediately", ""},
                                                            {"asap", ""},
                                                            {"at", ""},
                                                            {"to", ""},
                                                            {"patient", ""},
                                                            {"pt", ""},
                                                            {"dose", ""},
                                                            {"hourly", "/h"},
                                                            {"mgs", "mg"},
                                                            {"mcgs", "mcg"},
                                                            {"gm", "g"},
                                                            {"gms", "g"},
                                                            {"kilo", "kg"},
                                                            {"kilos", "kg"},
                                                            {"kilogram", "kg"},
                                                            {"kilograms", "kg"},
                                                            {"ltr", "l"},
                                                            {"ltrs", "l"},
                                                            {"lt", "l"},
                                                            {"millilitre", "ml"},
                                                            {"milliliter", "ml"},
                                                            {"cc", "ml"},
                                                            {"ccs", "ml"},
                                                            {"units/hr", "units/h"},
                                                            {"sec", "s"},
                                                            {"secs", "s"},
                                                            {"seconds", "s"},
                                                            {"second", "s"},
                                                            {"millimoles", "mmol"},
                                                            {"millimole", "mmol"},
                                                            {"mmols", "mmol"},
                                                            {"percent", "%"},
                                                            {"neb'd", "neb"},
                                                            {"nebs", "neb"},
                                                            {"nebulise", "neb"},
                                                            {"nebulize", "neb"},
                                                            {"nasal", "in"},
                                                            {"intranasally", "in"},
                                                            {"subcutaneously", "sc"},
                                                            {"sub-cut", "sc"},
                                                            {"s/c", "sc"},
                                                            {"i.v.", "iv"},
                                                            {"i.m.", "im"},
                                                            {"i/v", "iv"},
                                                            {"i/m", "im"},
                                                            {"ivi", "iv"},
                                                            {"intraosseous", "io"},
                                                            {"p.o.", "po"}};
  std::vector<std::string> toks;
  while (in >> tok) {
    // A unit written in one token ("micrograms/kg/minute"): map each part.
    if (tok.find('/') != std::string::npos && tok.size() > 1 && !kWords.count(tok)) {
      std::string joined, part;
      std::istringstream parts(tok);
      bool first_part = true;
      while (std::getline(parts, part, '/')) {
        auto it = kWords.find(part);
        if (it != kWords.end() && !it->second.empty() && part != "per") part = it->second;
        joined += (first_part ? "" : "/") + part;
        first_part = false;
      }
      tok = joined;
    }
    // "a litre", "an ampoule of", "one unit an hour": the article is a number before a unit, "per" before a time.
    if ((tok == "a" || tok == "an") && (in >> std::ws).peek() != EOF) {
      const auto pos = in.tellg();
      std::string next;
      in >> next;
      in.seekg(pos);
      static const std::set<std::string> kUnitWords = {"litre", "liter", "l", "gram", "g", "unit", "milligram",
                                                       "mg", "bag", "bolus", "ml", "mmol"};
      static const std::set<std::string> kTimeWords = {"hour", "h", "hr", "minute", "min"};
      if (kUnitWords.count(next)) tok = "1";
      if (kTimeWords.count(next) && !toks.empty()) tok = toks.back() == "over" ? "1" : "/";
    }
    auto it = kWords.find(tok);
    if (it != kWords.end()) tok = it->second;
    if (tok.empty()) continue;
    toks.push_back(tok);
  }
  for (const auto& t : toks) out += (out.empty() ? "" : " ") + t;
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
  static const std::map<std::string, std::string> kAlias = {
      {"mls", "ml"},   {"mgs", "mg"},  {"mcgs", "mcg"}, {"ug", "mcg"}, {"gm", "g"},     {"cc", "ml"},
      {"litre", "l"},  {"liter", "l"}, {"litres", "l"}, {"ltr", "l"},  {"u", "units"},  {"iu", "units"},
      {"unit", "units"}, {"hr", "h"},  {"hrs", "h"},    {"hour", "h"}, {"mins", "min"}, {"minute", "min"},
      {"kilo", "kg"},  {"mmols", "mmol"}};
  for (auto& part : parts) {
    auto it = kAlias.find(part);
    if (it != kAlias.end()) part = it->second;
  }
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

std::string fmt_number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

std::string unit_string(const Quantity& q) {
  if (q.base.empty()) return "";
  return q.base + (q.per_kg ? "/kg" : "") + (q.per_s == 60 ? "/min" : q.per_s == 3600 ? "/h" : "");
}

// "over 15 min", "over 2 h", "over an hour" (read as "over 1 h"): seconds, or 0.
double over_seconds(const std::vector<std::string>& w) {
  for (size_t k = 0; k + 1 < w.size(); ++k)
    if (w[k] == "over") {
      double v;
      std::string r;
      if (parse_number(w[k + 1], &v, &r) && v > 0) {
        const std::string unit = !r.empty() ? r : k + 2 < w.size() ? w[k + 2] : "min";
        return v * (unit == "h" ? 3600 : unit == "s" ? 1 : 60);
      }
      if (w[k + 1] == "h") return 3600;
      if (w[k + 1] == "min") return 60;
    }
  return 0;
}

// Finds the first quantity in the words; returns its index or -1.
int find_quantity(const std::vector<std::string>& w, Quantity* q, size_t from = 0) {
  for (size_t i = from; i < w.size(); ++i) {
    double v;
    std::string rest;
    if (i > 0 && (w[i - 1] == "over" || w[i - 1] == "every" || w[i - 1] == "x")) continue;
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
                                         "crystalloid", "history", "administer", "request", "obs",         "silence",
                                         "acknowledge"};

}  // namespace

const char* action_kind_name(Action::Kind k) {
  switch (k) {
    case Action::Kind::kAsk: return "ask";
    case Action::Kind::kOrder: return "order";
    case Action::Kind::kDrug: return "drug";
    case Action::Kind::kStopDrug: return "stop_drug";
    case Action::Kind::kFluid: return "fluid";
    case Action::Kind::kStopFluids: return "stop_fluids";
    case Action::Kind::kOxygen: return "oxygen";
    case Action::Kind::kIntubate: return "intubate";
    case Action::Kind::kProcedure: return "procedure";
    case Action::Kind::kExamine: return "examine";
    case Action::Kind::kVitals: return "vitals";
    case Action::Kind::kWait: return "wait";
    case Action::Kind::kHelp: return "help";
    case Action::Kind::kEnd: return "end";
    case Action::Kind::kConfirm: return "confirm";
    case Action::Kind::kCancel: return "cancel";
    case Action::Kind::kSilence: return "silence";
    case Action::Kind::kAcknowledge: return "acknowledge";
    case Action::Kind::kShock: return "shock";
    case Action::Kind::kPace: return "pace";
    case Action::Kind::kCpr: return "cpr";
    case Action::Kind::kVentilator: return "ventilator";
    case Action::Kind::kUnknown: return "unknown";
  }
  return "unknown";
}

Action parse_action(const std::string& raw, const Catalog& cat, const ConditionSpec& cond, double weight_kg) {
  Action a;
  if (raw.find_first_not_of(" \t") != std::string::npos &&
      raw.substr(raw.find_first_not_of(" \t"), raw.find_last_not_of(" \t") - raw.find_first_not_of(" \t") + 1) == "?") {
    a.kind = Action::Kind::kHelp;
    return a;
  }
  std::string text = normalise(raw);
  std::vector<std::string> w = split_words(text);
  // Leading filler verbs ("give oxygen", "start fluids", "please administer ...") carry no meaning here.
  static const std::set<std::string> kFiller = {
      "give",  "start", "administer", "commence", "apply", "put",   "begin", "prescribe", "i'll", "i",   "will",
      "let's", "lets",  "we",         "push",     "run",   "infuse", "can",  "you",       "we'll", "i'd", "like",
      "want",  "need",  "some",       "go",       "ahead", "and",   "with", "hang",      "draw",  "please", "quick",
      "then",  "also",  "up",         "on"};
  // "push" means an IV push unless another route is named.
  const bool push = std::find(w.begin(), w.end(), "push") != w.end();  // "push 0.4 ...", "... iv push"
  if (push && w.size() > 1) w.erase(std::remove(w.begin(), w.end(), "push"), w.end());
  while (w.size() > 1 && kFiller.count(w[0])) w.erase(w.begin());
  if (w.size() == 1 && (w[0] == "confirm" || w[0] == "confirmed" || w[0] == "yes" || w[0] == "confirm order")) {
    a.kind = Action::Kind::kConfirm;
    return a;
  }
  if (w.size() == 1 && (w[0] == "cancel" || w[0] == "no")) {
    a.kind = Action::Kind::kCancel;
    return a;
  }
  // "..., confirm" / "confirmed": the trainee accepts a dose above the soft limit up front.
  for (size_t k = 0; k < w.size();)
    if (w[k] == "confirm" || w[k] == "confirmed" || w[k] == "confirming") {
      a.confirmed = true;
      w.erase(w.begin() + k);
    } else {
      ++k;
    }
  if (push && std::none_of(w.begin(), w.end(), [](const std::string& t) {
        return t == "im" || t == "sc" || t == "in" || t == "po" || t == "neb" || t == "io" || t == "sl";
      }))
    w.push_back("iv");
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
  auto has_word = [&](const char* x) { return std::find(w.begin(), w.end(), x) != w.end(); };
  if (first == "vitals" || first == "obs" || first == "observations" || first == "monitor" || first == "status" ||
      has_word("vitals") || has_word("obs") || has_word("observations") || contains_phrase(text, "vital signs") ||
      text == "check monitor" || text == "look monitor") {
    a.kind = Action::Kind::kVitals;
    return a;
  }
  if (first == "examine" || first == "exam" || first == "examination" || first == "look" || text == "assess patient") {
    a.kind = Action::Kind::kExamine;
    return a;
  }
  // Alarms: "silence alarms 2 min", "mute", "pause alarms"; "acknowledge alarms", "ack".
  if (first == "silence" || first == "mute" || first == "hush" ||
      (first == "pause" && (has_word("alarm") || has_word("alarms") || has_word("audio")))) {
    Quantity q;
    const int i = find_quantity(w, &q);
    double s = 120;  // a monitor's usual audio pause
    if (i >= 0) {
      s = q.value * 60;
      if (i + 1 < static_cast<int>(w.size()) && (w[i + 1] == "s" || w[i + 1] == "sec" || w[i + 1] == "seconds"))
        s = q.value;
    }
    if (!(s > 0) || s > 15 * 60) {
      a.message = "alarms can be silenced for up to 15 min, e.g. 'silence alarms 2 min'";
      return a;
    }
    a.kind = Action::Kind::kSilence;
    a.seconds = s;
    return a;
  }
  if (first == "acknowledge" || first == "ack" || first == "acknowledged" || text == "alarm acknowledged") {
    a.kind = Action::Kind::kAcknowledge;
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

  // Capnography confirms a tube's position ("check etco2", "end tidal co2"): before the orders and the
  // ventilator settings ("tidal").
  if (has_word("capnography") || has_word("capnograph") || has_word("etco2") || has_word("capnometry") ||
      contains_phrase(text, "end tidal co2") || contains_phrase(text, "end-tidal co2") ||
      contains_phrase(text, "end tidal") || contains_phrase(text, "end-tidal")) {
    // "intubate and confirm with capnography": the intubation, its position checked at once.
    const bool intubating = first == "intubate" || first == "rsi" || contains_phrase(text, "intubate") ||
                            contains_phrase(text, "intubation");
    a.kind = intubating ? Action::Kind::kIntubate : Action::Kind::kProcedure;
    a.what = "capnography";
    if (intubating) {
      a.what.clear();
      a.detail = "capnography";
    }
    return a;
  }
  // A central venous catheter: before the orders ("under ultrasound" names the guidance, not an order).
  if (contains_phrase(text, "central line") || has_word("cvc") || contains_phrase(text, "central venous catheter") ||
      contains_phrase(text, "central venous line") || contains_phrase(text, "central access") ||
      contains_phrase(text, "ij line") || contains_phrase(text, "internal jugular line") ||
      contains_phrase(text, "subclavian line") || contains_phrase(text, "femoral line") ||
      contains_phrase(text, "central venous access") || contains_phrase(text, "internal jugular cvc")) {
    a.kind = Action::Kind::kProcedure;
    a.what = "central_line";
    a.detail = has_word("subclavian") ? "subclavian" : has_word("femoral") ? "femoral" : "ij";
    for (const auto& t : w)
      if (t.rfind("ultrasound", 0) == 0 || t.rfind("us-guided", 0) == 0 || t == "us" || t == "usg" ||
          t.rfind("sono", 0) == 0 || t.rfind("echo-guided", 0) == 0)
        a.ultrasound = true;
    if (has_word("landmark") || has_word("blind") || contains_phrase(text, "without ultrasound") ||
        contains_phrase(text, "no ultrasound"))
      a.ultrasound = false;
    return a;
  }
  // Ventilator and NIV settings: "ventilator rr 12 vt 6 ml/kg peep 10 fio2 0.8", "set peep 8", "vent rate 20",
  // "tidal volume 450 ml", "increase peep to 12", "niv ipap 15 epap 5 fio2 0.4", "cpap 10", "stop niv".
  {
    const bool niv_word = has_word("niv") || has_word("bipap") || has_word("bilevel") || has_word("nippv");
    const bool cpap_word = has_word("cpap");
    const bool vent_word = has_word("ventilator") || has_word("vent") || has_word("peep") || has_word("tidal") ||
                           has_word("ipap") || has_word("epap") || contains_phrase(text, "pressure support");
    auto number_at = [&](size_t k, double* v, std::string* unit) {
      std::string rest;
      if (!parse_number(w[k], v, &rest)) return false;
      *unit = !rest.empty() ? rest : k + 1 < w.size() ? w[k + 1] : "";
      return true;
    };
    bool any_number = false;
    for (const auto& t : w) {
      double v;
      std::string r;
      any_number = any_number || parse_number(t, &v, &r);
    }
    const bool stopping = first == "stop" || first == "discontinue" || has_word("off");
    if ((niv_word || cpap_word) && stopping) {
      a.kind = Action::Kind::kVentilator;
      a.what = cpap_word ? "cpap" : "niv";
      a.stop = true;
      return a;
    }
    if (vent_word || ((niv_word || cpap_word) && (any_number || cpap_word))) {
      a.kind = Action::Kind::kVentilator;
      a.what = cpap_word ? "cpap" : niv_word || has_word("ipap") || has_word("epap") ? "niv" : "ventilator";
      double ps = -1;
      for (size_t k = 0; k < w.size(); ++k) {
        const std::string& t = w[k];
        double* target = nullptr;
        std::string key;
        if (t == "rr" || t == "rate" || t == "frequency" || t == "f" || t == "respiratory" || t == "resp") key = "rr";
        else if (t == "vt" || t == "tidal" || t == "volume") key = "vt";
        else if (t == "peep") key = "peep";
        else if (t == "fio2" || t == "oxygen" || t == "o2") key = "fio2";
        else if (t == "ipap") key = "ipap";
        else if (t == "epap") key = "epap";
        else if (t == "cpap") key = "cpap";
        else if (t == "support" || t == "ps") key = "ps";
        else continue;
        double v = 0;
        std::string unit;
        size_t j = k + 1;
        for (; j < w.size() && j <= k + 3; ++j)
          if (number_at(j, &v, &unit)) break;
        if (j >= w.size() || j > k + 3) {
          if (key == "cpap") {  // "cpap" alone: 5 cmH2O
            a.niv_epap = a.niv_ipap = 5;
            a.note = "no pressure given: CPAP 5 cmH2O";
          }
          continue;
        }
        if (key == "rr") target = &a.vent_rr;
        if (key == "peep") target = &a.vent_peep;
        if (key == "ipap") target = &a.niv_ipap;
        if (key == "epap") target = &a.niv_epap;
        if (key == "ps") target = &ps;
        if (key == "cpap") {
          a.niv_epap = a.niv_ipap = v;
        } else if (key == "fio2") {
          a.vent_fio2 = unit == "%" || unit.rfind("%", 0) == 0 || v > 1 ? v / 100.0 : v;
        } else if (key == "vt") {
          const bool per_kg = unit.find("/kg") != std::string::npos;
          const bool ml = !per_kg && (unit == "ml" || unit == "l");
          a.vent_vt_ml_per_kg = per_kg || (!ml && v <= 20) ? v : v * (unit == "l" ? 1000 : 1) / weight_kg;
        } else {
          *target = v;
        }
        k = j;
      }
      if (ps >= 0) {
        if (a.niv_epap < 0) a.niv_epap = 5;
        a.niv_ipap = a.niv_epap + ps;
        a.what = "niv";
      }
      if (a.vent_rr < 0 && a.vent_vt_ml_per_kg < 0 && a.vent_peep < 0 && a.vent_fio2 < 0 && a.niv_ipap < 0 &&
          a.niv_epap < 0) {
        a.kind = Action::Kind::kUnknown;
        a.message = "which setting? e.g. 'ventilator rr 14 vt 6 ml/kg peep 8 fio2 0.6', 'set peep 10', "
                    "'niv ipap 15 epap 5', 'cpap 10'";
        return a;
      }
      // Plausible ranges (VentilatorLimits); anything else is refused with the range.
      using L = VentilatorLimits;
      auto out_of = [&](double v, double lo, double hi, const char* what, const char* unit) {
        if (v < 0 || (v >= lo && v <= hi)) return false;
        char buf[200];
        std::snprintf(buf, sizeof buf, "refused: %s %g %s is outside the range %g-%g %s", what, v, unit, lo, hi, unit);
        a.kind = Action::Kind::kUnknown;
        a.message = buf;
        return true;
      };
      if (out_of(a.vent_rr, L::kRrMin, L::kRrMax, "ventilator rate", "/min") ||
          out_of(a.vent_vt_ml_per_kg, L::kVtMinPerKg, L::kVtMaxPerKg, "tidal volume", "ml/kg") ||
          out_of(a.vent_peep, L::kPeepMin, L::kPeepMax, "PEEP", "cmH2O") ||
          out_of(a.vent_fio2, L::kFio2Min, L::kFio2Max, "FiO2", "") ||
          out_of(a.niv_ipap, 0, L::kIpapMax, "IPAP", "cmH2O") || out_of(a.niv_epap, 0, L::kEpapMax, "EPAP", "cmH2O"))
        return a;
      if (a.niv_ipap >= 0 && a.niv_epap >= 0 && a.niv_ipap < a.niv_epap) {
        a.kind = Action::Kind::kUnknown;
        a.message = "refused: IPAP must be at least EPAP (pressure support = IPAP - EPAP)";
        return a;
      }
      return a;
    }
  }

  // Oxygen.
  const bool oxygen_word = has_word("oxygen") || has_word("o2") || has_word("non-rebreather") || has_word("nrb");
  if (first == "oxygen" || first == "o2" || first == "fio2" || first == "nrb" || first == "non-rebreather" ||
      (oxygen_word && !cat.find_drug(first))) {
    a.kind = Action::Kind::kOxygen;
    if (contains_phrase(text, "off") || contains_phrase(text, "stop") || first == "stop" || first == "turn") {
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

  // CPR, defibrillation and cardioversion, pacing: "start cpr", "hold compressions", "shock 200 J",
  // "defib at 150 joules", "cardiovert 120 J synchronised", "sync shock 200j", "start pacing at 70",
  // "transcutaneous pacing 70 bpm 80 mA", "stop pacing".
  {
    const bool stopping = first == "stop" || first == "hold" || first == "pause" || first == "discontinue" ||
                          first == "cease" || has_word("off");
    const bool cpr_word = has_word("cpr") || has_word("compressions") || contains_phrase(text, "chest compression") ||
                          has_word("bls");
    if (cpr_word) {
      a.kind = Action::Kind::kCpr;
      a.what = "cpr";
      a.stop = stopping;
      return a;
    }
    // A number followed by one of `units` (glued, "200j", or the next word); -1 when none.
    auto number_before = [&](const std::set<std::string>& units) {
      for (size_t k = 0; k < w.size(); ++k) {
        double v = 0;
        std::string rest;
        if (!parse_number(w[k], &v, &rest)) continue;
        if ((!rest.empty() && units.count(rest)) || (rest.empty() && k + 1 < w.size() && units.count(w[k + 1])))
          return v;
      }
      return -1.0;
    };
    auto bare_number = [&](const std::set<std::string>& not_before) {
      for (size_t k = 0; k < w.size(); ++k) {
        double v = 0;
        std::string rest;
        if (!parse_number(w[k], &v, &rest) || !rest.empty()) continue;
        if (k + 1 < w.size() && not_before.count(w[k + 1])) continue;
        return v;
      }
      return -1.0;
    };
    static const std::set<std::string> kJoules = {"j", "joule", "joules", "jls"};
    static const std::set<std::string> kMa = {"ma", "milliamp", "milliamps", "milliampere", "milliamperes"};
    static const std::set<std::string> kBpm = {"bpm", "/min", "beats/min", "beats", "ppm"};
    const bool sync_word = has_word("sync") || has_word("synchronised") || has_word("synchronized") ||
                           has_word("synchronous") || has_word("synced") || has_word("synchronise") ||
                           has_word("synchronize");
    const bool unsync_word = has_word("unsynchronised") || has_word("unsynchronized") || has_word("unsync") ||
                             has_word("async") || has_word("asynchronous") || contains_phrase(text, "not synchronised") ||
                             contains_phrase(text, "not synchronized") || contains_phrase(text, "sync off");
    const bool cardiovert = has_word("cardiovert") || has_word("cardioversion") || has_word("dccv") ||
                            contains_phrase(text, "dc cardioversion");
    const bool shock_word = cardiovert || has_word("shock") || has_word("defib") || has_word("defibrillate") ||
                            has_word("defibrillation") || has_word("defibrillator") || has_word("dc") ||
                            has_word("countershock") || has_word("shocks") || has_word("shocking") ||
                            number_before(kJoules) >= 0;
    if (shock_word && !has_word("pace") && !has_word("pacing")) {
      a.kind = Action::Kind::kShock;
      a.synchronised = !unsync_word && (sync_word || cardiovert);
      a.what = a.synchronised ? "cardioversion" : "defibrillation";
      double j = number_before(kJoules);
      if (j < 0) j = bare_number(kMa);
      if (j < 0) {
        j = a.synchronised ? 120 : 200;
        a.note = "no energy given: " + std::to_string(static_cast<int>(j)) + " J";
      }
      if (!(j >= 1 && j <= 360)) {
        a.kind = Action::Kind::kUnknown;
        a.message = "a defibrillator delivers 1-360 J, e.g. 'shock 200 J' or 'cardiovert 120 J synchronised'";
        return a;
      }
      a.joules = j;
      a.dose_value = j;
      a.dose_unit = "j";
      return a;
    }
    if (has_word("pace") || has_word("pacing") || has_word("tcp") || has_word("pacer") || has_word("paced")) {
      a.kind = Action::Kind::kPace;
      a.what = "pacing";
      if (stopping) {
        a.stop = true;
        return a;
      }
      double r = number_before(kBpm);
      if (r < 0) r = bare_number(kMa);
      const double ma = number_before(kMa);
      if (r < 0) {
        r = 70;
        a.note = "no rate given: 70/min";
      }
      if (!(r >= 30 && r <= 180) || (ma >= 0 && !(ma > 0 && ma <= 200))) {
        a.kind = Action::Kind::kUnknown;
        a.message = "pacing takes a rate of 30-180/min and an output up to 200 mA, e.g. 'start pacing at 70' or 'pace 70 bpm 80 mA'";
        return a;
      }
      a.pace_rate_bpm = r;
      a.pace_ma = ma > 0 ? ma : 0;
      a.dose_value = r;
      a.dose_unit = "/min";
      return a;
    }
  }

  // "Needle pericardiocentesis under echo": the procedure, not an order for the echo that guides it.
  for (const auto& p : procedures())
    if (std::string(p.name) == "pericardiocentesis")
      for (const char* ph : p.phrases)
        if (contains_phrase(text, ph)) {
          a.kind = Action::Kind::kProcedure;
          a.what = p.name;
          return a;
        }

  // Orders.
  const bool ordering = first == "order" || first == "check" || first == "send" || first == "request" ||
                        first == "measure" || first == "get" || first == "do";
  {
    const size_t start = ordering ? 1 : 0;
    const std::string what = rest_from(start);
    Quantity q_any;
    const bool has_quantity = find_quantity(w, &q_any) >= 0;
    const OrderSpec* o = cat.find_order(what);
    if (!o && (ordering || !has_quantity))
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
        if (a.what == "haemorrhage_control" && has_word("tourniquet")) a.detail = "tourniquet";
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
    int i = find_quantity(w, &q);
    while (i >= 0 && q.percent) i = find_quantity(w, &q, i + 1);  // "0.9% saline" names the fluid
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
      a.dose_value = q.value;
      a.dose_unit = "units";
    } else if ((q.base == "ml" || q.base == "l") && q.per_s > 0) {
      // "saline 125 ml/h": a litre bag at that rate, unless a volume is given as well.
      const double rate_ml_s = q.value * (q.base == "l" ? 1000 : 1) * (q.per_kg ? weight_kg : 1) / q.per_s;
      Quantity v;
      const int j = find_quantity(w, &v, i + 1);
      a.volume_ml = j >= 0 && (v.base == "ml" || v.base == "l") && v.per_s == 0
                        ? v.value * (v.base == "l" ? 1000 : 1) * (v.per_kg ? weight_kg : 1)
                        : 1000;
      a.dose_value = q.value;
      a.dose_unit = unit_string(q);
      if (!(rate_ml_s > 0) || a.volume_ml > 10000) {
        a.kind = Action::Kind::kUnknown;
        a.message = "a fluid order must be between 1 and 10,000 ml";
        return a;
      }
      a.fluid_rate_ml_s = rate_ml_s;
      a.over_s = a.volume_ml / rate_ml_s;
      return a;
    } else if (q.base == "ml" || q.base == "l" || (q.base.empty() && q.value >= 50)) {
      if (q.base.empty()) q.base = "ml";  // "bolus 500": millilitres
      a.volume_ml = q.value * (q.base == "l" ? 1000 : 1) * (q.per_kg ? weight_kg : 1);
      a.dose_value = q.value;
      a.dose_unit = unit_string(q);
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
    a.over_s = over_seconds(w);
    if (a.over_s > 0) over_s = a.over_s;
    a.fluid_rate_ml_s = a.volume_ml / std::max(over_s, 60.0);
    return a;
  }

  // Drugs: find the drug name anywhere in the text (two-word aliases first).
  const DrugSpec* drug = nullptr;
  for (size_t k = 0; k < w.size() && !drug; ++k) {
    if (k + 1 < w.size()) drug = cat.find_drug(w[k] + " " + w[k + 1]);
    if (!drug) drug = cat.find_drug(w[k]);
  }
  // A misspelt drug name ("nalaxone", "norepinephrin") is read as the one drug it is closest to, and said
  // back; short words and near-ties are not guessed (look-alike names are a known cause of errors).
  if (!drug) {
    for (const auto& t : w) {
      if (t.size() < 5 || std::isdigit(static_cast<unsigned char>(t[0]))) continue;
      const size_t allowed = t.size() >= 9 ? 2 : 1;
      const DrugSpec* best = nullptr;
      size_t bd = 1000, ties = 0;
      for (const auto& d : cat.drugs) {
        std::vector<std::string> names = d.aliases;
        names.push_back(d.name);
        for (const auto& n : names) {
          const size_t dist = edit_distance(t, n);
          if (dist < bd) {
            bd = dist;
            best = &d;
            ties = 0;
          } else if (dist == bd && best != &d) {
            ++ties;
          }
        }
      }
      if (best && bd <= allowed && ties == 0) {
        drug = best;
        a.note = "read '" + t + "' as " + best->name;
        break;
      }
    }
  }
  if (drug) {
    if (stop) {
      a.kind = Action::Kind::kStopDrug;
      a.what = drug->name;
      return a;
    }
    // "dextrose 50%" names the preparation: the drug of the same substance at that strength (g per 100 mL),
    // never the 10% one read at five times the strength.
    Quantity q;
    for (int j = find_quantity(w, &q); j >= 0; j = find_quantity(w, &q, j + 1)) {
      if (!q.percent || drug->concentration_per_ml <= 0) continue;
      const double conc = q.value / 100.0;
      if (std::fabs(conc - drug->concentration_per_ml) < 1e-9) break;
      const DrugSpec* match = nullptr;
      for (const auto& d : cat.drugs)
        if (!drug->substance.empty() && d.substance == drug->substance && std::fabs(d.concentration_per_ml - conc) < 1e-9)
          match = &d;
      if (!match) {
        a.what = drug->name;
        a.refused = true;
        a.message = "refused: there is no " + w[j] + " preparation of " + drug->name + " here";
        return a;
      }
      drug = match;
      break;
    }
    int i = find_quantity(w, &q);
    while (i >= 0 && q.percent) i = find_quantity(w, &q, i + 1);  // the strength is not the dose
    if (i < 0) {
      a.message = "how much " + drug->name + "? e.g. '" + drug->name + " <dose> " + drug->amount_unit + " " +
                  drug->routes.begin()->first + "'";
      return a;
    }
    if (q.base.empty()) {  // "push 0.4 of naloxone": the drug's own unit, said back
      // A bare number for a drug that may also run as an infusion is ambiguous (a dose or a rate?)
      // unless the order says push or names a non-IV route.
      bool non_iv_route = false;
      for (const auto& t : w)
        if (drug->routes.count(t) && t != "iv" && t != "io") non_iv_route = true;
      if (drug->infusion && !push && !non_iv_route) {
        a.message = "give a unit for " + drug->name + (a.note.empty() ? "" : " (" + a.note + ")") + ": a dose ('" +
                    drug->name + " " + fmt_number(q.value) + " " + drug->amount_unit + "') or a rate ('" + drug->name +
                    " " + fmt_number(q.value) + " " + drug->amount_unit + "/kg/min')";
        return a;
      }
      q.base = drug->amount_unit;
      a.unit_assumed = true;
      a.note += std::string(a.note.empty() ? "" : "; ") + "no unit given: read as " + drug->amount_unit;
    }
    a.dose_value = q.value;
    a.dose_unit = unit_string(q);
    // Route: an explicit route word, else IV when possible, else the drug's first route.
    std::string route;
    for (const auto& t : w)
      if (drug->routes.count(t)) route = t;
    for (const auto& t : w) {
      static const std::set<std::string> kRoutes = {"iv", "im", "sc", "neb", "in", "po", "io", "sl"};
      if (kRoutes.count(t) && !drug->routes.count(t)) {
        std::string ok;
        for (const auto& [r, spec] : drug->routes) ok += (ok.empty() ? "" : ", ") + r;
        a.what = drug->name;
        a.route = t;
        a.refused = true;
        a.message = "refused: " + drug->name + " cannot be given " + t + " here; routes: " + ok;
        return a;
      }
    }
    if (route.empty() && q.per_s > 0 && drug->routes.count("iv")) route = "iv";  // a rate: an IV infusion
    if (route.empty())
      route = !drug->default_route.empty() ? drug->default_route
              : drug->routes.count("iv")   ? "iv"
                                           : drug->routes.begin()->first;
    double amount = to_drug_unit(q.value, q.base, *drug);
    if (amount <= 0 || q.value <= 0) {
      a.what = drug->name;
      a.refused = q.value > 0;
      a.message = "refused: " + drug->name + " cannot be ordered in " + q.base + "; its doses are in " +
                  drug->amount_unit + (drug->concentration_per_ml > 0 ? " (or ml)" : "");
      return a;
    }
    if (q.per_kg) amount *= weight_kg;
    a.what = drug->name;
    a.route = route;
    if (q.per_s > 0) {
      if (route != "iv" && route != "io") {
        a.refused = true;
        a.message = "refused: infusions are IV; give " + drug->name + " as a dose, or drop the rate";
        return a;
      }
      a.kind = Action::Kind::kDrug;
      a.rate_per_s = amount / q.per_s;
    } else {
      a.kind = Action::Kind::kDrug;
      a.amount = amount;
      a.over_s = over_seconds(w);
      if (a.over_s > 0 && route != "iv" && route != "io") a.over_s = 0;
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
