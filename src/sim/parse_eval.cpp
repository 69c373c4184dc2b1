#include "medgen/sim/parse_eval.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "medgen/core/error.h"
#include "medgen/sim/session.h"

namespace medgen::sim {

namespace {

std::string num(double x) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

// The parse of one phrase in the TSV's terms.
std::map<std::string, std::string> fields_of(const Action& a) {
  std::map<std::string, std::string> f;
  for (const auto& k : parse_eval_fields()) f[k] = "-";
  f["kind"] = action_kind_name(a.kind);
  using K = Action::Kind;
  switch (a.kind) {
    case K::kDrug:
      f["what"] = a.what;
      f["dose"] = num(a.dose_value);
      f["unit"] = a.dose_unit.empty() ? "-" : a.dose_unit;
      f["route"] = a.route;
      f["rate"] = a.rate_per_s > 0 ? "infusion" : a.over_s > 0 ? "over:" + num(std::round(a.over_s / 60)) : "bolus";
      break;
    case K::kFluid:
      f["what"] = a.blood ? "blood" : "crystalloid";
      if (!a.dose_unit.empty()) {
        f["dose"] = num(a.dose_value);
        f["unit"] = a.dose_unit;
      }
      if (a.dose_unit.find("/h") != std::string::npos || a.dose_unit.find("/min") != std::string::npos)
        f["rate"] = "infusion";
      else if (a.over_s > 0)
        f["rate"] = "over:" + num(std::round(a.over_s / 60));
      break;
    case K::kOxygen:
      f["dose"] = num(std::round(a.fio2 * 100) / 100);
      f["unit"] = "fio2";
      break;
    case K::kWait:
      f["dose"] = num(a.seconds);
      f["unit"] = "s";
      break;
    case K::kShock:
      f["what"] = a.what;
      f["dose"] = num(a.joules);
      f["unit"] = "j";
      break;
    case K::kPace:
      f["what"] = a.stop ? "stop" : "pacing";
      if (!a.stop) {
        f["dose"] = num(a.pace_rate_bpm);
        f["unit"] = "/min";
      }
      break;
    case K::kCpr:
      f["what"] = a.stop ? "stop" : "cpr";
      break;
    case K::kStopDrug:
    case K::kOrder:
    case K::kAsk:
    case K::kProcedure:
    case K::kUnknown:
      if (!a.what.empty()) f["what"] = a.what;
      break;
    default:
      break;
  }
  return f;
}

bool same(const std::string& field, const std::string& want, const std::string& got) {
  if (field == "dose" && want != "-" && got != "-") {
    const double x = std::strtod(want.c_str(), nullptr), y = std::strtod(got.c_str(), nullptr);
    return std::fabs(x - y) <= 1e-6 * std::max(1.0, std::fabs(x));
  }
  return want == got;
}

}  // namespace

const std::vector<std::string>& parse_eval_fields() {
  static const std::vector<std::string> kFields = {"kind", "what", "dose", "unit", "route", "rate"};
  return kFields;
}

ParseEvalReport evaluate_parser(const std::string& path, const Catalog& cat, const ParseEvalParams& p) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot read " + path);
  const ConditionSpec* cond = cat.find_condition(p.condition);
  if (!cond) throw InvalidInput("unknown condition '" + p.condition + "'");
  ParseEvalReport rep;
  std::string line;
  size_t lineno = 0;
  const auto& fields = parse_eval_fields();
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string c;
    while (std::getline(ss, c, '\t')) cols.push_back(c);
    if (lineno == 1 && !cols.empty() && cols[0] == "phrase") continue;
    if (cols.size() != 2 + fields.size())
      throw InvalidInput(path + ":" + std::to_string(lineno) + ":1: expected " + std::to_string(2 + fields.size()) +
                         " tab-separated columns (phrase, split, " + "kind, what, dose, unit, route, rate), found " +
                         std::to_string(cols.size()));
    const Action a = parse_action(cols[0], cat, *cond, p.weight_kg);
    const auto got = fields_of(a);
    bool all = true;
    std::string why;
    for (const std::string& split : {cols[1], std::string("all")}) {
      ParseEvalSplit& s = rep.splits[split];
      ++s.rows;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      const bool ok = same(fields[i], cols[2 + i], got.at(fields[i]));
      if (ok) {
        ++rep.splits[cols[1]].correct[fields[i]];
        ++rep.splits["all"].correct[fields[i]];
      } else {
        all = false;
        why += " " + fields[i] + " expected '" + cols[2 + i] + "' got '" + got.at(fields[i]) + "';";
      }
    }
    if (all) {
      ++rep.splits[cols[1]].exact;
      ++rep.splits["all"].exact;
    } else if (rep.splits[cols[1]].failures.size() < p.max_failures) {
      rep.splits[cols[1]].failures.push_back(cols[0] + ":" + why);
    }
  }
  return rep;
}

nlohmann::json ParseEvalReport::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, s] : splits) {
    nlohmann::json o{{"rows", s.rows}, {"exact", s.rows ? double(s.exact) / s.rows : 0.0}};
    for (const auto& f : parse_eval_fields()) {
      auto it = s.correct.find(f);
      o["accuracy"][f] = s.rows ? double(it == s.correct.end() ? 0 : it->second) / s.rows : 0.0;
    }
    o["failures"] = s.failures;
    j[name] = o;
  }
  return j;
}

std::string ParseEvalReport::to_text() const {
  std::string o = "split     rows  kind    what    dose    unit    route   rate    all fields\n";
  std::vector<std::string> order = {"dev", "heldout", "hand"};
  for (const auto& kv : splits)  // further splits (e.g. proc-dev, proc-heldout) before the total
    if (kv.first != "all" && std::find(order.begin(), order.end(), kv.first) == order.end()) order.push_back(kv.first);
  order.push_back("all");
  for (const std::string& name : order) {
    auto it = splits.find(name);
    if (it == splits.end()) continue;
    const ParseEvalSplit& s = it->second;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-8s %5zu", name.c_str(), s.rows);
    o += buf;
    for (const auto& f : parse_eval_fields()) {
      auto c = s.correct.find(f);
      std::snprintf(buf, sizeof buf, "  %5.1f%%", s.rows ? 100.0 * (c == s.correct.end() ? 0 : c->second) / s.rows : 0);
      o += buf;
    }
    std::snprintf(buf, sizeof buf, "  %5.1f%%\n", s.rows ? 100.0 * s.exact / s.rows : 0);
    o += buf;
  }
  return o;
}

}  // namespace medgen::sim
