#!/usr/bin/env bash
# medgen ops noshow / schedule / remind through the CLI: a seeded round trip (generate, train,
# predict), a small calendar booked by CBC (each request once, the urgent one first), and bad
# inputs (overlapping slots, a request no slot can take, a missing file, a bad model): one
# line, exit 2, nothing written.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

expect_ok "generate" "$medgen" ops noshow generate -n 1500 --seed 1 -o "$tmp/appts.csv" -q
expect_ok "generate again" "$medgen" ops noshow generate -n 1500 --seed 1 -o "$tmp/appts2.csv" -q
cmp -s "$tmp/appts.csv" "$tmp/appts2.csv" || { echo "FAIL same seed gave different appointments"; fails=$((fails + 1)); }
expect_ok "train" "$medgen" ops noshow train "$tmp/appts.csv" --rounds 30 -o "$tmp/noshow.json" -q
expect_ok "predict" "$medgen" ops noshow predict "$tmp/noshow.json" "$tmp/appts.csv" --reasons 2 -o "$tmp/pred.csv" -q
rows=$(($(wc -l <"$tmp/pred.csv") - 1))
[ "$rows" -eq 1500 ] || { echo "FAIL predict wrote $rows rows (want 1500)"; fails=$((fails + 1)); }
awk -F, 'NR > 1 && ($2 < 0 || $2 > 1) { bad = 1 } END { exit bad }' "$tmp/pred.csv" ||
  { echo "FAIL a probability outside [0, 1]"; fails=$((fails + 1)); }

bundle="$src/tests/ops/data/schedule_small.json"
expect_ok "schedule" "$medgen" ops schedule "$bundle" -o "$tmp/appts.json" -q
# r1 (urgent, deadline on the first day) takes s1; r2 takes the other slot that day.
grep -q '"Slot/s1"' "$tmp/appts.json" && [ "$(grep -o '"resourceType": *"Appointment"' "$tmp/appts.json" | wc -l)" -eq 2 ] ||
  { echo "FAIL schedule: $(cat "$tmp/appts.json")"; fails=$((fails + 1)); }
sed 's/"start":"2026-03-02T09:30:00Z"/"start":"2026-03-02T09:15:00Z"/' "$bundle" >"$tmp/overlap.json"
expect_error "overlapping slots" 'Slot/s1 .* overlaps Slot/s2' "$medgen" ops schedule "$tmp/overlap.json" -o "$tmp/out.json"
sed 's/"code":"gp"}]},"priority":"routine"/"code":"cardio"}]},"priority":"routine"/' "$bundle" >"$tmp/noskill.json"
expect_error "no slot for a request" "ServiceRequest/r2 .*skill 'cardio'" "$medgen" ops schedule "$tmp/noskill.json" -o "$tmp/out.json"
expect_error "missing bundle" 'nope\.json' "$medgen" ops schedule "$tmp/nope.json" -o "$tmp/out.json"
echo 'not a model' >"$tmp/bad_model.json"
expect_error "bad model" 'bad_model\.json' "$medgen" ops noshow predict "$tmp/bad_model.json" "$tmp/appts.csv" -o "$tmp/out.csv"

[ "$fails" -eq 0 ] && echo "all ops scheduling CLI checks passed"
exit "$fails"
