// Curricula: cases in order (condition, severity, seed) with a pass mark, prerequisites and attempts
// allowed, and each trainee's progress through them, kept in a progress file. A finished session's
// score is recorded into the progress; passing a case unlocks the cases that require it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/sim/alarms.h"
#include "medgen/sim/case.h"
#include "medgen/sim/catalog.h"

namespace medgen::sim {

struct CurriculumCase {
  std::string id;                     // unique in the curriculum ("sepsis-1")
  std::string condition;              // the condition's name (aliases are resolved on load)
  std::string severity;               // "mild", "moderate", "severe"; "" = drawn from the seed
  uint64_t seed = 1;                  // the case's seed: every trainee meets the same patient
  double pass_percent = 70;           // pass mark (score percent)
  int attempts = 3;                   // attempts allowed
  std::vector<std::string> requires;  // case ids that must be passed first
  std::vector<AlarmLimit> alarms;     // "alarms": adjusted monitor limits for this case (alarms.h); empty = defaults
};

struct Curriculum {
  std::string name;   // identifier, recorded in the progress file and the xAPI context
  std::string title;  // for people
  std::vector<CurriculumCase> cases;

  const CurriculumCase* find(const std::string& id) const;
  // {"format": "medgen-sim-curriculum", "version": 1, "name", "title", "pass_percent", "attempts",
  //  "cases": [{"id", "condition", "severity", "seed", "pass_percent", "attempts", "requires", "alarms"}]}.
  // Strict: unknown keys, an unknown condition or severity, a duplicate id, a prerequisite that is not
  // a case or comes in a cycle are InvalidInput("file:line:column: ...").
  static Curriculum load(const std::string& path, const Catalog& catalog);
};

// The case a curriculum entry describes (generate_case with its condition, severity and seed).
Case curriculum_case(const Catalog& catalog, const CurriculumCase& entry);

struct Attempt {
  double percent = 0;
  bool passed = false;
  std::string session;  // where the score came from (a session record's path), for provenance
};

struct CurriculumProgress {
  std::string curriculum;  // Curriculum::name
  // trainee id -> case id -> attempts in order
  std::map<std::string, std::map<std::string, std::vector<Attempt>>> trainees;

  // {"format": "medgen-sim-progress", "version": 1, "curriculum", "trainees": {ID: {CASE: [{"percent",
  // "passed", "session"}]}}}. A file that does not exist is an empty progress; one that does not
  // parse, or names another curriculum or an unknown case, is InvalidInput("file:line:column: ...").
  static CurriculumProgress load(const std::string& path, const Curriculum& curriculum);
  nlohmann::json to_json() const;
  // Written through a temporary file and renamed into place.
  void save(const std::string& path) const;
};

struct CaseStatus {
  std::string id;
  std::string status;  // "passed", "available", "locked" (prerequisites not passed), "failed" (no attempts left)
  int attempts_used = 0, attempts_allowed = 0;
  double best_percent = -1;                // -1: never attempted
  std::vector<std::string> waiting_for;    // locked: the prerequisites not yet passed
};

// Each case's status for one trainee, in curriculum order.
std::vector<CaseStatus> curriculum_status(const Curriculum& curriculum, const CurriculumProgress& progress,
                                          const std::string& trainee);

struct RecordOutcome {
  CaseStatus status;                  // the case after recording
  std::vector<std::string> unlocked;  // cases that became available
  double percent = 0;
  bool passed = false;
};

// Throws InvalidInput when `trainee` cannot record an attempt at `case_id` now: an unknown case, or one
// that is locked, passed already, or has no attempts left.
void check_recordable(const Curriculum& curriculum, const CurriculumProgress& progress, const std::string& trainee,
                      const std::string& case_id);

// Records one attempt at `case_id` by `trainee`. InvalidInput when the case is unknown, locked, passed
// already, or has no attempts left.
RecordOutcome record_attempt(const Curriculum& curriculum, CurriculumProgress* progress, const std::string& trainee,
                             const std::string& case_id, double percent, const std::string& session);

// The score a session record (session_json, e.g. from `sim run --json-out`) gives `trainee`: the
// team member's percent when the record has a team, else the session's percent. Checks that the record
// is of the curriculum case's condition, severity and seed. InvalidInput("file:line:column: ...").
double session_percent(const std::string& session_path, const std::string& trainee, const CurriculumCase& entry,
                       const Catalog& catalog);

}  // namespace medgen::sim
