#!/usr/bin/env bash
# medgen trial through the CLI on the colon trial: a small run gives JSON with the real Cox
# reference (R's coxph: log HR -0.5126 for recurrence); bad inputs give one line, exit 2, no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

colon="$src/data/colon.csv"
base=(trial "$colon" --arm rx --control Obs --time time --event status --where etype=1)
expect_ok "own design --json" "$medgen" "${base[@]}" --treatment Lev+5FU --trials 40 --json -q -o "$tmp/res.json"
/usr/bin/python3 - "$tmp/stdout" "$tmp/res.json" <<'PY' || fails=$((fails + 1))
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r == json.load(open(sys.argv[2]))
c = r["comparisons"][0]
assert abs(c["real_reference"]["log_hr"] - (-0.512605)) < 1e-5, c["real_reference"]
assert c["design"]["rejections_wald"]["trials"] == 40
assert r["design"]["per_arm"] == [315, 304], r["design"]["per_arm"]
print("ok   own design: real HR %.3f, simulated median %.3f" % (c["real_reference"]["hr"], c["design"]["hr_estimate"]["median_hr"]))
PY
expect_error "unknown arm label" "control 'Placebo' is not a label" "$medgen" trial "$colon" --arm rx --control Placebo --time time --event status -o "$tmp/out.json"
expect_error "unknown column" "no column 'months'" "$medgen" trial "$colon" --arm rx --control Obs --time months --event status -o "$tmp/out.json"
expect_error "hr count" "--hr: 3 hazard ratios given for 2 treated arms" "$medgen" "${base[@]}" --hr 0.7 --hr 0.8 --hr 0.9 -o "$tmp/out.json"
expect_error "hr value" "--hr" "$medgen" "${base[@]}" --hr -1 -o "$tmp/out.json"
expect_error "per-arm count" "--per-arm: 2 sizes given for 3 arms" "$medgen" "${base[@]}" --per-arm 100,100 -o "$tmp/out.json"
expect_error "bad filter" "--where: expected COLUMN OP VALUE" "$medgen" trial "$colon" --arm rx --control Obs --time time --event status --where etype -o "$tmp/out.json"
expect_error "eligibility on labels" "only = and != compare them" "$medgen" "${base[@]}" --eligible "sex>x" --trials 10 -o "$tmp/out.json"
expect_error "accrual alone" "--accrual and --follow-up go together" "$medgen" "${base[@]}" --accrual 100 --trials 10 -o "$tmp/out.json"
expect_error "neural synthesizer" "trains a neural network" "$medgen" "${base[@]}" --synthesizer ctgan -o "$tmp/out.json"
printf 'rx,time,status\nA,1,1\nB,x,0\n' >"$tmp/bad.csv"
expect_error "bad time" "bad.csv: time column 'time' is not numerical" "$medgen" trial "$tmp/bad.csv" --arm rx --control A --time time --event status -o "$tmp/out.json"
exit $((fails > 0))
