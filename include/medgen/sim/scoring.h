// Assessment of a session against its condition's rubric (data/sim/guidelines/*.json), and the
// debrief: terminal text, a self-contained HTML page with vital-sign charts, xAPI statements, JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/sim/session.h"

namespace medgen::sim {

struct ItemResult {
  std::string id, text, kind;
  std::string status;  // "done", "late", "missed", "wrong order", "not applicable", "avoided", "penalty",
                       // "reached", "not reached"
  double points = 0;   // earned (negative for penalties)
  double max = 0;      // counted towards the total (0 for avoid items and non-applicable ones)
  double time_s = -1;  // when it happened, if it did
  std::string detail;
  std::string actor;   // the trainee whose action achieved it or incurred the penalty ("" when none)
};

struct Score {
  std::string rubric, title;
  std::vector<ItemResult> items;
  double earned = 0, max = 0, penalties = 0;
  double percent = 0;  // 100 * max(0, earned + penalties) / max
  bool died = false;
};

Score score_session(const Session& s, const Rubric& rubric);

std::string debrief_text(const Session& s, const Score& score);
std::string debrief_html(const Session& s, const Score& score);
// xAPI 1.0.3 statements for a lone trainee without curriculum context: lms_xapi_statements (lms.h)
// with `actor_name` and `start_iso` (the session's start, e.g. "2026-01-01T09:00:00Z"; timestamps are
// offsets from it; "" for none).
nlohmann::json xapi_statements(const Session& s, const Score& score, const std::string& actor_name,
                               const std::string& start_iso);
// Machine-readable summary: case, actions, events, samples every 5 min, score.
nlohmann::json session_json(const Session& s, const Score& score);

}  // namespace medgen::sim
