#include "medgen/sim/script.h"

#include <algorithm>
#include <cmath>

#include "medgen/core/error.h"
#include "medgen/sim/json_source.h"
#include "medgen/sim/team.h"

namespace medgen::sim {

Script Script::load(const std::string& path, const Catalog& catalog, const ConditionSpec& condition, double weight_kg) {
  const JsonSource src = JsonSource::load(path);
  src.check_keys("", {"duration_min", "actions", "description", "team", "examiner", "alarms"}, {"actions"});
  Script s;
  if (src.has("/examiner")) {
    if (!src.root()["examiner"].is_boolean()) src.fail("/examiner", "'examiner' must be true or false");
    s.examiner = src.root()["examiner"].get<bool>();
  }
  if (src.has("/alarms")) s.alarms = adjust_alarm_limits(default_alarm_limits(), src, "/alarms");
  if (src.has("/team")) {
    const auto& t = src.array("/team");
    for (size_t i = 0; i < t.size(); ++i) {
      const std::string p = "/team/" + std::to_string(i);
      src.check_keys(p, {"id", "role"}, {"id", "role"});
      Team one{s.team};
      one.members.push_back({src.string(p + "/id"), src.string(p + "/role")});
      try {
        one.validate();
      } catch (const InvalidInput& e) {
        src.fail(p, e.what());
      }
      s.team = one.members;
    }
  }
  s.duration_s = src.number_or("/duration_min", 240, 0, 7 * 24 * 60) * 60.0;
  const auto& a = src.array("/actions");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = "/actions/" + std::to_string(i);
    src.check_keys(p, {"at_min", "do", "if", "by"}, {"at_min", "do"});
    ScriptAction x;
    if (src.has(p + "/by")) {
      x.by = src.string(p + "/by");
      if (!Team{s.team}.find(x.by)) {
        std::string ids;
        for (const auto& m : s.team) ids += (ids.empty() ? "" : ", ") + m.id;
        src.fail(p + "/by", "'" + x.by + "' is not in the script's team" + (ids.empty() ? " (no \"team\" given)" : " (" + ids + ")"));
      }
    }
    if (src.has(p + "/if")) {
      const std::string q = p + "/if";
      src.check_keys(q, {"variable", "below", "at_least"}, {"variable"});
      x.only_if.variable = src.string(q + "/variable");
      double dummy;
      if (!Vitals().get(x.only_if.variable, &dummy)) src.fail(q + "/variable", "unknown variable '" + x.only_if.variable + "'");
      if (src.has(q + "/below")) x.only_if.below = src.number(q + "/below", -1e9, 1e9);
      if (src.has(q + "/at_least")) x.only_if.at_least = src.number(q + "/at_least", -1e9, 1e9);
      if (std::isnan(x.only_if.below) == std::isnan(x.only_if.at_least))
        src.fail(q, "a condition needs exactly one of 'below' or 'at_least'");
    }
    x.at_s = src.number(p + "/at_min", 0, 7 * 24 * 60) * 60.0;
    x.text = src.string(p + "/do");
    // Every ';'-separated part must be understood.
    size_t start = 0;
    for (;;) {
      const size_t semi = x.text.find(';', start);
      const std::string part = x.text.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
      if (part.find_first_not_of(" \t") != std::string::npos) {
        const Action act = parse_action(part, catalog, condition, weight_kg);
        if (act.kind == Action::Kind::kUnknown) src.fail(p + "/do", act.message);
        // A script is written, not typed in a hurry: a misspelt drug name is an error, not a guess.
        if (act.note.rfind("read '", 0) == 0) {
          const size_t q1 = 6, q2 = act.note.find('\'', q1);
          src.fail(p + "/do", "unknown word '" + act.note.substr(q1, q2 - q1) + "': did you mean '" + act.what + "'?");
        }
      }
      if (semi == std::string::npos) break;
      start = semi + 1;
    }
    s.actions.push_back(x);
  }
  std::stable_sort(s.actions.begin(), s.actions.end(),
                   [](const ScriptAction& l, const ScriptAction& r) { return l.at_s < r.at_s; });
  return s;
}

std::vector<Event> run_script(Session* session, const Script& script) {
  std::vector<Event> out;
  auto add = [&](const std::vector<Event>& e) { out.insert(out.end(), e.begin(), e.end()); };
  for (const ScriptAction& a : script.actions) {
    if (session->dead()) break;
    if (a.at_s > session->time_s()) add(session->advance(a.at_s - session->time_s()));
    if (session->dead()) break;
    if (!a.only_if.variable.empty()) {
      double x = 0;
      if (!session->vitals().get(a.only_if.variable, &x) || !a.only_if.holds(x)) continue;  // condition not met
    }
    add(session->act(a.text, Actor{a.by, ""}));
  }
  if (!session->dead() && script.duration_s > session->time_s())
    add(session->advance(script.duration_s - session->time_s()));
  return out;
}

}  // namespace medgen::sim
