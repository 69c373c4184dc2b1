// Reminder plans (risk tiers, channels, languages) and follow-ups from care plans.
#include <gtest/gtest.h>

#include "medgen/core/error.h"
#include "medgen/core/version.h"
#include "medgen/ops/reminders.h"
#include "medgen/ops/schedule.h"

using namespace medgen;
using namespace medgen::ops;
using json = nlohmann::json;

namespace {

json appt(const std::string& id, const std::string& patient, double risk) {
  return {{"resource", {{"resourceType", "Appointment"}, {"id", id}, {"status", "booked"}, {"start", "2026-03-10T09:30:00+01:00"},
                        {"participant", {{{"actor", {{"reference", patient}}}}}},
                        {"extension", {{{"url", std::string(kExtensionBase) + "noshow-probability"}, {"valueDecimal", risk}}}}}}};
}

}  // namespace

TEST(Reminders, TiersChannelsAndLanguage) {
  const auto t = ReminderTemplates::load(std::string(MEDGEN_DATA_DIR) + "/ops/reminders");
  json b = {{"resourceType", "Bundle"}, {"entry", json::array()}};
  b["entry"].push_back({{"resource", {{"resourceType", "Patient"}, {"id", "es"}, {"name", {{{"given", {"Ana"}}, {"family", "Ruiz"}}}},
                                      {"telecom", {{{"system", "email"}, {"value", "ana@example.org"}, {"rank", 1}},
                                                   {{"system", "phone"}, {"use", "mobile"}, {"value", "+34 600 000 000"}, {"rank", 2}}}},
                                      {"communication", {{{"language", {{"coding", {{{"code", "es"}}}}}}, {"preferred", true}}}}}}});
  b["entry"].push_back({{"resource", {{"resourceType", "Patient"}, {"id", "en"},
                                      {"telecom", {{{"system", "phone"}, {"use", "home"}, {"value", "01234"}}}}}}});
  b["entry"].push_back(appt("low", "Patient/es", 0.05));
  b["entry"].push_back(appt("high", "Patient/es", 0.5));
  b["entry"].push_back(appt("land", "Patient/en", 0.05));
  nlohmann::ordered_json s;
  auto out = plan_reminders(b, "b.json", t, ReminderParams{}, &s);
  ASSERT_EQ(out["entry"].size(), 4u);  // low: 1 e-mail; high: call + SMS; landline: 1 call
  const nlohmann::ordered_json first = out["entry"][0]["resource"];
  EXPECT_EQ(first["resourceType"], "CommunicationRequest");
  EXPECT_EQ(first["medium"][0]["coding"][0]["code"], "EMAILWRIT");
  EXPECT_NE(first["payload"][0]["contentString"].template get<std::string>().find("Ana"), std::string::npos);
  EXPECT_NE(first["payload"][0]["contentString"].template get<std::string>().find("cita"), std::string::npos);
  EXPECT_EQ(first["occurrenceDateTime"], "2026-03-08T10:00:00+01:00");
  EXPECT_EQ(out["entry"][1]["resource"]["medium"][0]["coding"][0]["code"], "PHONE");
  EXPECT_EQ(out["entry"][2]["resource"]["medium"][0]["coding"][0]["code"], "SMSWRIT");
  EXPECT_EQ(out["entry"][3]["resource"]["medium"][0]["coding"][0]["code"], "PHONE");
  EXPECT_EQ(s["languages"]["es"], 2);
  b["entry"].push_back(appt("bad", "Patient/en", 1.5));
  EXPECT_THROW(plan_reminders(b, "b.json", t, ReminderParams{}, &s), InvalidInput);
}

TEST(Followups, RepeatTimingGivesWindows) {
  json cp = {{"resourceType", "CarePlan"}, {"id", "dm"}, {"status", "active"}, {"subject", {{"reference", "Patient/p"}}},
             {"activity", {{{"detail", {{"status", "scheduled"}, {"code", {{"text", "HbA1c review"}}},
                                        {"scheduledTiming", {{"repeat", {{"boundsPeriod", {{"start", "2026-01-05"}}}, {"count", 4},
                                                                          {"period", 3}, {"periodUnit", "mo"}}}}}}}}}}};
  json b = {{"resourceType", "Bundle"}, {"entry", {{{"resource", cp}}}}};
  nlohmann::ordered_json s;
  auto out = plan_followups(b, "b.json", &s);
  ASSERT_EQ(out["entry"].size(), 4u);
  const nlohmann::ordered_json sr = out["entry"][0]["resource"];
  EXPECT_EQ(sr["resourceType"], "ServiceRequest");
  EXPECT_EQ(sr["basedOn"][0]["reference"], "CarePlan/dm");
  EXPECT_LT(sr["occurrencePeriod"]["start"].template get<std::string>(), sr["occurrencePeriod"]["end"].template get<std::string>());
  b["entry"][0]["resource"]["activity"][0]["detail"]["scheduledTiming"]["repeat"]["periodUnit"] = "fortnight";
  EXPECT_THROW(plan_followups(b, "b.json", &s), InvalidInput);
}
