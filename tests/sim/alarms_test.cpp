// Monitor alarms with priorities, silencing, acknowledgement and per-case limits (issue 19, item 4).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "medgen/core/error.h"
#include "medgen/sim/alarms.h"
#include "medgen/sim/curriculum.h"
#include "medgen/sim/json_source.h"
#include "sim_test_util.h"

namespace medgen::sim {
namespace {

using test::catalog;
using test::make_case;

TEST(Alarms, PrioritiesFollowIec60601) {
  for (const AlarmLimit& l : default_alarm_limits()) {
    if (l.id == "map_critical" || l.id == "spo2_critical" || l.id == "hr_low" || l.id == "rr_low")
      EXPECT_EQ(l.priority, AlarmPriority::kHigh) << l.id;
    if (l.id == "map_low" || l.id == "spo2_low") EXPECT_EQ(l.priority, AlarmPriority::kMedium) << l.id;
    if (l.id == "temp_high") EXPECT_EQ(l.priority, AlarmPriority::kLow);
    EXPECT_TRUE(l.low ? l.off > l.on : l.off < l.on) << l.id << ": hysteresis";
  }
  EXPECT_EQ(default_alarm_limits()[0].text(), "ALARM [medium] hypotension: MAP below 65 mmHg");
}

TEST(Alarms, LoggedWithPriorityAcknowledgedAndCleared) {
  Session s(catalog(), make_case("septic_shock", "severe"));
  ASSERT_FALSE(s.alarm_log().empty());  // hypotensive on arrival
  const AlarmRecord& first = s.alarm_log()[0];
  EXPECT_EQ(first.on_s, 0);
  EXPECT_LT(first.acknowledged_s, 0);
  // Unacknowledged medium and high alarms sound again for the trainee (not in the record).
  int reminders = 0;
  for (const auto& e : s.advance(400)) reminders += e.kind == "alarm_reminder";
  EXPECT_GT(reminders, 0);
  for (const auto& e : s.log()) EXPECT_NE(e.kind, "alarm_reminder");
  s.act("acknowledge alarms");
  for (const auto& a : s.alarm_log())
    if (a.cleared_s < 0) EXPECT_DOUBLE_EQ(a.acknowledged_s, 400);
  reminders = 0;
  for (const auto& e : s.advance(400)) reminders += e.kind == "alarm_reminder";
  EXPECT_EQ(reminders, 0);
  const Score sc = score_session(s, catalog().rubrics.at(s.condition().rubric));
  const std::string d = debrief_text(s, sc);
  EXPECT_NE(d.find("acknowledged after 0:06:40"), std::string::npos) << d;
  const auto j = session_json(s, sc);
  ASSERT_FALSE(j["alarms"].empty());
  EXPECT_EQ(j["alarms"][0]["acknowledged_s"], 400.0);
}

TEST(Alarms, SilencePausesTheAudioForItsDuration) {
  Session s(catalog(), make_case("septic_shock", "severe"));
  s.act("silence alarms 2 min");
  EXPECT_TRUE(s.alarms_silenced());
  int reminders = 0;
  for (const auto& e : s.advance(115)) reminders += e.kind == "alarm_reminder";
  EXPECT_EQ(reminders, 0);
  s.advance(10);
  EXPECT_FALSE(s.alarms_silenced());
  EXPECT_EQ(s.actions().back().summary, "silenced the alarms for 2 min");
  const Action a = parse_action("silence alarms 30 min", catalog(), s.condition(), 70);
  EXPECT_EQ(a.kind, Action::Kind::kUnknown);  // at most 15 min
  EXPECT_EQ(parse_action("mute", catalog(), s.condition(), 70).seconds, 120);
  EXPECT_EQ(parse_action("ack", catalog(), s.condition(), 70).kind, Action::Kind::kAcknowledge);
}

TEST(Alarms, LimitsAdjustablePerCase) {
  const std::string p = (std::filesystem::temp_directory_path() / "medgen_alarms_cur.json").string();
  std::ofstream(p) << R"({"format": "medgen-sim-curriculum", "version": 1, "name": "a",
 "cases": [{"id": "s", "condition": "septic_shock", "severity": "severe", "seed": 7,
            "alarms": {"map_low": {"below": 40, "priority": "high"}, "map_critical": {"enabled": false}}}]}
)";
  const Curriculum cur = Curriculum::load(p, catalog());
  SessionOptions o;
  o.alarms = cur.cases[0].alarms;
  Session s(catalog(), curriculum_case(catalog(), cur.cases[0]), o);
  for (const auto& a : s.alarm_log()) {
    EXPECT_NE(a.id, "map_critical");
    if (a.id == "map_low") {
      EXPECT_LT(a.value, 40);
      EXPECT_EQ(a.priority, AlarmPriority::kHigh);
    }
  }
  for (const AlarmLimit& l : s.alarm_limits())
    if (l.id == "map_low") {
      EXPECT_EQ(l.on, 40);
      EXPECT_EQ(l.off, 43);
    }
  // A wrong direction or an unknown alarm is a located error.
  const JsonSource bad = JsonSource::parse("x.json", "{\"alarms\": {\n \"map_low\": {\"above\": 60}}}");
  EXPECT_THROW(adjust_alarm_limits(default_alarm_limits(), bad, "/alarms"), InvalidInput);
  const JsonSource unknown = JsonSource::parse("x.json", "{\"alarms\": {\n \"mapp_low\": {\"below\": 60}}}");
  try {
    adjust_alarm_limits(default_alarm_limits(), unknown, "/alarms");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("x.json:2:"), std::string::npos) << e.what();
  }
  std::filesystem::remove(p);
}

}  // namespace
}  // namespace medgen::sim
