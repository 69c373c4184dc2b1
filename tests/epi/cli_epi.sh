#!/usr/bin/env bash
# medgen epi through the CLI: a small run on the Hagelloch measles series gives JSON with every
# method scored; bad inputs give one line (file:line:column where it applies), exit 2, no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

expect_ok "measles1861 --json" "$medgen" epi "$src/data/epi/measles1861.csv" --particles 200 --draws 200 --json -q -o "$tmp/res.json"
/usr/bin/python3 - "$tmp/stdout" "$tmp/res.json" <<'PY' || fails=$((fails + 1))
import json, sys
r = json.load(open(sys.argv[1]))
assert r == json.load(open(sys.argv[2]))
assert r["step"] == "day" and r["horizons"] == 7 and r["steps"] == 48
for m in ("seir", "renewal", "persistence"):
    o = r["methods"][m]["overall"]
    assert o["forecasts"] > 100 and 0 <= o["coverage95"] <= 1, (m, o)
assert abs(r["relative_wis_vs_persistence"]["persistence"] - 1) < 1e-12
print("ok   measles1861: relative WIS seir %.2f renewal %.2f" % (r["relative_wis_vs_persistence"]["seir"], r["relative_wis_vs_persistence"]["renewal"]))
PY
# A series with a serial interval given on the command line (no metadata beside it).
awk -F, 'NR == 1 {print "cases"} NR > 1 {print $3}' "$src/data/epi/sars2003.csv" >"$tmp/sars.csv"
expect_ok "--si-mean/--si-sd" "$medgen" epi "$tmp/sars.csv" --si-mean 8.4 --si-sd 3.8 --particles 100 --draws 100 -q
printf 'cases\n1\n2\n3\n4\n-5\n6\n7\n8\n9\n10\n' >"$tmp/neg.csv"
expect_error "negative count" "neg.csv:6:1: 'cases' must be a whole number" "$medgen" epi "$tmp/neg.csv" --si-mean 3 --si-sd 1 -o "$tmp/out.json"
printf 'cases\n1\n2\n' >"$tmp/short.csv"
expect_error "too short" "at least 10" "$medgen" epi "$tmp/short.csv" --si-mean 3 --si-sd 1 -o "$tmp/out.json"
cp "$tmp/sars.csv" "$tmp/nosi.csv"
expect_error "no serial interval" "no serial interval" "$medgen" epi "$tmp/nosi.csv" -o "$tmp/out.json"
expect_error "train share" "--train-share" "$medgen" epi "$src/data/epi/flu2009.csv" --train-share 0.95 -o "$tmp/out.json"
expect_error "si sd alone" "go together" "$medgen" epi "$tmp/sars.csv" --si-sd 2 -o "$tmp/out.json"
expect_error "step" "--step must be day or week" "$medgen" epi "$src/data/epi/flu2009.csv" --step month -o "$tmp/out.json"
expect_error "missing file" "nope.csv" "$medgen" epi "$tmp/nope.csv" -o "$tmp/out.json"
exit $((fails > 0))
