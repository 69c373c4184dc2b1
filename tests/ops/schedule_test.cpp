// Scheduling: constraints hold in the CBC solution, infeasibility is explained, overlaps are
// refused, overbooking follows the no-show risk; the simulation's bookkeeping.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "medgen/core/error.h"
#include "medgen/ops/clinic_sim.h"
#include "medgen/ops/schedule.h"

using namespace medgen;
using namespace medgen::ops;
using json = nlohmann::json;

namespace {

// One provider (skill "gp") with `n` 30-minute slots from 09:00 on 2026-03-02 (Monday) and
// 2026-03-03, and a second (skill "derm") sharing room Location/r1.
json bundle(int n) {
  json e = json::array();
  e.push_back({{"resource", {{"resourceType", "Schedule"}, {"id", "gp"}, {"actor", {{{"reference", "Practitioner/a"}}, {{"reference", "Location/r1"}}}},
                             {"serviceType", {{{"coding", {{{"code", "gp"}}}}}}}}}});
  e.push_back({{"resource", {{"resourceType", "Schedule"}, {"id", "derm"}, {"actor", {{{"reference", "Practitioner/b"}}, {{"reference", "Location/r1"}}}},
                             {"serviceType", {{{"coding", {{{"code", "derm"}}}}}}}}}});
  e.push_back({{"resource", {{"resourceType", "Location"}, {"id", "r1"}}}});
  for (const char* s : {"gp", "derm"})
    for (int d = 2; d <= 3; ++d)
      for (int k = 0; k < n; ++k) {
        char a[64], z[64];
        std::snprintf(a, sizeof a, "2026-03-0%dT%02d:%02d:00Z", d, 9 + k / 2, (k % 2) * 30);
        std::snprintf(z, sizeof z, "2026-03-0%dT%02d:%02d:00Z", d, 9 + (k + 1) / 2, ((k + 1) % 2) * 30);
        e.push_back({{"resource", {{"resourceType", "Slot"}, {"id", std::string(s) + std::to_string(d) + "-" + std::to_string(k)},
                                   {"schedule", {{"reference", std::string("Schedule/") + s}}}, {"status", "free"}, {"start", a}, {"end", z}}}});
      }
  return {{"resourceType", "Bundle"}, {"type", "collection"}, {"entry", e}};
}

void add_request(json& b, const std::string& id, const std::string& skill, double p = 0, const std::string& deadline = "") {
  json r = {{"resourceType", "ServiceRequest"}, {"id", id}, {"status", "active"}, {"subject", {{"reference", "Patient/" + id}}},
            {"performerType", {{"coding", {{{"code", skill}}}}}},
            {"extension", {{{"url", std::string(kExtensionBase) + "noshow-probability"}, {"valueDecimal", p}}}}};
  if (!deadline.empty()) r["occurrencePeriod"] = {{"end", deadline}};
  b["entry"].push_back({{"resource", r}});
}

}  // namespace

TEST(Schedule, AssignsEveryRequestWithinSkillsDeadlinesAndRoom) {
  json b = bundle(4);
  for (int i = 0; i < 3; ++i) add_request(b, "g" + std::to_string(i), "gp");
  for (int i = 0; i < 3; ++i) add_request(b, "d" + std::to_string(i), "derm");
  add_request(b, "urgent", "gp", 0, "2026-03-02T23:00:00Z");
  Problem p = load_problem(b.dump(), "b.json");
  ScheduleResult r = solve_schedule(p, ScheduleParams{});
  EXPECT_EQ(r.status, "optimal");
  ASSERT_TRUE(r.unscheduled.empty());
  for (size_t i = 0; i < p.requests.size(); ++i) {
    const Slot& s = p.slots[size_t(r.slot_of[i])];
    EXPECT_EQ(s.skills[0], p.requests[i].skill);
    EXPECT_LE(s.start.utc_min, p.requests[i].deadline_utc);
  }
  // One room for both providers: no two used slots at the same time.
  for (size_t i = 0; i < p.requests.size(); ++i)
    for (size_t j = i + 1; j < p.requests.size(); ++j) {
      const Slot &a = p.slots[size_t(r.slot_of[i])], &c = p.slots[size_t(r.slot_of[j])];
      if (r.slot_of[i] != r.slot_of[j]) EXPECT_FALSE(a.start.utc_min < c.end.utc_min && c.start.utc_min < a.end.utc_min);
    }
  auto out = json::parse(appointments_bundle(p, r));
  EXPECT_EQ(out["entry"].size(), p.requests.size());
  EXPECT_EQ(out["entry"][0]["resource"]["resourceType"], "Appointment");
}

TEST(Schedule, ExplainsARequestWithoutASlot) {
  json b = bundle(2);
  add_request(b, "x", "cardio");
  try {
    solve_schedule(load_problem(b.dump(), "b.json"), ScheduleParams{});
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("ServiceRequest/x"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("skill 'cardio'"), std::string::npos) << e.what();
  }
  b = bundle(2);
  add_request(b, "late", "gp", 0, "2026-03-01T10:00:00Z");
  EXPECT_THROW(solve_schedule(load_problem(b.dump(), "b.json"), ScheduleParams{}), InvalidInput);
}

TEST(Schedule, ExplainsACapacityConflictAndOverbooksHighRiskPatients) {
  // 2 gp slots a day in a room of its own: 4 slots; 6 requests due on day one.
  json b = bundle(4);
  b["entry"][1]["resource"]["actor"][1]["reference"] = "Location/r2";
  for (int i = 0; i < 6; ++i) add_request(b, "c" + std::to_string(i), "gp", 0.05, "2026-03-02T12:00:00Z");
  ScheduleParams sp;
  sp.guard_slots = 0;
  try {
    solve_schedule(load_problem(b.dump(), "b.json"), sp);
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("capacity conflict"), std::string::npos) << e.what();
  }
  // The same with high no-show risk: pairs fit into slots (expected attendance <= 1.2).
  b = bundle(4);
  b["entry"][1]["resource"]["actor"][1]["reference"] = "Location/r2";
  for (int i = 0; i < 6; ++i) add_request(b, "h" + std::to_string(i), "gp", 0.45, "2026-03-02T12:00:00Z");
  ScheduleResult r = solve_schedule(load_problem(b.dump(), "b.json"), sp);
  EXPECT_TRUE(r.unscheduled.empty());
  EXPECT_GE(r.overbooked_slots, 2);
}

TEST(Schedule, RefusesOverlappingSlotsAndBadResources) {
  json b = bundle(2);
  b["entry"].push_back({{"resource", {{"resourceType", "Slot"}, {"id", "dup"}, {"schedule", {{"reference", "Schedule/gp"}}},
                                      {"status", "free"}, {"start", "2026-03-02T09:15:00Z"}, {"end", "2026-03-02T09:45:00Z"}}}});
  try {
    load_problem(b.dump(), "b.json");
    FAIL();
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("Schedule/gp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("overlaps"), std::string::npos) << e.what();
  }
  b = bundle(1);
  b["entry"][3]["resource"]["end"] = "2026-02-30T10:00:00Z";
  EXPECT_THROW(load_problem(b.dump(), "b.json"), InvalidInput);
  EXPECT_THROW(load_problem("{\"resourceType\": \"Patient\"}", "b.json"), InvalidInput);
  EXPECT_THROW(load_problem("{\n  \"resourceType\": ", "b.json"), InvalidInput);
}

TEST(ClinicSim, DeterministicAndBookkeepingHolds) {
  GeneratorParams g;
  g.appointments = 3000;
  NoShowParams np;
  np.rounds = 40;
  const NoShowModel m = NoShowModel::train(generate_appointments(g, 1), np, 1);
  ClinicParams c;
  c.providers = 2;
  c.days = 2;
  std::vector<double> truth;
  Problem p = generate_week(c, m, 5, &truth);
  ScheduleResult f = schedule_fcfs(p, 0);
  WeekMetrics a = simulate_week(c, p, f, truth, 9), b = simulate_week(c, p, f, truth, 9);
  EXPECT_EQ(a.served, b.served);
  EXPECT_LE(a.served, a.booked);
  EXPECT_EQ(f.overbooked_slots, 0);
  EXPECT_LE(a.booked, double(p.slots.size()));
  ScheduleResult fixed = schedule_fcfs(p, 4);
  EXPECT_GT(fixed.overbooked_slots, 0);
  SimulationParams sp;
  sp.clinic = c;
  sp.weeks = 3;
  auto j = run_simulation(sp, m, 3);
  EXPECT_EQ(j["weeks"], 3);
  EXPECT_TRUE(j["paired_vs_fcfs"].contains("served"));
  EXPECT_NEAR(t_quantile_975(29), 2.045, 0.002);
}

// The column restriction (a few candidate slots per request and session) must not cost
// bookings: every slot stays reachable and a maximum matching's edges are kept, so the
// restricted model books as many requests as the full one (an over-demanded week, where FCFS
// leaves slots empty that a matching can fill).
TEST(Schedule, RestrictedCandidatesBookAsManyAsTheFullModel) {
  GeneratorParams g;
  g.appointments = 3000;
  NoShowParams np;
  np.rounds = 30;
  const NoShowModel m = NoShowModel::train(generate_appointments(g, 2), np, 2);
  ClinicParams c;
  c.providers = 3;
  c.days = 3;
  for (uint64_t seed : {11u, 12u}) {
    std::vector<double> truth;
    Problem p = generate_week(c, m, seed, &truth);
    ScheduleParams restricted;
    restricted.overbooking = false;
    restricted.allow_unscheduled = true;
    restricted.end_weight = 20;
    ScheduleParams full = restricted;
    full.per_session_candidates = 0;
    const ScheduleResult r = solve_schedule(p, restricted), f = solve_schedule(p, full);
    const ScheduleResult fcfs = schedule_fcfs(p, 0);
    const auto booked = [](const ScheduleResult& s) { return std::count_if(s.slot_of.begin(), s.slot_of.end(), [](int x) { return x >= 0; }); };
    EXPECT_EQ(booked(r), booked(f)) << "seed " << seed;
    EXPECT_GE(booked(r), booked(fcfs)) << "seed " << seed;
    // Urgent requests are never left out for routine ones.
    for (int u : r.unscheduled) EXPECT_EQ(p.requests[size_t(u)].weight, 1) << p.requests[size_t(u)].id;
    // The second stage adds second patients only where the pair's expected attendance allows.
    ScheduleParams over = restricted;
    over.overbooking = true;
    const ScheduleResult o = solve_schedule(p, over);
    EXPECT_GE(booked(o), booked(r));
    std::map<int, std::vector<size_t>> in_slot;
    for (size_t i = 0; i < p.requests.size(); ++i)
      if (o.slot_of[i] >= 0) in_slot[o.slot_of[i]].push_back(i);
    for (const auto& [s, rs] : in_slot) {
      ASSERT_LE(rs.size(), 2u);
      if (rs.size() < 2) continue;
      EXPECT_GE(p.slots[size_t(s)].from_end, over.guard_slots);
      EXPECT_LE((1 - p.requests[rs[0]].noshow) + (1 - p.requests[rs[1]].noshow), 1 + over.overbook_tolerance + 1e-9);
    }
  }
}
