#!/usr/bin/env bash
# medgen evaluate through the CLI: reports for a real split of pbc, the release gate's exit
# codes (0 pass, 3 fail, 2 bad input), one-line errors without partial files, and the HTML
# report loaded in headless Chromium (it renders offline, the charts exist, no console errors).
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

# expect_rc NAME RC CMD...: exit status RC.
expect_rc() {
  local name="$1" want="$2"
  shift 2
  "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc (want $want): $(cat "$tmp/stderr")"
    fails=$((fails + 1))
    return 1
  fi
  echo "ok   $name"
}

check() {  # check NAME COMMAND...: a shell condition
  local name="$1"
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

# A 2:1 split of pbc (every third row to the holdout), a copula fitted on the training part.
awk -F, 'NR == 1 || (NR - 2) % 3 != 2' "$src/tests/data/pbc.csv" >"$tmp/train.csv"
awk -F, 'NR == 1 || (NR - 2) % 3 == 2' "$src/tests/data/pbc.csv" >"$tmp/hold.csv"
"$medgen" fit "$tmp/train.csv" -o "$tmp/pbc.medgen" -q || { echo "FAIL: cannot fit"; exit 1; }
"$medgen" sample "$tmp/pbc.medgen" -n 279 -o "$tmp/syn.csv" -q --seed 3 || { echo "FAIL: cannot sample"; exit 1; }
ev=("$medgen" evaluate --real "$tmp/train.csv" --holdout "$tmp/hold.csv")

# The full report, and a gate with the defaults that the copula passes.
echo '{}' >"$tmp/gate.json"
expect_rc "report + json + default gate passes" 0 "${ev[@]}" --synthetic "$tmp/syn.csv" --target status \
  --sensitive status --quasi age --quasi sex --report "$tmp/r.html" --json-out "$tmp/r.json" --gate "$tmp/gate.json"
check "summary on stdout" grep -q "membership AUC" "$tmp/stdout"
check "summary's first line is the detection AUC beside the holdout's" \
  bash -c "head -1 '$tmp/stdout' | grep -Eq '^detection AUC +[0-9.]+ +\(holdout [0-9.]+, margin [-+][0-9.]+\)'"
check "json summary starts with detection_auc" \
  bash -c "grep -m1 -A1 '\"summary\"' '$tmp/r.json' | grep -q '\"detection_auc\"'"
check "json has the detector's hints" grep -q '"hints"' "$tmp/r.json"
check "html headline card is the detection AUC" grep -q "Detection AUC (XGBoost)" "$tmp/r.html"
check "gate passed note" grep -q "gate passed" "$tmp/stderr"
check "json has summary and gate" grep -q '"membership_auc"' "$tmp/r.json"
check "json gate passed" grep -q '"passed": true' "$tmp/r.json"
check "html written" test -s "$tmp/r.html"
check "html requests nothing from the network" bash -c "! grep -Eq '(src|href)=\"(https?:)?//' '$tmp/r.html'"

# --model: the report states what the model file reveals; without it there is no such section.
check "no model section without --model" bash -c "! grep -q '\"disclosure\"' '$tmp/r.json'"
expect_rc "--model adds the model disclosure" 0 "${ev[@]}" --synthetic "$tmp/syn.csv" --model "$tmp/pbc.medgen" \
  --json-out "$tmp/m.json" --report "$tmp/m.html" -q
check "json has the model disclosure" grep -q '"disclosure"' "$tmp/m.json"
check "json names the model's privacy level" grep -q '"privacy": "exact"' "$tmp/m.json"
check "html has the model file section" grep -q "Model file" "$tmp/m.html"
expect_error "--model not a model file" "train.csv" "${ev[@]}" --synthetic "$tmp/syn.csv" --model "$tmp/train.csv" \
  --report "$tmp/out.html"

# Copies of the training rows: the gate fails with exit 3, naming each threshold; the
# reports are still written (a reviewer needs them most then).
cp "$tmp/train.csv" "$tmp/copy.csv"
expect_rc "copied rows fail the gate with exit 3" 3 "${ev[@]}" --synthetic "$tmp/copy.csv" --report "$tmp/c.html" \
  --gate "$tmp/gate.json" -q
check "failure names max_membership_auc" grep -q "gate failed: membership_auc .* > max_membership_auc 0.6" "$tmp/stderr"
check "failure names max_exact_copy_rate" grep -q "gate failed: excess_exact_copy_rate .* > max_exact_copy_rate 0" "$tmp/stderr"
check "failed gate still writes the report" test -s "$tmp/c.html"
# Bilirubin three times too high: the opt-in detection margin fails (exit 3), and the summary
# names bilirubin as what gives the rows away; the default gate has no detection margin.
awk -F, 'BEGIN{OFS=","} NR > 1 {$11 = $11 * 3} {print}' "$tmp/syn.csv" >"$tmp/bili.csv"
echo '{"max_detection_auc_margin": 0.1}' >"$tmp/margin.json"
expect_rc "detection margin fails for a broken column" 3 "${ev[@]}" --synthetic "$tmp/bili.csv" \
  --json-out "$tmp/b.json" --gate "$tmp/margin.json"
check "failure names the two AUCs and the margin" \
  grep -Eq "gate failed: detection_auc [0-9.]+ - (holdout [0-9.]+|0.5 \(holdout [0-9.]+\)) = detection_auc_margin [0-9.]+ > max_detection_auc_margin 0.1" "$tmp/stderr"
check "summary names bili first" grep -Eq "^  given away by +bili [0-9]+%" "$tmp/stdout"
expect_rc "detection margin passes for the holdout itself" 0 "${ev[@]}" --synthetic "$tmp/hold.csv" \
  --json-out "$tmp/h.json" --gate "$tmp/margin.json" -q
echo '{"min_quality": 0.99}' >"$tmp/strict.json"
expect_rc "strict quality threshold fails" 3 "${ev[@]}" --synthetic "$tmp/syn.csv" --json-out "$tmp/s.json" --gate "$tmp/strict.json" -q
check "failure names min_quality" grep -q "gate failed: quality 0.* < min_quality 0.99" "$tmp/stderr"
expect_rc "no holdout: the default gate fails (privacy not measured)" 3 "$medgen" evaluate --real "$tmp/train.csv" \
  --synthetic "$tmp/syn.csv" --json-out "$tmp/n.json" --gate "$tmp/gate.json" -q
check "names the missing holdout" grep -q "needs --holdout" "$tmp/stderr"
echo '{"require_holdout": false}' >"$tmp/lax.json"
expect_rc "no holdout, require_holdout false: passes" 0 "$medgen" evaluate --real "$tmp/train.csv" \
  --synthetic "$tmp/syn.csv" --json-out "$tmp/n.json" --gate "$tmp/lax.json" -q

# Free text and identifiers are not scored: a synthetic file without them loads. A category
# label only the synthetic file has is scored (a note), not rejected.
{
  echo "pid,age,sex,notes"
  for i in $(seq 1 60); do echo "P$i,$((20 + i % 50)),$([ $((i % 3)) -eq 0 ] && echo m || echo f),seen in clinic on visit number $i with mild symptoms"; done
} >"$tmp/notes.csv"
{
  echo "age,sex"
  for i in $(seq 1 60); do echo "$((25 + i % 45)),$([ $((i % 4)) -eq 0 ] && echo x || echo f)"; done
} >"$tmp/notes-syn.csv"
expect_rc "text and id columns left out, unseen label scored" 0 "$medgen" evaluate --real "$tmp/notes.csv" \
  --synthetic "$tmp/notes-syn.csv" --json-out "$tmp/notes.json"
check "note names the new label's column" grep -q "column 'sex' has 1 label(s) the real file does not" "$tmp/stderr"
check "two columns scored" test "$(grep -c '"kind"' "$tmp/notes.json")" -ge 2
expect_error "quasi on a free-text column" "--quasi 'notes': a text column is not scored" "$medgen" evaluate \
  --real "$tmp/notes.csv" --synthetic "$tmp/notes-syn.csv" --quasi notes --json-out "$tmp/out.json"

# Bad inputs: exit 2, one line, no output file.
cut -d, -f1-19 "$tmp/syn.csv" >"$tmp/short.csv"
expect_error "synthetic lacks a column" "short.csv:1: missing column 'stage'" "${ev[@]}" --synthetic "$tmp/short.csv" --report "$tmp/out.html"
awk -F, 'BEGIN{OFS=","} NR == 3 {$11 = "high"} {print}' "$tmp/syn.csv" >"$tmp/text.csv"
expect_error "text in a numeric column" "text.csv:3:11: column 'bili': 'high' is not a number" "${ev[@]}" --synthetic "$tmp/text.csv" --report "$tmp/out.html"
head -1 "$tmp/syn.csv" >"$tmp/header.csv"
expect_error "synthetic without rows" "header.csv:1: .*no data rows" "${ev[@]}" --synthetic "$tmp/header.csv" --report "$tmp/out.html"
expect_error "real file missing" "nope.csv" "$medgen" evaluate --real "$tmp/nope.csv" --synthetic "$tmp/syn.csv" --report "$tmp/out.html"
expect_error "unknown target" "--target 'nope': no such column" "${ev[@]}" --synthetic "$tmp/syn.csv" --target nope --report "$tmp/out.html"
expect_error "identifier target" "--target 'id': an identifier column is not scored" "${ev[@]}" --synthetic "$tmp/syn.csv" --target id --report "$tmp/out.html"
expect_error "target without holdout" "--target needs --holdout" "$medgen" evaluate --real "$tmp/train.csv" --synthetic "$tmp/syn.csv" --target status --report "$tmp/out.html"
expect_error "sensitive without quasi" "--sensitive needs --quasi" "${ev[@]}" --synthetic "$tmp/syn.csv" --sensitive status --report "$tmp/out.html"
expect_error "unknown quasi" "--quasi 'zip'" "${ev[@]}" --synthetic "$tmp/syn.csv" --quasi zip --sensitive sex --report "$tmp/out.html"
echo '{"min_qualty": 0.8}' >"$tmp/typo.json"
expect_error "gate with an unknown key" "typo.json: unknown key 'min_qualty'" "${ev[@]}" --synthetic "$tmp/syn.csv" --gate "$tmp/typo.json" --report "$tmp/out.html"
echo '{"min_quality": 0.8' >"$tmp/broken.json"
expect_error "gate not JSON" "broken.json: not valid JSON" "${ev[@]}" --synthetic "$tmp/syn.csv" --gate "$tmp/broken.json" --report "$tmp/out.html"
echo '{"min_quality": "high"}' >"$tmp/str.json"
expect_error "gate value not a number" "'min_quality' must be a number or null" "${ev[@]}" --synthetic "$tmp/syn.csv" --gate "$tmp/str.json" --report "$tmp/out.html"
expect_error "gate file missing" "nogate.json" "${ev[@]}" --synthetic "$tmp/syn.csv" --gate "$tmp/nogate.json" --report "$tmp/out.html"
expect_error "no report asked for" "--report FILE.html, --json-out FILE.json and/or --json" "${ev[@]}" --synthetic "$tmp/syn.csv"
expect_error "report folder missing" "nodir/out.html" "${ev[@]}" --synthetic "$tmp/syn.csv" --report "$tmp/nodir/out.html"
expect_error "bad detection rows" "--detection-rows must be between 10 and 100000000, got 3" "${ev[@]}" --synthetic "$tmp/syn.csv" --detection-rows 3 --report "$tmp/out.html"

# The HTML in a real browser, offline: it loads, the charts are there, the console is quiet.
if command -v chromium >/dev/null 2>&1; then
  timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chrome" --enable-logging=stderr \
    --v=0 --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>"$tmp/chrome.log"
  check "chromium rendered the page" grep -q "Synthetic data evaluation" "$tmp/dom.html"
  n=$(grep -o '<svg class="chart column-chart' "$tmp/dom.html" | wc -l)
  check "one chart per pbc column ($n)" test "$n" -eq 19
  check "pair-trend heat map" grep -q '<svg class="chart heatmap' "$tmp/dom.html"
  check "DCR chart" grep -q '<svg class="chart dcr-chart' "$tmp/dom.html"
  check "no console messages" bash -c "! grep -Ei 'CONSOLE|Uncaught|Failed to load' '$tmp/chrome.log'"
else
  echo "skip chromium checks: chromium not installed"
fi

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all evaluate CLI checks passed"
