#!/usr/bin/env bash
# medgen ops survey through the CLI: make, synth (CSV and FHIR), analyze with an HTML report;
# responses that do not match the questionnaire give one line, exit 2 and no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../../cli/lib.sh"

expect_ok "make" "$medgen" ops survey make -o "$tmp/q.json" -q
grep -q '"Questionnaire"' "$tmp/q.json" || { echo "FAIL no Questionnaire"; fails=$((fails + 1)); }
expect_ok "synth" "$medgen" ops survey synth --questionnaire "$tmp/q.json" -n 400 --base-rows 500 --seed 3 -o "$tmp/r.csv" -q
expect_ok "synth fhir" "$medgen" ops survey synth --questionnaire "$tmp/q.json" -n 50 --base-rows 200 --format fhir -o "$tmp/r.json" -q
expect_ok "analyze" "$medgen" ops survey analyze --questionnaire "$tmp/q.json" --responses "$tmp/r.csv" \
  --html "$tmp/report.html" --json-out "$tmp/a.json" --json
grep -q '"nps"' "$tmp/stdout" || { echo "FAIL analyze --json lacks nps"; fails=$((fails + 1)); }
grep -q '<svg' "$tmp/report.html" || { echo "FAIL report has no chart"; fails=$((fails + 1)); }
grep -q 'compare_units' "$tmp/a.json" || { echo "FAIL analysis lacks unit comparisons"; fails=$((fails + 1)); }
expect_ok "analyze fhir" "$medgen" ops survey analyze --questionnaire "$tmp/q.json" --responses "$tmp/r.json" -q

head -2 "$tmp/r.csv" > "$tmp/bad.csv"
sed -n 2p "$tmp/r.csv" | awk -F, 'BEGIN{OFS=","} {$4="Often"; print}' >> "$tmp/bad.csv"
expect_error "answer not on the scale" 'bad\.csv:3:4' \
  "$medgen" ops survey analyze --questionnaire "$tmp/q.json" --responses "$tmp/bad.csv" --html "$tmp/out.html"
printf 'response_id,unit,favourite_colour\n1,A,blue\n' > "$tmp/cols.csv"
expect_error "unknown item column" 'cols\.csv:1' \
  "$medgen" ops survey analyze --questionnaire "$tmp/q.json" --responses "$tmp/cols.csv" --html "$tmp/out.html"
echo '{"resourceType":"QuestionnaireResponse","id":"x9","item":[{"linkId":"mystery","answer":[{"valueInteger":3}]}]}' > "$tmp/qr.json"
expect_error "unknown item in a QuestionnaireResponse" 'QuestionnaireResponse/x9.*mystery' \
  "$medgen" ops survey analyze --questionnaire "$tmp/q.json" --responses "$tmp/qr.json" --json-out "$tmp/out.json"
expect_error "unknown domain" 'unknown survey domain' "$medgen" ops survey make --domains nurse_communication,parking -o "$tmp/out.json"
expect_error "not a questionnaire" 'r\.csv: not JSON' "$medgen" ops survey analyze --questionnaire "$tmp/r.csv" --responses "$tmp/r.csv"

[ "$fails" -eq 0 ]
