#!/usr/bin/env bash
# medgen sim teams, curricula, LMS output and examiner mode through the CLI: attribution in the
# session log and debrief, progress recorded atomically, bad files one line with exit 2 and nothing written.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

check() {  # check NAME FILE PATTERN: the file matches the (extended) pattern
  if grep -Eq -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: $2 lacks /$3/"; fails=$((fails + 1)); fi
}

cat >"$tmp/cur.json" <<'JSON'
{"format": "medgen-sim-curriculum", "version": 1, "name": "acute-1", "title": "Acute care, block 1",
 "cases": [
  {"id": "sepsis-1", "condition": "septic_shock", "severity": "moderate", "seed": 7, "pass_percent": 70, "attempts": 2},
  {"id": "dka-1", "condition": "dka", "severity": "moderate", "seed": 3, "requires": ["sepsis-1"]}
 ]}
JSON
cat >"$tmp/team.json" <<'JSON'
{"description": "Sepsis hour-1 bundle by a team", "duration_min": 360,
 "team": [{"id": "alice", "role": "leader"}, {"id": "bob", "role": "airway"},
          {"id": "carol", "role": "drugs"}, {"id": "dan", "role": "circulation"}],
 "actions": [
  {"at_min": 1, "by": "alice", "do": "examine"},
  {"at_min": 2, "by": "alice", "do": "order lactate; order blood cultures; order fbc; order electrolytes"},
  {"at_min": 4, "by": "bob", "do": "order blood gas"},
  {"at_min": 5, "by": "alice", "do": "ask about allergies"},
  {"at_min": 8, "by": "carol", "do": "ceftriaxone 2 g iv"},
  {"at_min": 10, "by": "dan", "do": "fluids 30 ml/kg over 60 min"},
  {"at_min": 75, "by": "carol", "if": {"variable": "map", "below": 65}, "do": "norepinephrine 0.1 mcg/kg/min"},
  {"at_min": 80, "by": "alice", "do": "order lactate"}
 ]}
JSON

# Status before anything is recorded: the first case open, the second locked; no progress file made.
expect_ok "status, no progress yet" "$medgen" sim curriculum status "$tmp/cur.json" --progress "$tmp/prog.json" --trainee alice
check "status lists sepsis-1 available" "$tmp/stdout" "sepsis-1 +available"
check "status lists dka-1 locked" "$tmp/stdout" "dka-1 +locked \(needs sepsis-1\)"
[ -e "$tmp/prog.json" ] && { echo "FAIL status wrote a progress file"; fails=$((fails + 1)); }

# A team session of the curriculum's case: attribution in the JSON record, xAPI and SCORM.
expect_ok "team run" "$medgen" sim run --curriculum "$tmp/cur.json" --case-id sepsis-1 --script "$tmp/team.json" \
  --json-out "$tmp/team_session.json" --xapi "$tmp/team_xapi.json" --scorm "$tmp/team_scorm.json" --report "$tmp/team.txt"
check "record carries the actor" "$tmp/team_session.json" '"id": "carol"'
check "record flags out of role" "$tmp/team_session.json" '"out_of_role": true'
check "debrief has the team" "$tmp/team.txt" "bob \(airway\): 1 action, 1 out of role"
check "debrief names actors" "$tmp/team.txt" "> \[carol\] gave ceftriaxone"
check "xAPI attempted" "$tmp/team_xapi.json" '"en-US": "attempted"'
check "xAPI curriculum context" "$tmp/team_xapi.json" 'xapi/ext/curriculum": "acute-1"'
check "SCORM per trainee" "$tmp/team_scorm.json" '"cmi.core.student_id": "dan"'
check "SCORM lesson status" "$tmp/team_scorm.json" '"cmi.core.lesson_status": "(passed|failed)"'

# Recording: alice's score from the team session; dka-1 unlocks when she passes.
expect_ok "record" "$medgen" sim curriculum record "$tmp/cur.json" --progress "$tmp/prog.json" --trainee alice \
  --case sepsis-1 --session "$tmp/team_session.json"
check "record says passed and unlocks" "$tmp/stdout" "alice: sepsis-1 passed .*unlocked: dka-1"
check "progress file written" "$tmp/prog.json" '"format": "medgen-sim-progress"'
expect_ok "status after" "$medgen" sim curriculum status "$tmp/cur.json" --progress "$tmp/prog.json" --json
check "status json dka-1 available" "$tmp/stdout" '"status": "available"'
expect_error "record twice" "passed case 'sepsis-1' already" "$medgen" sim curriculum record "$tmp/cur.json" \
  --progress "$tmp/prog.json" --trainee alice --case sepsis-1 --session "$tmp/team_session.json"
expect_error "record locked" "locked for 'bob'" "$medgen" sim curriculum record "$tmp/cur.json" \
  --progress "$tmp/prog.json" --trainee bob --case dka-1 --session "$tmp/team_session.json"
expect_error "record wrong condition" "team_session.json:[0-9]+:[0-9]+: the session is of 'septic_shock'" \
  "$medgen" sim curriculum record "$tmp/cur.json" --progress "$tmp/prog.json" --trainee alice --case dka-1 --session "$tmp/team_session.json"
expect_ok "curriculum case" "$medgen" sim curriculum case "$tmp/cur.json" --case dka-1 -o "$tmp/dka.json" -q
check "curriculum case file" "$tmp/dka.json" '"condition": "dka"'

# Bad input: one line naming file:line:column, exit 2, nothing written.
sed 's/"condition": "dka"/"condition": "dkaa"/' "$tmp/cur.json" >"$tmp/badcond.json"
expect_error "unknown condition" "badcond.json:4:[0-9]+: unknown condition 'dkaa'" "$medgen" sim curriculum record \
  "$tmp/badcond.json" --progress "$tmp/out.json" --trainee alice --case sepsis-1 --session "$tmp/team_session.json"
sed 's/"attempts": 2}/"attempts": 2, "requires": ["dka-1"]}/' "$tmp/cur.json" >"$tmp/cycle.json"
expect_error "prerequisite cycle" "cycle.json:[34]:[0-9]+: prerequisites form a cycle: (sepsis-1 -> dka-1 -> sepsis-1|dka-1 -> sepsis-1 -> dka-1)" "$medgen" sim curriculum status \
  "$tmp/cycle.json" --progress "$tmp/out.json"
printf '{"format": "medgen-sim-progress",\n "version": 1,\n "curriculum": "acute-1" "trainees": {}}\n' >"$tmp/bad_progress.json"
cp "$tmp/bad_progress.json" "$tmp/keep_bad.json"
expect_error "progress does not parse" "bad_progress.json:3:[0-9]+" "$medgen" sim curriculum record "$tmp/cur.json" \
  --progress "$tmp/bad_progress.json" --trainee alice --case sepsis-1 --session "$tmp/team_session.json"
cmp -s "$tmp/bad_progress.json" "$tmp/keep_bad.json" || { echo "FAIL bad progress file was changed"; fails=$((fails + 1)); }
expect_error "bad role" "unknown role 'pilot'" "$medgen" sim run -c dka --seed 1 --team alice:pilot --script "$tmp/team.json" --json-out "$tmp/out.json"

# Interactive team and examiner mode from a pipe.
printf 'bob: ceftriaxone 2 g iv\nalice: order lactate\nvitals\nattach monitor\nend\n' |
  "$medgen" sim run --condition septic_shock --seed 7 --team alice:leader,bob:airway --examiner --speed 1000 >"$tmp/inter.txt" 2>&1
check "interactive actor" "$tmp/inter.txt" "> \[bob\] gave ceftriaxone"
check "interactive out of role" "$tmp/inter.txt" "out of role: bob \(airway\)"
check "examiner hides the monitor" "$tmp/inter.txt" "monitor not attached"
check "examiner debrief" "$tmp/inter.txt" "monitor: attached at"

# Alarms: priorities, silence and acknowledgement in the terminal and the debrief; limits per case.
printf 'wait 3 min\nsilence alarms 2 min\nwait 3 min\nacknowledge alarms\nend\n' |
  "$medgen" sim run --condition septic_shock --severity severe --seed 7 --speed 1000 >"$tmp/alarms.txt" 2>&1
check "alarm priority" "$tmp/alarms.txt" "ALARM \[high\] severe hypotension"
check "alarm reminder" "$tmp/alarms.txt" "still active, not acknowledged"
check "alarm silenced" "$tmp/alarms.txt" "> silenced the alarms for 2 min"
check "alarm debrief" "$tmp/alarms.txt" "acknowledged after 0:06:00"
sed 's/"attempts": 2}/"attempts": 2, "alarms": {"map_low": {"below": 40, "priority": "high"}}}/' "$tmp/cur.json" >"$tmp/cur_alarms.json"
expect_ok "case alarm limits" "$medgen" sim run --curriculum "$tmp/cur_alarms.json" --case-id sepsis-1 --script "$tmp/team.json" --json
check "limits in the record" "$tmp/stdout" '"below": 40'
sed 's/"attempts": 2}/"attempts": 2, "alarms": {"map_low": {"above": 40}}}/' "$tmp/cur.json" >"$tmp/cur_badalarm.json"
expect_error "alarm direction" "cur_badalarm.json:3:[0-9]+: alarm 'map_low' fires below" "$medgen" sim curriculum status \
  "$tmp/cur_badalarm.json" --progress "$tmp/out.json"

[ "$fails" -eq 0 ] && echo "all sim team/curriculum CLI checks passed"
exit "$fails"
