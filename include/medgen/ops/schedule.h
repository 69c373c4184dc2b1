// Appointment scheduling: assigns requests (FHIR ServiceRequest) to free slots of providers'
// calendars (FHIR Schedule/Slot, existing Appointments) with an integer programme solved by
// CBC. Constraints: the provider's skills (Schedule.serviceType/specialty against the request's
// performerType or code), the request's window (occurrencePeriod: earliest start, deadline),
// the patient's unavailable periods, room limits (Location capacity: concurrent slots in use),
// one appointment at a time per patient, and overbooking: a slot takes a second patient only
// while the expected attendance sum(1 - p_noshow) stays within 1 + tolerance and the slot is not
// among the last `guard_slots` of its session. Soft goals (the objective): urgent requests
// early, patient preferences (weekday, morning/afternoon), few overbookings, fewer expected
// patients late in sessions (likely no-shows go last). The extensions read are listed in docs/ops.md.
//
// Thread safety: the functions are pure; a Problem is read-only once loaded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "medgen/ops/util.h"

namespace medgen::ops {

extern const char* const kExtensionBase;  // "http://medgen.example/fhir/StructureDefinition/"

struct Slot {
  std::string id, schedule, provider, room;  // provider/room: "Practitioner/x", "Location/y" or ""
  std::string start_text, end_text;
  DateTime start, end;
  std::vector<std::string> skills;
  bool busy = false;         // not free, or already holds an appointment
  int session = -1;          // index of the contiguous run of slots of one schedule on one day
  int from_end = 0;          // 0 for the last slot of its session
};

struct Request {
  std::string id, patient;   // "ServiceRequest/x", "Patient/y"
  std::string skill;         // "" = any
  std::string priority = "routine";  // routine | urgent | asap | stat
  int weight = 1;            // 1..4 from the priority
  int64_t earliest_utc = INT64_MIN, deadline_utc = INT64_MAX;  // minutes; slot must start within
  std::vector<int> preferred_weekdays;  // 0 = Monday
  int preferred_time = 0;               // 0 any, 1 morning (< 12:00), 2 afternoon
  std::vector<std::pair<int64_t, int64_t>> unavailable;  // [start, end) utc minutes
  double noshow = 0;         // predicted no-show probability
};

struct Problem {
  std::string source;
  std::vector<Slot> slots;
  std::vector<Request> requests;
  std::map<std::string, int> room_capacity;  // "Location/x" -> concurrent slots (default 1)
};

// Reads a FHIR R4 Bundle (JSON) of Schedule, Slot, Location, Appointment, ServiceRequest (and
// Patient, ignored here). Throws InvalidInput naming the file and resource on bad input,
// including slots of one schedule that overlap ("Schedule/x: Slot/a ... overlaps Slot/b ...").
Problem load_problem(const std::string& bundle_text, const std::string& source);

struct ScheduleParams {
  bool overbooking = true;        // allow a second patient per slot (driven by no-show risk)
  double overbook_tolerance = 0.2;  // expected attendance per slot <= 1 + this
  int guard_slots = 2;            // no overbooking in the last guard_slots slots of a session
  // Cost per expected patient in a session's last slot, halving with each slot before it: late
  // shows cost overtime. Above unscheduled_cost it keeps the last slot free (a buffer) unless a
  // request with predicted no-show >= 1 - unscheduled_cost * weight / end_weight can take it
  // (with the defaults: routine requests of risk >= 0.107). Chosen by simulation (docs/ops.md).
  double end_weight = 112;
  double lateness_weight = 1.0;   // cost per day after the earliest start, times the weight
  double preference_weight = 2.0; // bonus per preference met
  double overbook_cost = 3.0;     // cost per overbooked slot
  double unscheduled_cost = 100;  // per request, times its weight (when allowed)
  bool allow_unscheduled = false; // false: every request must get a slot (else InvalidInput)
  bool book_all = false;          // as many requests as fit, even into buffer slots (set internally when !allow_unscheduled)
  double time_limit_s = 30;       // CBC wall-clock limit
  double gap = 1e-4;              // relative gap at which CBC stops
  int per_session_candidates = 2;         // per request and session: its cheapest candidate slots (0 = all)
  bool joint_overbooking = false; // after the two stages, one model for first and second patients
  void validate() const;
};

struct ScheduleResult {
  std::vector<int> slot_of;       // per request: slot index or -1
  std::string status;             // optimal | gap | time_limit | heuristic
  double objective = 0, bound = 0, gap = 0, seconds = 0;
  size_t variables = 0, constraints = 0;
  int overbooked_slots = 0;
  std::vector<int> unscheduled;   // request indices
};

// Candidate slots of one request (hard constraints only).
std::vector<int> candidate_slots(const Problem& p, const Request& r);

// The integer programme. With allow_unscheduled false, a request no slot can take throws
// InvalidInput saying which constraints leave it none (skill, window, availability), and
// requests that compete for too few slots throw naming them and the slots.
ScheduleResult solve_schedule(const Problem& p, const ScheduleParams& params);

// Baselines: requests in their order, each into the earliest free candidate slot.
// fixed_overbook_every > 0 also books a second patient into every k-th slot of a session (from
// the first), regardless of risk (the fixed overbooking rule).
ScheduleResult schedule_fcfs(const Problem& p, int fixed_overbook_every = 0);

// A FHIR Bundle (collection) of booked Appointments, one per scheduled request.
std::string appointments_bundle(const Problem& p, const ScheduleResult& r);

}  // namespace medgen::ops
