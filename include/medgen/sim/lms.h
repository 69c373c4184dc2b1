// Results for learning-management systems: xAPI 1.0.3 statements (per trainee, with curriculum
// context) and a SCORM-friendly summary (cmi.core-like fields per trainee).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "medgen/sim/scoring.h"
#include "medgen/sim/session.h"

namespace medgen::sim {

struct LmsContext {
  std::string trainee = "trainee";  // the lone trainee's id (teams: each member's id from the session)
  std::string start_iso;            // the session's start ("2026-01-01T09:00:00Z"); "" = no timestamps
  std::string curriculum;           // curriculum name ("" = none): xAPI context grouping
  std::string case_id;              // the curriculum case ("" = none)
  double pass_percent = 70;         // pass mark
};

// Statements: "attempted" per trainee at the start, "interacted" per action by whoever did it, then per
// trainee "completed" and "passed" or "failed" with result.score (scaled, raw, min 0, max 100) — the
// trainee's percent (see team.h). Context: the curriculum and case as a grouping activity and extensions.
nlohmann::json lms_xapi_statements(const Session& s, const Score& score, const LmsContext& ctx);

// {"trainees": [{"cmi.core.student_id", "cmi.core.lesson_status" ("passed"/"failed"),
// "cmi.core.score.raw", ".min", ".max", "cmi.core.session_time" ("HHHH:MM:SS"), "cmi.core.lesson_location"
// (the case), "cmi.core.entry": "ab-initio"}], "curriculum", "case"}.
nlohmann::json scorm_summary(const Session& s, const Score& score, const LmsContext& ctx);

}  // namespace medgen::sim
