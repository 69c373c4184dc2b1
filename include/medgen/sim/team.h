// Teams: several trainees in one session, each with a role (leader, airway, circulation, drugs,
// procedures). Every action carries who did it (Actor in session.h); an action outside its role's
// scope (drugs given by the airway role) is flagged, and the score is attributed per trainee and role.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medgen/sim/scoring.h"
#include "medgen/sim/session.h"

namespace medgen::sim {

// The roles, in order: "leader", "airway", "circulation", "drugs", "procedures".
const std::vector<std::string>& team_roles();
// What kind of task an action is: "history", "examination", "monitoring", "investigation", "drug",
// "circulation" (fluids, blood, IV access, haemorrhage control), "airway" (oxygen, intubation),
// "procedure" (decompression, chest drain, PCI, thrombolysis), "leadership" (calling for help), "other".
std::string action_category(const Action& a);
// Whether `role` covers a task of `category`. Everyone may examine and look at the monitor; the leader
// takes the history, orders investigations and calls for help; "" (a lone trainee) covers everything.
bool role_allows(const std::string& role, const std::string& category);
// The categories a role covers, for messages and the docs ("drug, examination, monitoring").
std::string role_scope(const std::string& role);

struct Team {
  std::vector<Actor> members;  // ids unique; roles from team_roles()

  bool empty() const { return members.empty(); }
  const Actor* find(const std::string& id) const;
  // "alice:leader,bob:airway,carol:drugs". Throws InvalidInput (naming the bad part, with the valid
  // roles) for an unknown role, a duplicate or malformed id.
  static Team parse(const std::string& spec);
  // Throws InvalidInput for the first problem ("" when fine is not returned: it throws).
  void validate() const;
};

struct MemberScore {
  Actor who;
  int actions = 0, out_of_role = 0;
  std::vector<std::string> credited;  // rubric items this trainee's action achieved (or lost: penalties)
  double item_points = 0;             // points of those items
  double percent = 0;                 // the team's percent, less `out_of_role_penalty` per out-of-role action
  bool passed = false;                // percent >= pass mark
  std::string note;                   // the leader: the team's timing (items on time, late, missed)
};

struct TeamScoreParams {
  double pass_percent = 70;        // a trainee passes at this percent
  double out_of_role_penalty = 5;  // percentage points per action outside the trainee's role
};

// Attributes the session's score to each member. The leader's percent covers the team's timing (it
// is the team's percent); the others' is the team's percent less their out-of-role actions. A member
// who did nothing still shares the team's result.
std::vector<MemberScore> score_team(const Session& s, const Score& score, const Team& team,
                                    const TeamScoreParams& params = {});
nlohmann::json team_json(const std::vector<MemberScore>& members);
// The debrief's team section ("Team" heading, one block per trainee, out-of-role actions listed).
std::string team_debrief_text(const Session& s, const std::vector<MemberScore>& members);

}  // namespace medgen::sim
