#!/usr/bin/env bash
# medgen sim through the CLI: bad inputs give one line and exit 2 and leave no output file; good runs
# are deterministic; the interactive session survives piped input.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"


scripts="$src/data/sim/scripts"
expect_ok "list" "$medgen" sim list
grep -q septic_shock "$tmp/stdout" || { echo "FAIL list lacks septic_shock"; fails=$((fails + 1)); }
expect_ok "case" "$medgen" sim case --condition sepsis --seed 7 -o "$tmp/case.json" -q
expect_ok "case again" "$medgen" sim case --condition sepsis --seed 7 -o "$tmp/case2.json" -q
cmp -s "$tmp/case.json" "$tmp/case2.json" || { echo "FAIL same seed gave different cases"; fails=$((fails + 1)); }
"$medgen" sim case --condition sepsis --seed 8 -q -o "$tmp/case3.json"
cmp -s "$tmp/case.json" "$tmp/case3.json" && { echo "FAIL another seed gave the same case"; fails=$((fails + 1)); }

expect_ok "case -o --json: a summary on stdout" "$medgen" sim case --condition sepsis --seed 7 -o "$tmp/case4.json" --json -q
grep -q '"output": ".*case4.json"' "$tmp/stdout" || { echo "FAIL case --json summary: $(cat "$tmp/stdout")"; fails=$((fails + 1)); }
cmp -s "$tmp/case.json" "$tmp/case4.json" || { echo "FAIL --json changed the case file"; fails=$((fails + 1)); }
expect_error "case --seed -1" "--seed must be at least 0, got -1" "$medgen" sim case --condition sepsis --seed -1 -o "$tmp/out.json"

expect_error "unknown condition" "unknown condition 'sepsys'.*septic_shock" "$medgen" sim case --condition sepsys -o "$tmp/out.json"
expect_error "bad severity" "severity must be mild, moderate or severe" "$medgen" sim case -c dka --severity extreme -o "$tmp/out.json"
expect_error "missing case" "nope.json" "$medgen" sim run --case "$tmp/nope.json" --script "$scripts/septic_shock_good.json" --html "$tmp/out.html"
printf '{\n  "format": "medgen-sim-case",\n  "version": 1\n  "condition": "dka"\n}\n' >"$tmp/syntax.json"
expect_error "case syntax" "syntax.json:4:[0-9]+: invalid JSON" "$medgen" sim run --case "$tmp/syntax.json" --script "$scripts/dka_good.json" --html "$tmp/out.html"
sed 's/"septic_shock"/"sepsys"/' "$tmp/case.json" >"$tmp/badcond.json"
expect_error "case condition" "badcond.json:[0-9]+:[0-9]+: unknown condition 'sepsys'" "$medgen" sim run --case "$tmp/badcond.json" --script "$scripts/septic_shock_good.json" --html "$tmp/out.html"
sed 's/"weight_kg": [0-9.]*/"weight_kg": 900/' "$tmp/case.json" >"$tmp/badweight.json"
expect_error "case weight" "badweight.json:[0-9]+:[0-9]+: '/patient/weight_kg' = 900 is outside" "$medgen" sim run --case "$tmp/badweight.json" --script "$scripts/septic_shock_good.json"
printf '{"duration_min": 60, "actions": [\n  {"at_min": 1, "do": "order lactate"},\n  {"at_min": 2, "do": "give norepinefrine 0.1 mcg/kg/min"}\n]}\n' >"$tmp/typo.json"
expect_error "script typo" "typo.json:3:[0-9]+: .*did you mean 'norepinephrine'" "$medgen" sim run --case "$tmp/case.json" --script "$tmp/typo.json" --html "$tmp/out.html" --xapi "$tmp/out.xapi.json"
printf '{"actions": [{"at_min": 1, "doo": "order lactate"}]}\n' >"$tmp/key.json"
expect_error "script key" "key.json:1:[0-9]+: unknown key 'doo'" "$medgen" sim run --case "$tmp/case.json" --script "$tmp/key.json"
expect_error "data dir" "simulator data folder not found" "$medgen" sim list --data-dir "$tmp/none"
printf '{"name": "x", "title": "X", "sources": ["s"], "onset_hours": {"min": 1, "max": 2}, "presenting_complaint": "p", "rubric": "dka_jbds",\n "findings": {"mild": [], "moderate": [], "severe": []}, "effects": [{"target": "svr", "mild": 1, "moderate": 1, "severe": 1, "grow": 1}]}\n' >"$tmp/edu.json"
expect_error "educator condition" "edu.json:2:[0-9]+: unknown key 'grow'" "$medgen" sim list --conditions "$tmp/edu.json"
expect_error "speed" "--speed" "$medgen" sim run --case "$tmp/case.json" --speed 0
expect_error "no case" "needs --case" "$medgen" sim run --script "$scripts/dka_good.json"
expect_error "html dir" "out.d/x.html" "$medgen" sim run --case "$tmp/case.json" --script "$scripts/septic_shock_good.json" --html "$tmp/out.d/x.html"

# Demographics from a trained population model (here the embedded PBC trial data: mostly women).
"$medgen" fit "$src/data/pbc.csv" -o "$tmp/pbc.medgen" -q || { echo "FAIL cannot fit pbc"; fails=$((fails + 1)); }
women=0
for s in 1 2 3 4 5 6 7 8; do
  "$medgen" sim case -c dka --seed $s --population "$tmp/pbc.medgen" -o "$tmp/pop.json" -q
  grep -q '"population": ".*pbc.medgen (age, sex)"' "$tmp/pop.json" || { echo "FAIL population not recorded"; fails=$((fails + 1)); break; }
  grep -q '"sex": "female"' "$tmp/pop.json" && women=$((women + 1))
done
if [ "$women" -ge 5 ]; then echo "ok   population model: $women/8 women (PBC is 89% women)"; else echo "FAIL population: $women/8 women"; fails=$((fails + 1)); fi
expect_error "population model missing" "nope.medgen" "$medgen" sim case -c dka --population "$tmp/nope.medgen" -o "$tmp/out.json"

# Scripted runs are deterministic, and write the debrief files.
expect_ok "scripted run" "$medgen" sim run --case "$tmp/case.json" --script "$scripts/septic_shock_good.json" --html "$tmp/d.html" --xapi "$tmp/x.json" --json-out "$tmp/s1.json" -q
"$medgen" sim run --case "$tmp/case.json" --script "$scripts/septic_shock_good.json" --json-out "$tmp/s2.json" -q
cmp -s "$tmp/s1.json" "$tmp/s2.json" || { echo "FAIL scripted runs differ"; fails=$((fails + 1)); }
[ -s "$tmp/stdout" ] || { echo "FAIL -q removed the debrief from stdout"; fails=$((fails + 1)); }
grep -q "<svg" "$tmp/d.html" || { echo "FAIL html has no chart"; fails=$((fails + 1)); }
grep -q '"verb"' "$tmp/x.json" || { echo "FAIL xapi has no statements"; fails=$((fails + 1)); }
good=$("$medgen" sim run --case "$tmp/case.json" --script "$scripts/septic_shock_good.json" --json | grep -o '"percent": [0-9.]*' | tail -1 | cut -d' ' -f2)
none=$("$medgen" sim run --case "$tmp/case.json" --script "$scripts/septic_shock_none.json" --json | grep -o '"percent": [0-9.]*' | tail -1 | cut -d' ' -f2)
if awk "BEGIN{exit !($good > $none + 30)}"; then echo "ok   good ($good%) beats none ($none%)"; else echo "FAIL good $good vs none $none"; fails=$((fails + 1)); fi

# Interactive session fed from a pipe: typos answered, never a crash; ends at end of input with a debrief.
printf 'ask about allergies\norder lactat\ngive norepinefrine 1\nfluids 30 ml/kg\n\x01\x02 garbage ;;\nwait 30 min\nvitals\nend\n' |
  "$medgen" sim run --case "$tmp/case.json" --speed 1000 >"$tmp/inter.txt" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then echo "FAIL interactive exit $rc"; fails=$((fails + 1)); fi
for want in "did you mean 'lactate'" "read 'norepinefrine' as norepinephrine" "give a unit for norepinephrine" "ml/kg) over" "DEBRIEF" "Score"; do
  grep -q "$want" "$tmp/inter.txt" || { echo "FAIL interactive output lacks '$want'"; fails=$((fails + 1)); }
done
# Dose checks: an overdose and a unit error are refused with the reason, a soft-limit dose waits for 'confirm'.
printf 'give 100 mg naloxone
norepinephrine 0.1 mg/kg/min
naloxone 4 mg iv
confirm
check vitals
end
' |
  "$medgen" sim run --case "$tmp/case.json" --speed 1000 >"$tmp/safety.txt" 2>&1
for want in "refused: naloxone 100 mg" "did you mean 0.1 mcg/kg/min" "Type 'confirm'" "confirmed: naloxone 4 mg iv" "Order safety" "Unsafe order refused"; do
  grep -q "$want" "$tmp/safety.txt" || { echo "FAIL dose checks: output lacks '$want'"; fails=$((fails + 1)); }
done

# Parser evaluation over the phrasing set; a malformed row is exit 2 with file:line:column.
expect_ok "parse-eval" "$medgen" sim parse-eval "$src/tests/sim/data/parse_set.tsv"
grep -q "^heldout" "$tmp/stdout" || { echo "FAIL parse-eval has no held-out row"; fails=$((fails + 1)); }
printf 'phrase\tsplit\tkind\nvitals\tdev\n' >"$tmp/bad.tsv"
expect_error "parse-eval malformed row" "bad.tsv:2:1" "$medgen" sim parse-eval "$tmp/bad.tsv"

[ "$fails" -eq 0 ] && echo "all sim CLI checks passed"
exit "$fails"
