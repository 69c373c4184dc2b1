#!/usr/bin/env bash
# medgen predict through the CLI: the DeepSurv-style network (fit, cross-validated c-index on pbc,
# contributions that add up, model file round trip) and features from a record (pbcseq's visits
# summarised up to a landmark); bad inputs give one line, exit 2 and no output file.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

pbc="$src/data/pbc.csv"
seq="$src/data/pbcseq.csv"
mayo="age, edema, log(bili), log(albumin), log(protime)"
expect_ok "fit deepsurv" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --horizon 1826 \
  --features "$mayo" --model deepsurv --epochs 150 --bootstrap 20 --folds 3 -o "$tmp/ds.json" --card "$tmp/ds.html" --json -q
/usr/bin/python3 - "$tmp/stdout" <<'PY' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))
c = s["performance"]["c_index"]["value"]
assert s["kind"] == "deepsurv" and s["rows"] == 416, s
assert c >= 0.78, f"deepsurv cross-validated c-index {c} < 0.78"
print(f"ok   deepsurv c-index {c:.3f}")
PY
expect_ok "apply deepsurv" "$medgen" predict apply "$pbc" -m "$tmp/ds.json" --json --top 0
/usr/bin/python3 - "$tmp/stdout" <<'PY' || fails=$((fails + 1))
import json, sys
r = json.load(open(sys.argv[1]))
rows = [x for x in r["rows"] if x["risk"] is not None]
assert len(rows) == 416
for x in rows:
    total = x["base"] + sum(c["contribution"] for c in x["contributions"])
    assert abs(total - x["margin"]) < 1e-9, (total, x["margin"])
print("ok   deepsurv contributions add up to the margin")
PY

common=(--time time --event status --event-value 2 --visits "$seq" --visit-columns bili,albumin --slope-per 365.25
        --missing impute --bootstrap 20)
lm=("${common[@]}" --id id --visit-time day --window 365 --summaries last,slope,count)
expect_ok "landmark fit" "$medgen" predict fit "$pbc" "${lm[@]}" \
  --features "$mayo, log(bili_last), log(albumin_last), bili_slope, visit_count" --compare-features "$mayo" -o "$tmp/lm.json" --json
/usr/bin/python3 - "$tmp/stdout" "$tmp/lm.json" <<'PY' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))
m = json.load(open(sys.argv[2]))
lm = m["card"]["landmark"]
assert s["rows"] == 290 and lm["kept"] == 290, (s["rows"], lm)
assert lm["left_out_event_or_censored_by_landmark"] == 30 and lm["left_out_no_visit_in_window"] == 98, lm
assert s["performance"]["c_index"]["value"] >= 0.78, s["performance"]["c_index"]
cmp = s["performance"]["comparison"]
assert cmp["difference"]["lo"] <= cmp["difference"]["value"] <= cmp["difference"]["hi"], cmp
assert abs(s["performance"]["c_index"]["value"] - cmp["reference"]["value"] - cmp["difference"]["value"]) < 1e-9, cmp
print("ok   landmark: 290 patients at risk at day 365 with a visit")
PY

# bad inputs
expect_ok "binary model" "$medgen" predict fit "$pbc" --outcome ascites --features "age, bili" --model logistic --bootstrap 0 -o "$tmp/logit.json" -q
expect_error "unknown id column" "pbc.csv: no column 'patient' \(--id\)" "$medgen" predict fit "$pbc" "${common[@]}" --id patient --visit-time day --window 365 -o "$tmp/out.json"
expect_error "unknown visit time column" "pbcseq.csv: no column 'visit' \(--visit-time\)" "$medgen" predict fit "$pbc" "${common[@]}" --id id --visit-time visit --window 365 -o "$tmp/out.json"
expect_error "absurd window" "--window 99999 is beyond every patient's follow-up" "$medgen" predict fit "$pbc" "${common[@]}" --id id --visit-time day --window 99999 -o "$tmp/out.json"
expect_error "window without visits" "go with --visits" "$medgen" predict fit "$pbc" --time time --event status --window 365 -o "$tmp/out.json"
expect_error "unknown summary" "unknown summary 'median'" "$medgen" predict fit "$pbc" "${common[@]}" --id id --visit-time day --window 365 --summaries median -o "$tmp/out.json"
expect_error "visits with a binary outcome" "needs a time to event" "$medgen" predict fit "$pbc" --outcome ascites --visits "$seq" --id id --visit-time day --window 365 --visit-columns bili -o "$tmp/out.json"
expect_error "deepsurv on a binary outcome" "--model deepsurv needs a time to event" "$medgen" predict fit "$pbc" --outcome ascites --model deepsurv --features "age, bili" -o "$tmp/out.json"
expect_error "bad ties" "--ties must be breslow or efron" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --model deepsurv --ties exact -o "$tmp/out.json"
expect_error "bad hidden" "--hidden: expected widths" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --model deepsurv --hidden 32,x -o "$tmp/out.json"
printf 'a,t,e\n1,0,1\n2,3,1\n3,4,0\n' >"$tmp/t0.csv"
expect_error "deepsurv time <= 0" "t0.csv:2:2: time 't' must be > 0" "$medgen" predict fit "$tmp/t0.csv" --time t --event e --model deepsurv -o "$tmp/out.json"
/usr/bin/python3 - "$tmp/ds.json" "$tmp/bad.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["network"]["tensors"][0]["shape"] = [3, 3]
json.dump(m, open(sys.argv[2], "w"))
PY
expect_error "bad network in model file" "bad.json: network tensor .* wrong shape" "$medgen" predict apply "$pbc" -m "$tmp/bad.json" -o "$tmp/out.csv"

# the risk implied by a forecast, updated visit by visit
expect_ok "fit mayo" "$medgen" predict fit "$pbc" --time time --event status --event-value 2 --horizon 1826 \
  --features "$mayo" --bootstrap 0 --folds 2 -o "$tmp/mayo.json" -q
expect_ok "forecast risk" "$medgen" predict forecast "$seq" --id id --visit-time day --marker bili --marker albumin \
  -m "$tmp/mayo.json" --patient 4 --json
/usr/bin/python3 - "$tmp/stdout" <<'PY' || fails=$((fails + 1))
import json, sys
r = json.load(open(sys.argv[1]))["risk"]
assert len(r["points"]) == 7, len(r["points"])
for p in r["points"]:
    assert p["risk_lo95"] <= p["risk"] <= p["risk_hi95"], p
print("ok   forecast risk: 7 visits of patient 4, each risk inside its interval")
PY
expect_error "forecast risk unknown patient" "no patient '9999' in column 'id'" "$medgen" predict forecast "$seq" --id id --visit-time day --marker bili -m "$tmp/mayo.json" --patient 9999 -o "$tmp/out.json"
expect_error "patient without model" "--patient goes with -m" "$medgen" predict forecast "$seq" --id id --visit-time day --marker bili --patient 4 -o "$tmp/out.json"
expect_error "forecast risk binary model" "must be a survival model with a horizon" "$medgen" predict forecast "$seq" --id id --visit-time day --marker bili -m "$tmp/logit.json" -o "$tmp/out.json"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all predict record and network CLI checks passed"
