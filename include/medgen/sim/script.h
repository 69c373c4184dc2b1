// Scripted sessions: a JSON list of timed free-text actions, run without a terminal (batch, tests,
// `make demo`). Deterministic: the same case and script give the same record, byte for byte.
#pragma once

#include <string>
#include <vector>

#include "medgen/sim/session.h"

namespace medgen::sim {

struct ScriptAction {
  double at_s = 0;
  std::string text;
  Criterion only_if;  // optional ("if": {"variable": "map", "below": 65}): done only when it holds then
  std::string by;     // optional ("by": "alice"): the team member who does it (must be in `team`)
};

struct Script {
  double duration_s = 4 * 3600;  // the session runs until here (or death)
  std::vector<ScriptAction> actions;
  std::vector<Actor> team;  // optional ("team": [{"id": "alice", "role": "leader"}, ...]); see team.h
  bool examiner = false;    // optional ("examiner": true): run in examiner mode
  std::vector<AlarmLimit> alarms;  // optional ("alarms": {"map_low": {"below": 60}}): adjusted limits; empty = defaults

  // {"duration_min": 240, "actions": [{"at_min": 0, "do": "order lactate"}, ...]}. Every action must
  // parse (checked against the catalog and the condition): a typo is a located error with a suggestion.
  // With "team", each action may name its actor ("by"); an unknown id or role is a located error.
  static Script load(const std::string& path, const Catalog& catalog, const ConditionSpec& condition, double weight_kg);
};

// Runs the script on the session (each action done by its "by", with the role the session's team gives
// it); returns every event in order.
std::vector<Event> run_script(Session* session, const Script& script);

}  // namespace medgen::sim
