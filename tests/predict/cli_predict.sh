#!/usr/bin/env bash
# medgen predict through the CLI on the project's pbc table: the Mayo model fits, cross-validates
# (c-index >= 0.80), writes its card; apply explains every prediction; audit compares groups;
# bad inputs give one line, exit 2 and no output file.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

pbc="$src/data/pbc.csv"
mayo="age, edema, log(bili), log(albumin), log(protime)"
expect_ok "fit mayo" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --horizon 1826 \
  --features "$mayo" --bootstrap 30 --group sex -o "$tmp/mayo.json" --card "$tmp/card.html" --card-json "$tmp/card.json" --json -q
/usr/bin/python3 - "$tmp/stdout" "$tmp/card.html" <<'PY' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))
c = s["performance"]["c_index"]["value"]
assert c >= 0.80, f"cross-validated c-index {c} < 0.80"
assert s["rows"] == 416, s["rows"]
coef = {x["term"]: x["coefficient"] for x in s["coefficients"]}
assert abs(coef["log(bili)"] - 0.864) < 0.0015, coef
html = open(sys.argv[2]).read()
assert "<svg" in html and "Bias audit" in html and "Calibration" in html
print(f"ok   mayo c-index {c:.3f}")
PY
expect_ok "apply --json" "$medgen" predict apply "$pbc" -m "$tmp/mayo.json" --json --top 0
/usr/bin/python3 - "$tmp/stdout" <<'PY' || fails=$((fails + 1))
import json, math, sys
r = json.load(open(sys.argv[1]))
rows = [x for x in r["rows"] if x["risk"] is not None]
assert len(rows) == 416 and len(r["rows"]) == 418
for x in rows:
    total = x["base"] + sum(c["contribution"] for c in x["contributions"])
    assert abs(total - x["margin"]) < 1e-9, (total, x["margin"])
    assert 0 <= x["risk"] <= 1
print("ok   apply: contributions add up to the margin")
PY
expect_ok "apply csv" "$medgen" predict apply "$pbc" -m "$tmp/mayo.json" -o "$tmp/preds.csv"
[ "$(wc -l <"$tmp/preds.csv")" -eq 419 ] || { echo "FAIL apply csv rows"; fails=$((fails + 1)); }
expect_ok "audit" "$medgen" predict audit "$pbc" -m "$tmp/mayo.json" --group sex --group age:50,60 --bootstrap 30
grep -q "too small to judge" "$tmp/stdout" || true
expect_ok "card" "$medgen" predict card -m "$tmp/mayo.json" -o "$tmp/card2.html"
expect_ok "xgboost binary" "$medgen" predict fit "$pbc" --outcome ascites --features "age, bili, albumin, protime, sex" \
  --model xgboost --rounds 30 --bootstrap 20 --folds 3 -o "$tmp/xgb.json" -q
expect_ok "xgboost apply" "$medgen" predict apply "$pbc" -m "$tmp/xgb.json" --json
expect_ok "forecast" "$medgen" predict forecast "$src/data/pbcseq.csv" --id id --visit-time day --marker bili --marker albumin

# bad inputs
printf 'a,b,y\n1,2,1\n2,3,1\n3,4,1\n4,5,1\n5,6,1\n6,7,1\n7,8,1\n' >"$tmp/const.csv"
expect_error "constant outcome" "constant" "$medgen" predict fit "$tmp/const.csv" --outcome y --model logistic -o "$tmp/out.json"
printf 'a,t,e\n1,0,1\n2,3,1\n3,4,0\n' >"$tmp/t0.csv"
expect_error "time <= 0" "t0.csv:2:2: time 't' must be > 0" "$medgen" predict fit "$tmp/t0.csv" --time t --event e -o "$tmp/out.json"
expect_error "absurd horizon" "horizon .* must lie inside the follow-up" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --horizon 99999 -o "$tmp/out.json"
expect_error "missing outcome column" "no outcome column 'nope'" "$medgen" predict fit "$pbc" --outcome nope -o "$tmp/out.json"
awk -F, 'NR==1{print $0",dead"} NR>1{print $0","($3=="2"?1:0)}' "$pbc" >"$tmp/leak.csv"
expect_error "leaking feature" "feature 'dead.* leaks the outcome" "$medgen" predict fit "$tmp/leak.csv" --time time --event status --event-value 2 --features "age, dead" -o "$tmp/out.json"
expect_error "outcome as feature" "is the outcome" "$medgen" predict fit "$pbc" --time time --event status --features "age, status" -o "$tmp/out.json"
awk -F, 'BEGIN{OFS=","} NR>1{$6="\"f\""} {print}' "$pbc" >"$tmp/onesex.csv"
expect_error "one-level group" "--group sex: the column has 1 level" "$medgen" predict fit "$tmp/onesex.csv" --time time --event status --event-value 2 --features "$mayo" --group sex -o "$tmp/out.json"
expect_error "unknown model" "--model must be cox, logistic, xgboost or deepsurv" "$medgen" predict fit "$pbc" --time time --event status --model forest -o "$tmp/out.json"
expect_error "logistic on survival" "--model logistic needs a binary outcome" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --model logistic -o "$tmp/out.json"
printf '{"format": "medgen-predict", "version": 1, "model": "cox"}\n' >"$tmp/bad.json"
expect_error "bad model file" "bad.json: " "$medgen" predict apply "$pbc" -m "$tmp/bad.json" -o "$tmp/out.csv"
printf 'not json' >"$tmp/bad2.json"
expect_error "not json" "bad2.json: not JSON" "$medgen" predict apply "$pbc" -m "$tmp/bad2.json" -o "$tmp/out.csv"
expect_error "binary with many values" "has [0-9]+ distinct values" "$medgen" predict fit "$pbc" --outcome bili -o "$tmp/out.json"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all predict CLI checks passed"
