// Teams, curricula, LMS output and examiner mode (issue 19, item 8).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/sim/curriculum.h"
#include "medgen/sim/lms.h"
#include "medgen/sim/team.h"
#include "sim_test_util.h"

namespace medgen::sim {
namespace {

using test::catalog;
using test::make_case;

std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string p = (std::filesystem::temp_directory_path() / ("medgen_team_test_" + name)).string();
  std::ofstream(p) << text;
  return p;
}

SessionOptions team_opts() {
  SessionOptions o;
  o.team = Team::parse("alice:leader,bob:airway,carol:drugs").members;
  return o;
}

TEST(Team, ParseValidatesRolesAndIds) {
  const Team t = Team::parse("alice:leader,bob:airway");
  ASSERT_EQ(t.members.size(), 2u);
  EXPECT_EQ(t.find("bob")->role, "airway");
  EXPECT_THROW(Team::parse("alice:pilot"), InvalidInput);
  EXPECT_THROW(Team::parse("alice:leader,alice:drugs"), InvalidInput);
  EXPECT_THROW(Team::parse("alice"), InvalidInput);
  try {
    Team::parse("bob:pilot");
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("leader, airway, circulation, drugs, procedures"), std::string::npos);
  }
}

TEST(Team, ActionsCarryTheActorAndOutOfRoleIsFlagged) {
  Session s(catalog(), make_case("septic_shock"), team_opts());
  s.act("oxygen 15 l/min", {"bob", ""});
  s.act("ceftriaxone 2 g iv", {"bob", ""});  // a drug by the airway role
  s.act("order lactate", {"alice", ""});
  s.act("norepinephrine 0.1 mcg/kg/min", {"carol", ""});
  const auto& a = s.actions();
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].by.id, "bob");
  EXPECT_EQ(a[0].by.role, "airway");  // filled from the team
  EXPECT_FALSE(a[0].out_of_role);
  EXPECT_TRUE(a[1].out_of_role);
  EXPECT_EQ(a[1].category, "drug");
  EXPECT_FALSE(a[2].out_of_role);
  EXPECT_FALSE(a[3].out_of_role);
  bool warned = false;
  for (const auto& e : s.log())
    if (e.kind == "warning" && e.text.find("out of role: bob (airway)") != std::string::npos) warned = e.actor == "bob";
  EXPECT_TRUE(warned);
  // Someone outside the team is refused, nothing recorded.
  const auto r = s.act("order lactate", {"mallory", ""});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, "error");
  EXPECT_EQ(s.actions().size(), 4u);
}

TEST(Team, ScoreIsAttributedPerTraineeAndRole) {
  Session s(catalog(), make_case("septic_shock"), team_opts());
  s.act("order lactate; order blood cultures", {"alice", ""});
  s.act("ceftriaxone 2 g iv", {"bob", ""});
  s.act("fluids 30 ml/kg over 60 min", {"alice", ""});  // circulation task by the leader
  s.advance(3600);
  const Score sc = score_session(s, catalog().rubrics.at(s.condition().rubric));
  const auto m = score_team(s, sc, Team{s.options().team});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].who.id, "alice");
  EXPECT_EQ(m[0].actions, 3);
  EXPECT_EQ(m[0].out_of_role, 1);
  EXPECT_NE(m[0].note.find("team timing"), std::string::npos);
  EXPECT_EQ(m[1].out_of_role, 1);
  EXPECT_NEAR(m[1].percent, std::max(0.0, sc.percent - 5), 1e-9);
  EXPECT_EQ(m[2].actions, 0);
  EXPECT_NEAR(m[2].percent, sc.percent, 1e-9);  // shares the team's result
  bool bob_credited = false;
  for (const auto& c : m[1].credited) bob_credited = bob_credited || c.find("ntibiotic") != std::string::npos;
  EXPECT_TRUE(bob_credited);
  const std::string d = debrief_text(s, sc);
  EXPECT_NE(d.find("Team ("), std::string::npos);
  EXPECT_NE(d.find("[bob] gave ceftriaxone"), std::string::npos);
  EXPECT_NE(d.find("out of role at"), std::string::npos);
  const auto j = session_json(s, sc);
  EXPECT_EQ(j["actions"][2]["by"]["id"], "bob");
  EXPECT_EQ(j["actions"][2]["out_of_role"], true);
  EXPECT_EQ(j["score"]["team"].size(), 3u);
}

TEST(Team, ScriptNamesTheActorPerStep) {
  const Case c = make_case("septic_shock");
  const ConditionSpec& cond = *catalog().find_condition(c.condition);
  const std::string p = write_tmp("script.json",
                                  "{\"duration_min\": 30, \"team\": [{\"id\": \"ann\", \"role\": \"leader\"},"
                                  " {\"id\": \"ben\", \"role\": \"drugs\"}],\n"
                                  " \"actions\": [{\"at_min\": 1, \"by\": \"ben\", \"do\": \"ceftriaxone 2 g iv\"},\n"
                                  "   {\"at_min\": 2, \"by\": \"ann\", \"do\": \"order lactate\"}]}\n");
  const Script sc = Script::load(p, catalog(), cond, c.patient.weight_kg);
  ASSERT_EQ(sc.team.size(), 2u);
  SessionOptions so;
  so.team = sc.team;
  Session s(catalog(), c, so);
  run_script(&s, sc);
  ASSERT_EQ(s.actions().size(), 2u);
  EXPECT_EQ(s.actions()[0].by.id, "ben");
  EXPECT_EQ(s.actions()[0].by.role, "drugs");
  EXPECT_EQ(s.actions()[1].by.id, "ann");
  // An actor outside the team is a located error.
  const std::string bad = write_tmp("script_bad.json",
                                    "{\"team\": [{\"id\": \"ann\", \"role\": \"leader\"}],\n"
                                    " \"actions\": [{\"at_min\": 1, \"by\": \"zed\", \"do\": \"order lactate\"}]}\n");
  try {
    Script::load(bad, catalog(), cond, c.patient.weight_kg);
    FAIL() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("script_bad.json:2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'zed' is not in the script's team"), std::string::npos) << e.what();
  }
  const std::string role = write_tmp("script_role.json",
                                     "{\"team\": [{\"id\": \"ann\", \"role\": \"pilot\"}],\n \"actions\": []}\n");
  EXPECT_THROW(Script::load(role, catalog(), cond, c.patient.weight_kg), InvalidInput);
}

TEST(Lms, XapiPerTraineeWithCurriculumContextAndScorm) {
  Session s(catalog(), make_case("septic_shock"), team_opts());
  s.act("ceftriaxone 2 g iv", {"bob", ""});
  s.advance(600);
  const Score sc = score_session(s, catalog().rubrics.at(s.condition().rubric));
  LmsContext ctx;
  ctx.curriculum = "acute-1";
  ctx.case_id = "sepsis-1";
  ctx.start_iso = "2026-01-01T09:00:00Z";
  const auto st = lms_xapi_statements(s, sc, ctx);
  int attempted = 0, completed = 0, verdicts = 0;
  for (const auto& x : st) {
    const std::string v = x["verb"]["display"]["en-US"];
    attempted += v == "attempted";
    completed += v == "completed";
    verdicts += v == "passed" || v == "failed";
    EXPECT_EQ(x["context"]["extensions"]["https://medgen.invalid/xapi/ext/curriculum"], "acute-1");
    EXPECT_EQ(x["context"]["extensions"]["https://medgen.invalid/xapi/ext/case"], "sepsis-1");
    EXPECT_TRUE(x.contains("timestamp"));
    if (v == "interacted") {
      EXPECT_EQ(x["actor"]["name"], "bob");
      EXPECT_EQ(x["context"]["extensions"]["https://medgen.invalid/xapi/ext/out-of-role"], true);
    }
    if (v == "completed") EXPECT_TRUE(x["result"]["score"].contains("scaled"));
  }
  EXPECT_EQ(attempted, 3);
  EXPECT_EQ(completed, 3);
  EXPECT_EQ(verdicts, 3);
  const auto sum = scorm_summary(s, sc, ctx);
  ASSERT_EQ(sum["trainees"].size(), 3u);
  EXPECT_EQ(sum["trainees"][1]["cmi.core.student_id"], "bob");
  EXPECT_EQ(sum["trainees"][1]["cmi.core.lesson_status"], "failed");
  EXPECT_EQ(sum["trainees"][1]["cmi.core.session_time"], "0000:10:00");
  EXPECT_EQ(sum["trainees"][1]["cmi.core.score.max"], 100);
  // A lone trainee: one actor.
  Session lone(catalog(), make_case("septic_shock"));
  lone.act("order lactate");
  const auto one = scorm_summary(lone, score_session(lone, catalog().rubrics.at(lone.condition().rubric)), {});
  ASSERT_EQ(one["trainees"].size(), 1u);
  EXPECT_EQ(one["trainees"][0]["cmi.core.student_id"], "trainee");
}

TEST(Examiner, NothingShownUntilAskedFor) {
  SessionOptions o;
  o.examiner = true;
  Session s(catalog(), make_case("septic_shock", "severe"), o);
  Vitals v;
  EXPECT_FALSE(s.monitor_attached());
  EXPECT_FALSE(s.shown_vitals(&v));
  EXPECT_NE(s.monitor_line().find("monitor not attached"), std::string::npos);
  EXPECT_EQ(s.briefing().find("On arrival"), std::string::npos);
  // Alarms of the hypotensive patient are not seen, only logged for the debrief.
  for (const auto& e : s.advance(120)) EXPECT_NE(e.kind, "alarm") << e.text;
  bool unseen = false;
  for (const auto& e : s.log()) unseen = unseen || e.kind == "alarm_unseen";
  EXPECT_TRUE(unseen);
  // A spot check gives one reading; the monitor stays detached.
  const auto r = s.act("check vitals");
  bool reading = false;
  for (const auto& e : r) reading = reading || (e.kind == "answer" && e.text.find("HR") != std::string::npos);
  EXPECT_TRUE(reading);
  EXPECT_FALSE(s.monitor_attached());
  s.act("attach monitor");
  EXPECT_TRUE(s.monitor_attached());
  EXPECT_DOUBLE_EQ(s.monitor_attached_at_s(), 120);
  EXPECT_TRUE(s.shown_vitals(&v));
  EXPECT_NE(s.monitor_line().find("HR"), std::string::npos);
  const Score sc = score_session(s, catalog().rubrics.at(s.condition().rubric));
  const std::string d = debrief_text(s, sc);
  EXPECT_NE(d.find("monitor: attached at +0:02:00"), std::string::npos);
  EXPECT_NE(d.find("vital signs checked at: +0:02:00"), std::string::npos);
  EXPECT_NE(d.find("alarms missed for want of a monitor: "), std::string::npos);
  const auto j = session_json(s, sc);
  EXPECT_EQ(j["examiner"]["monitor_attached_s"], 120.0);
  // Without examiner mode nothing changes: the monitor is there from the start.
  Session plain(catalog(), make_case("septic_shock", "severe"));
  EXPECT_TRUE(plain.monitor_attached());
  EXPECT_NE(plain.briefing().find("On arrival"), std::string::npos);
}

const char* kCurriculum = R"({"format": "medgen-sim-curriculum", "version": 1, "name": "acute-1",
 "cases": [
  {"id": "sepsis-1", "condition": "septic_shock", "severity": "moderate", "seed": 7, "pass_percent": 70, "attempts": 2},
  {"id": "dka-1", "condition": "dka", "seed": 3, "requires": ["sepsis-1"]},
  {"id": "final", "condition": "anaphylaxis", "seed": 1, "requires": ["sepsis-1", "dka-1"]}
 ]}
)";

TEST(Curriculum, LoadsAndUnlocksInOrder) {
  const Curriculum cur = Curriculum::load(write_tmp("cur.json", kCurriculum), catalog());
  ASSERT_EQ(cur.cases.size(), 3u);
  EXPECT_EQ(cur.cases[1].attempts, 3);
  EXPECT_EQ(cur.cases[1].pass_percent, 70);
  const std::string prog = write_tmp("progress.json", "");
  std::remove(prog.c_str());
  CurriculumProgress pr = CurriculumProgress::load(prog, cur);  // missing file: empty
  auto st = curriculum_status(cur, pr, "alice");
  EXPECT_EQ(st[0].status, "available");
  EXPECT_EQ(st[1].status, "locked");
  EXPECT_THROW(record_attempt(cur, &pr, "alice", "dka-1", 90, ""), InvalidInput);  // locked
  auto r = record_attempt(cur, &pr, "alice", "sepsis-1", 50, "a.json");
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.status.status, "available");
  EXPECT_TRUE(r.unlocked.empty());
  r = record_attempt(cur, &pr, "alice", "sepsis-1", 85, "b.json");
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.unlocked.size(), 1u);
  EXPECT_EQ(r.unlocked[0], "dka-1");
  EXPECT_THROW(record_attempt(cur, &pr, "alice", "sepsis-1", 90, ""), InvalidInput);  // passed already
  // Attempts run out.
  record_attempt(cur, &pr, "bob", "sepsis-1", 10, "");
  record_attempt(cur, &pr, "bob", "sepsis-1", 20, "");
  EXPECT_EQ(curriculum_status(cur, pr, "bob")[0].status, "failed");
  EXPECT_THROW(record_attempt(cur, &pr, "bob", "sepsis-1", 90, ""), InvalidInput);
  // Round trip through the file.
  pr.save(prog);
  const CurriculumProgress back = CurriculumProgress::load(prog, cur);
  EXPECT_EQ(back.to_json(), pr.to_json());
  EXPECT_EQ(curriculum_status(cur, back, "alice")[1].status, "available");
  EXPECT_EQ(curriculum_status(cur, back, "alice")[2].status, "locked");
  EXPECT_EQ(curriculum_status(cur, back, "alice")[2].waiting_for, std::vector<std::string>{"dka-1"});
  std::remove(prog.c_str());
}

void expect_error(const std::string& name, const std::string& text, const std::string& want) {
  const std::string p = write_tmp(name, text);
  try {
    Curriculum::load(p, catalog());
    ADD_FAILURE() << name << ": no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
}

TEST(Curriculum, BadFilesAreLocatedErrors) {
  expect_error("c1.json",
               "{\"format\": \"medgen-sim-curriculum\", \"version\": 1, \"name\": \"x\",\n"
               " \"cases\": [{\"id\": \"a\", \"condition\": \"sepsys\"}]}\n",
               "c1.json:2:37: unknown condition 'sepsys'");
  expect_error("c2.json",
               "{\"format\": \"medgen-sim-curriculum\", \"version\": 1, \"name\": \"x\", \"cases\": [\n"
               " {\"id\": \"a\", \"condition\": \"dka\", \"requires\": [\"b\"]},\n"
               " {\"id\": \"b\", \"condition\": \"dka\", \"requires\": [\"a\"]}]}\n",
               "prerequisites form a cycle: a -> b -> a");
  expect_error("c3.json",
               "{\"format\": \"medgen-sim-curriculum\", \"version\": 1, \"name\": \"x\", \"cases\": [\n"
               " {\"id\": \"a\", \"condition\": \"dka\", \"requires\": [\"zz\"]}]}\n",
               "c3.json:2:");
  expect_error("c4.json",
               "{\"format\": \"medgen-sim-curriculum\", \"version\": 1, \"name\": \"x\", \"cases\": [\n"
               " {\"id\": \"a\", \"condition\": \"dka\"}, {\"id\": \"a\", \"condition\": \"dka\"}]}\n",
               "case id 'a' is used twice");
  const Curriculum cur = Curriculum::load(write_tmp("cur2.json", kCurriculum), catalog());
  const std::string bad = write_tmp("prog_bad.json", "{\"format\": \"medgen-sim-progress\",\n \"version\": 1 \"x\"}\n");
  try {
    CurriculumProgress::load(bad, cur);
    ADD_FAILURE() << "no error";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("prog_bad.json:2:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace medgen::sim
