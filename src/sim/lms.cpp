#include "medgen/sim/lms.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "medgen/sim/team.h"

namespace medgen::sim {

using json = nlohmann::json;

namespace {

struct Who {
  std::string id, role;
  double percent = 0;
  bool passed = false;
};

// Each trainee with their percent: the team's members, or the lone trainee with the session's score.
std::vector<Who> trainees(const Session& s, const Score& score, const LmsContext& ctx) {
  std::vector<Who> out;
  if (s.options().team.empty()) {
    out.push_back({ctx.trainee, "", score.percent, score.percent + 1e-9 >= ctx.pass_percent && !score.died});
    return out;
  }
  TeamScoreParams p;
  p.pass_percent = ctx.pass_percent;
  for (const auto& m : score_team(s, score, Team{s.options().team}, p))
    out.push_back({m.who.id, m.who.role, m.percent, m.passed});
  return out;
}

json verb(const std::string& v) {
  return {{"id", "http://adlnet.gov/expapi/verbs/" + v}, {"display", {{"en-US", v}}}};
}

json agent(const std::string& id) {
  return {{"objectType", "Agent"}, {"name", id}, {"account", {{"homePage", "https://medgen.invalid"}, {"name", id}}}};
}

}  // namespace

json lms_xapi_statements(const Session& s, const Score& score, const LmsContext& ctx) {
  std::time_t base = 0;
  bool have_base = false;
  if (!ctx.start_iso.empty()) {
    std::tm tm{};
    if (std::sscanf(ctx.start_iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec) == 6) {
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      base = timegm(&tm);
      have_base = true;
    }
  }
  auto stamp = [&](double t) {
    const std::time_t x = base + static_cast<std::time_t>(std::lround(t));
    std::tm tm{};
    gmtime_r(&x, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  };
  const std::string act_base = "https://medgen.invalid/xapi/sim/" + s.condition().name;
  const json activity = {{"objectType", "Activity"},
                         {"id", act_base},
                         {"definition",
                          {{"name", {{"en-US", "Virtual patient: " + s.condition().title}}},
                           {"type", "http://adlnet.gov/expapi/activities/simulation"}}}};
  auto context = [&](const std::string& role, double t_s) {
    json c = {{"extensions", {{"https://medgen.invalid/xapi/ext/session-time-s", t_s}}}};
    if (!role.empty()) c["extensions"]["https://medgen.invalid/xapi/ext/role"] = role;
    if (!ctx.curriculum.empty()) {
      c["contextActivities"] = {
          {"grouping", json::array({{{"objectType", "Activity"},
                                     {"id", "https://medgen.invalid/xapi/curriculum/" + ctx.curriculum},
                                     {"definition", {{"type", "http://adlnet.gov/expapi/activities/course"}}}}})}};
      c["extensions"]["https://medgen.invalid/xapi/ext/curriculum"] = ctx.curriculum;
    }
    if (!ctx.case_id.empty()) c["extensions"]["https://medgen.invalid/xapi/ext/case"] = ctx.case_id;
    return c;
  };
  const std::vector<Who> who = trainees(s, score, ctx);
  json out = json::array();
  auto add = [&](json st, double t) {
    if (have_base) st["timestamp"] = stamp(t);
    out.push_back(std::move(st));
  };
  for (const Who& w : who) add({{"actor", agent(w.id)}, {"verb", verb("attempted")}, {"object", activity}, {"context", context(w.role, 0)}}, 0);
  for (const auto& a : s.actions()) {
    const std::string id = a.by.id.empty() ? who.front().id : a.by.id;
    json c = context(a.by.role, a.t_s);
    if (a.out_of_role) c["extensions"]["https://medgen.invalid/xapi/ext/out-of-role"] = true;
    add({{"actor", agent(id)},
         {"verb", verb("interacted")},
         {"object",
          {{"objectType", "Activity"},
           {"id", act_base + "/action/" + (a.tags.empty() ? std::string("other") : a.tags[0])},
           {"definition", {{"name", {{"en-US", a.summary}}}}}}},
         {"context", c}},
        a.t_s);
  }
  const std::string duration = "PT" + std::to_string(std::lround(s.time_s())) + "S";
  for (const Who& w : who) {
    const json result = {{"score", {{"scaled", w.percent / 100.0}, {"raw", std::round(w.percent * 10) / 10}, {"min", 0}, {"max", 100}}},
                         {"success", w.passed},
                         {"completion", true},
                         {"duration", duration}};
    add({{"actor", agent(w.id)}, {"verb", verb("completed")}, {"object", activity}, {"result", result},
         {"context", context(w.role, s.time_s())}},
        s.time_s());
    add({{"actor", agent(w.id)}, {"verb", verb(w.passed ? "passed" : "failed")}, {"object", activity},
         {"result", result}, {"context", context(w.role, s.time_s())}},
        s.time_s());
  }
  return out;
}

json scorm_summary(const Session& s, const Score& score, const LmsContext& ctx) {
  const long t = std::lround(s.time_s());
  char session_time[32];
  std::snprintf(session_time, sizeof session_time, "%04ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  json a = json::array();
  for (const Who& w : trainees(s, score, ctx)) {
    json x = {{"cmi.core.student_id", w.id},
              {"cmi.core.lesson_status", w.passed ? "passed" : "failed"},
              {"cmi.core.score.raw", std::round(w.percent * 10) / 10},
              {"cmi.core.score.min", 0},
              {"cmi.core.score.max", 100},
              {"cmi.core.session_time", session_time},
              {"cmi.core.lesson_location", ctx.case_id.empty() ? s.condition().name : ctx.case_id},
              {"cmi.core.entry", "ab-initio"}};
    if (!w.role.empty()) x["role"] = w.role;
    a.push_back(x);
  }
  return {{"format", "medgen-sim-scorm-summary"}, {"curriculum", ctx.curriculum}, {"case", ctx.case_id},
          {"pass_percent", ctx.pass_percent}, {"trainees", a}};
}

}  // namespace medgen::sim
