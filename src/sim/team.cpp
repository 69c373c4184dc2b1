#include "medgen/sim/team.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "medgen/core/error.h"

namespace medgen::sim {

namespace {

// Role -> categories it covers (besides examination and monitoring, which everyone may do).
const std::map<std::string, std::set<std::string>>& scopes() {
  static const std::map<std::string, std::set<std::string>> k = {
      {"leader", {"history", "investigation", "leadership"}},
      {"airway", {"airway"}},
      {"circulation", {"circulation"}},
      {"drugs", {"drug"}},
      {"procedures", {"procedure", "circulation"}},
  };
  return k;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

}  // namespace

const std::vector<std::string>& team_roles() {
  static const std::vector<std::string> k = {"leader", "airway", "circulation", "drugs", "procedures"};
  return k;
}

std::string action_category(const Action& a) {
  switch (a.kind) {
    case Action::Kind::kAsk: return "history";
    case Action::Kind::kExamine: return "examination";
    case Action::Kind::kVitals:
    case Action::Kind::kSilence:
    case Action::Kind::kAcknowledge: return "monitoring";
    case Action::Kind::kOrder: return "investigation";
    case Action::Kind::kDrug:
    case Action::Kind::kStopDrug: return "drug";
    case Action::Kind::kFluid:
    case Action::Kind::kStopFluids: return "circulation";
    case Action::Kind::kOxygen:
    case Action::Kind::kIntubate:
    case Action::Kind::kVentilator: return "airway";
    case Action::Kind::kProcedure:
      if (a.what == "monitoring") return "monitoring";
      if (a.what == "iv_access" || a.what == "haemorrhage_control") return "circulation";
      if (a.what == "call_senior") return "leadership";
      if (a.what == "capnography") return "airway";
      return "procedure";
    case Action::Kind::kShock:
    case Action::Kind::kPace: return "procedure";
    case Action::Kind::kCpr: return "circulation";
    default: return "other";
  }
}

bool role_allows(const std::string& role, const std::string& category) {
  if (role.empty() || category == "examination" || category == "monitoring" || category == "other") return true;
  auto it = scopes().find(role);
  return it != scopes().end() && it->second.count(category) > 0;
}

std::string role_scope(const std::string& role) {
  auto it = scopes().find(role);
  std::string s;
  if (it != scopes().end())
    for (const auto& c : it->second) s += c + ", ";
  return s + "examination, monitoring";
}

const Actor* Team::find(const std::string& id) const {
  for (const auto& m : members)
    if (m.id == id) return &m;
  return nullptr;
}

void Team::validate() const {
  std::string roles;
  for (const auto& r : team_roles()) roles += (roles.empty() ? "" : ", ") + r;
  std::set<std::string> seen;
  for (const auto& m : members) {
    if (m.id.empty() || m.id.size() > 64 ||
        m.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != std::string::npos)
      throw InvalidInput("team: trainee id '" + m.id + "' must be 1-64 letters, digits, '_', '.' or '-'");
    if (!seen.insert(m.id).second) throw InvalidInput("team: trainee '" + m.id + "' is named twice");
    if (std::find(team_roles().begin(), team_roles().end(), m.role) == team_roles().end())
      throw InvalidInput("team: unknown role '" + m.role + "' for '" + m.id + "' (roles: " + roles + ")");
  }
}

Team Team::parse(const std::string& spec) {
  Team t;
  size_t start = 0;
  for (;;) {
    const size_t comma = spec.find(',', start);
    const std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t colon = part.find(':');
    if (colon == std::string::npos)
      throw InvalidInput("team: '" + part + "' is not ID:ROLE (e.g. alice:leader,bob:airway)");
    t.members.push_back({part.substr(0, colon), part.substr(colon + 1)});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  t.validate();
  return t;
}

std::vector<MemberScore> score_team(const Session& s, const Score& score, const Team& team,
                                    const TeamScoreParams& params) {
  std::vector<MemberScore> out;
  int on_time = 0, late = 0, missed = 0;
  for (const auto& i : score.items) {
    if (i.status == "done" || i.status == "reached") ++on_time;
    if (i.status == "late") ++late;
    if (i.status == "missed" || i.status == "not reached" || i.status == "wrong order") ++missed;
  }
  for (const Actor& m : team.members) {
    MemberScore ms;
    ms.who = m;
    for (const auto& a : s.actions())
      if (a.by.id == m.id) {
        ++ms.actions;
        if (a.out_of_role) ++ms.out_of_role;
      }
    for (const auto& i : score.items)
      if (i.actor == m.id) {
        ms.credited.push_back(i.text + " (" + i.status + ")");
        ms.item_points += i.points;
      }
    ms.percent = std::max(0.0, score.percent - params.out_of_role_penalty * ms.out_of_role);
    ms.passed = ms.percent + 1e-9 >= params.pass_percent && !score.died;
    if (m.role == "leader")
      ms.note = "team timing: " + std::to_string(on_time) + " on time, " + std::to_string(late) + " late, " +
                std::to_string(missed) + " missed";
    out.push_back(ms);
  }
  return out;
}

nlohmann::json team_json(const std::vector<MemberScore>& members) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& m : members)
    a.push_back({{"id", m.who.id},
                 {"role", m.who.role},
                 {"actions", m.actions},
                 {"out_of_role", m.out_of_role},
                 {"credited", m.credited},
                 {"item_points", m.item_points},
                 {"percent", std::round(m.percent * 10) / 10},
                 {"passed", m.passed},
                 {"note", m.note}});
  return a;
}

std::string team_debrief_text(const Session& s, const std::vector<MemberScore>& members) {
  std::string o = "\nTeam (score per trainee: the team's, less " "out-of-role actions; the leader's covers the timing)\n";
  for (const auto& m : members) {
    o += "  " + m.who.id + " (" + m.who.role + "): " + std::to_string(m.actions) + (m.actions == 1 ? " action, " : " actions, ") +
         std::to_string(m.out_of_role) + " out of role, " + fmt("%.0f", m.percent) + "% " +
         (m.passed ? "passed" : "not passed") + (m.note.empty() ? "" : "; " + m.note) + "\n";
    for (const auto& c : m.credited) o += "      credited: " + c + "\n";
    for (const auto& a : s.actions())
      if (a.by.id == m.who.id && a.out_of_role)
        o += "      out of role at " + Session::clock(a.t_s) + ": " + a.summary + " (" + a.category +
             "; " + m.who.role + " covers " + role_scope(m.who.role) + ")\n";
  }
  return o;
}

}  // namespace medgen::sim
