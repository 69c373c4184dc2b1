#include "medgen/sim/curriculum.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <sys/stat.h>

#include "medgen/core/error.h"
#include "medgen/core/file.h"
#include "medgen/sim/json_source.h"

namespace medgen::sim {

using json = nlohmann::json;

namespace {

// A progress file at most this large (thousands of trainees' attempts fit in far less).
constexpr uint64_t kMaxProgressBytes = 64ull << 20;

void check_format(const JsonSource& src, const char* format) {
  if (src.string("/format") != format) src.fail("/format", std::string("'format' must be \"") + format + "\"");
  if (src.number("/version", 1, 1e9) != 1) src.fail("/version", "unsupported version (this medgen reads version 1)");
}

}  // namespace

const CurriculumCase* Curriculum::find(const std::string& id) const {
  for (const auto& c : cases)
    if (c.id == id) return &c;
  return nullptr;
}

Curriculum Curriculum::load(const std::string& path, const Catalog& catalog) {
  const JsonSource src = JsonSource::load(path);
  if (!src.root().is_object()) src.fail("", "a curriculum is a JSON object");
  src.check_keys("", {"format", "version", "name", "title", "pass_percent", "attempts", "cases"},
                 {"format", "version", "name", "cases"});
  check_format(src, "medgen-sim-curriculum");
  Curriculum cur;
  cur.name = src.string("/name");
  if (cur.name.empty() || cur.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                              std::string::npos)
    src.fail("/name", "'name' must be letters, digits, '_', '.' or '-' (it identifies the curriculum)");
  cur.title = src.string_or("/title", cur.name);
  const double pass = src.number_or("/pass_percent", 70, 0, 100);
  const double attempts = src.number_or("/attempts", 3, 1, 1000);
  const auto& a = src.array("/cases");
  if (a.empty()) src.fail("/cases", "a curriculum needs at least one case");
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string p = "/cases/" + std::to_string(i);
    src.check_keys(p, {"id", "condition", "severity", "seed", "pass_percent", "attempts", "requires", "title", "alarms"},
                   {"id", "condition"});
    CurriculumCase c;
    c.id = src.string(p + "/id");
    if (c.id.empty() || c.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                            std::string::npos)
      src.fail(p + "/id", "a case id must be letters, digits, '_', '.' or '-'");
    if (!index.emplace(c.id, i).second) src.fail(p + "/id", "case id '" + c.id + "' is used twice");
    const std::string cond = src.string(p + "/condition");
    const ConditionSpec* spec = catalog.find_condition(cond);
    if (!spec) {
      std::string names;
      for (const auto& x : catalog.conditions) names += (names.empty() ? "" : ", ") + x.name;
      src.fail(p + "/condition", "unknown condition '" + cond + "' (available: " + names + ")");
    }
    c.condition = spec->name;
    c.severity = src.string_or(p + "/severity", "");
    if (!c.severity.empty() && c.severity != "mild" && c.severity != "moderate" && c.severity != "severe")
      src.fail(p + "/severity", "severity must be mild, moderate or severe");
    const double seed = src.number_or(p + "/seed", 1, 0, 9007199254740991.0);
    if (seed != std::floor(seed)) src.fail(p + "/seed", "a seed is a whole number");
    c.seed = static_cast<uint64_t>(seed);
    c.pass_percent = src.number_or(p + "/pass_percent", pass, 0, 100);
    const double n = src.number_or(p + "/attempts", attempts, 1, 1000);
    if (n != std::floor(n)) src.fail(p + "/attempts", "attempts is a whole number");
    c.attempts = static_cast<int>(n);
    if (src.has(p + "/requires")) {
      const auto& r = src.array(p + "/requires");
      for (size_t k = 0; k < r.size(); ++k) c.requires.push_back(src.string(p + "/requires/" + std::to_string(k)));
    }
    if (src.has(p + "/alarms")) c.alarms = adjust_alarm_limits(default_alarm_limits(), src, p + "/alarms");
    cur.cases.push_back(c);
  }
  // Prerequisites name cases, and form no cycle.
  for (size_t i = 0; i < cur.cases.size(); ++i)
    for (size_t k = 0; k < cur.cases[i].requires.size(); ++k) {
      const std::string& r = cur.cases[i].requires[k];
      const std::string p = "/cases/" + std::to_string(i) + "/requires/" + std::to_string(k);
      if (!index.count(r)) src.fail(p, "prerequisite '" + r + "' is not a case of this curriculum");
      if (r == cur.cases[i].id) src.fail(p, "case '" + r + "' requires itself");
    }
  std::vector<int> colour(cur.cases.size(), 0);  // 0 unvisited, 1 on the path, 2 done
  std::vector<size_t> stack;
  std::function<void(size_t)> visit = [&](size_t i) {
    colour[i] = 1;
    stack.push_back(i);
    for (size_t k = 0; k < cur.cases[i].requires.size(); ++k) {
      const size_t j = index.at(cur.cases[i].requires[k]);
      if (colour[j] == 1) {
        std::string cycle;
        for (size_t q = std::find(stack.begin(), stack.end(), j) - stack.begin(); q < stack.size(); ++q)
          cycle += cur.cases[stack[q]].id + " -> ";
        src.fail("/cases/" + std::to_string(i) + "/requires/" + std::to_string(k),
                 "prerequisites form a cycle: " + cycle + cur.cases[j].id);
      }
      if (colour[j] == 0) visit(j);
    }
    stack.pop_back();
    colour[i] = 2;
  };
  for (size_t i = 0; i < cur.cases.size(); ++i)
    if (colour[i] == 0) visit(i);
  return cur;
}

Case curriculum_case(const Catalog& catalog, const CurriculumCase& entry) {
  CaseOptions o;
  o.condition = entry.condition;
  o.severity = entry.severity;
  o.seed = entry.seed;
  return generate_case(catalog, o);
}

CurriculumProgress CurriculumProgress::load(const std::string& path, const Curriculum& curriculum) {
  CurriculumProgress pr;
  pr.curriculum = curriculum.name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return pr;  // no file yet: nothing recorded
  const JsonSource src = JsonSource::parse(path, read_file(path, kMaxProgressBytes));
  if (!src.root().is_object()) src.fail("", "a progress file is a JSON object");
  src.check_keys("", {"format", "version", "curriculum", "trainees"}, {"format", "version", "curriculum", "trainees"});
  check_format(src, "medgen-sim-progress");
  const std::string name = src.string("/curriculum");
  if (name != curriculum.name)
    src.fail("/curriculum", "this progress is for curriculum '" + name + "', not '" + curriculum.name + "'");
  for (const auto& [trainee, cases] : src.object("/trainees").items()) {
    const std::string tp = "/trainees/" + pointer_key(trainee);
    src.object(tp);
    auto& mine = pr.trainees[trainee];
    for (const auto& [case_id, attempts] : cases.items()) {
      const std::string cp = tp + "/" + pointer_key(case_id);
      const CurriculumCase* c = curriculum.find(case_id);
      if (!c) src.fail(cp, "case '" + case_id + "' is not in curriculum '" + curriculum.name + "'");
      const auto& arr = src.array(cp);
      if (static_cast<int>(arr.size()) > c->attempts)
        src.fail(cp, "more attempts recorded than the curriculum allows (" + std::to_string(c->attempts) + ")");
      for (size_t k = 0; k < arr.size(); ++k) {
        const std::string ap = cp + "/" + std::to_string(k);
        src.check_keys(ap, {"percent", "passed", "session"}, {"percent", "passed"});
        Attempt at;
        at.percent = src.number(ap + "/percent", 0, 100);
        if (!arr[k]["passed"].is_boolean()) src.fail(ap + "/passed", "'passed' must be true or false");
        at.passed = arr[k]["passed"].get<bool>();
        at.session = src.string_or(ap + "/session", "");
        mine[case_id].push_back(at);
      }
    }
  }
  return pr;
}

json CurriculumProgress::to_json() const {
  json t = json::object();
  for (const auto& [trainee, cases] : trainees) {
    json c = json::object();
    for (const auto& [id, attempts] : cases) {
      json a = json::array();
      for (const auto& x : attempts) {
        json one = {{"percent", std::round(x.percent * 10) / 10}, {"passed", x.passed}};
        if (!x.session.empty()) one["session"] = x.session;
        a.push_back(one);
      }
      c[id] = a;
    }
    t[trainee] = c;
  }
  return {{"format", "medgen-sim-progress"}, {"version", 1}, {"curriculum", curriculum}, {"trainees", t}};
}

void CurriculumProgress::save(const std::string& path) const { write_file_atomic(path, to_json().dump(2) + "\n"); }

std::vector<CaseStatus> curriculum_status(const Curriculum& cur, const CurriculumProgress& pr, const std::string& trainee) {
  std::map<std::string, std::vector<Attempt>> none;
  auto t = pr.trainees.find(trainee);
  const auto& mine = t == pr.trainees.end() ? none : t->second;
  auto passed = [&](const std::string& id) {
    auto it = mine.find(id);
    if (it == mine.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [](const Attempt& a) { return a.passed; });
  };
  std::vector<CaseStatus> out;
  for (const auto& c : cur.cases) {
    CaseStatus s;
    s.id = c.id;
    s.attempts_allowed = c.attempts;
    auto it = mine.find(c.id);
    if (it != mine.end()) {
      s.attempts_used = static_cast<int>(it->second.size());
      for (const auto& a : it->second) s.best_percent = std::max(s.best_percent, a.percent);
    }
    for (const auto& r : c.requires)
      if (!passed(r)) s.waiting_for.push_back(r);
    if (passed(c.id))
      s.status = "passed";
    else if (!s.waiting_for.empty())
      s.status = "locked";
    else if (s.attempts_used >= s.attempts_allowed)
      s.status = "failed";
    else
      s.status = "available";
    out.push_back(s);
  }
  return out;
}

void check_recordable(const Curriculum& cur, const CurriculumProgress& pr, const std::string& trainee,
                      const std::string& case_id) {
  const CurriculumCase* c = cur.find(case_id);
  if (!c) {
    std::string ids;
    for (const auto& x : cur.cases) ids += (ids.empty() ? "" : ", ") + x.id;
    throw InvalidInput("case '" + case_id + "' is not in curriculum '" + cur.name + "' (cases: " + ids + ")");
  }
  if (trainee.empty()) throw InvalidInput("a trainee id is needed (--trainee)");
  const std::vector<CaseStatus> before = curriculum_status(cur, pr, trainee);
  const CaseStatus& b = *std::find_if(before.begin(), before.end(), [&](const CaseStatus& s) { return s.id == case_id; });
  if (b.status == "locked") {
    std::string w;
    for (const auto& x : b.waiting_for) w += (w.empty() ? "" : ", ") + x;
    throw InvalidInput("case '" + case_id + "' is locked for '" + trainee + "': pass " + w + " first");
  }
  if (b.status == "passed") throw InvalidInput("'" + trainee + "' has passed case '" + case_id + "' already");
  if (b.status == "failed")
    throw InvalidInput("'" + trainee + "' has no attempts left at case '" + case_id + "' (" +
                       std::to_string(b.attempts_allowed) + " allowed)");
}

RecordOutcome record_attempt(const Curriculum& cur, CurriculumProgress* pr, const std::string& trainee,
                             const std::string& case_id, double percent, const std::string& session) {
  check_recordable(cur, *pr, trainee, case_id);
  if (!(percent >= 0 && percent <= 100)) throw InvalidInput("a score percent must be in [0, 100]");
  const CurriculumCase* c = cur.find(case_id);
  const std::vector<CaseStatus> before = curriculum_status(cur, *pr, trainee);
  RecordOutcome r;
  r.percent = percent;
  r.passed = percent + 1e-9 >= c->pass_percent;
  pr->trainees[trainee][case_id].push_back({percent, r.passed, session});
  const std::vector<CaseStatus> after = curriculum_status(cur, *pr, trainee);
  for (size_t i = 0; i < after.size(); ++i) {
    if (after[i].id == case_id) r.status = after[i];
    if (before[i].status == "locked" && after[i].status == "available") r.unlocked.push_back(after[i].id);
  }
  return r;
}

double session_percent(const std::string& path, const std::string& trainee, const CurriculumCase& entry,
                       const Catalog& catalog) {
  const JsonSource src = JsonSource::load(path);
  if (!src.has("/case/condition") || !src.has("/score/percent"))
    src.fail("", "not a session record (from 'medgen sim run --json-out'): no case or score");
  const std::string cond = src.string("/case/condition");
  const ConditionSpec* spec = catalog.find_condition(cond);
  if (!spec || spec->name != entry.condition)
    src.fail("/case/condition", "the session is of '" + cond + "', case '" + entry.id + "' is of '" + entry.condition + "'");
  if (src.has("/case/seed") && src.number("/case/seed", 0, 1.8e19) != static_cast<double>(entry.seed))
    src.fail("/case/seed", "the session's case seed is not case '" + entry.id + "''s seed " + std::to_string(entry.seed));
  if (!entry.severity.empty() && src.string_or("/case/severity", "") != entry.severity)
    src.fail("/case/severity", "case '" + entry.id + "' is " + entry.severity);
  if (src.has("/score/team")) {
    const auto& team = src.array("/score/team");
    for (size_t i = 0; i < team.size(); ++i)
      if (team[i].value("id", "") == trainee) return src.number("/score/team/" + std::to_string(i) + "/percent", 0, 100);
    src.fail("/score/team", "'" + trainee + "' is not in the session's team");
  }
  return src.number("/score/percent", 0, 100);
}

}  // namespace medgen::sim
