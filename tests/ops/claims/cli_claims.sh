#!/usr/bin/env bash
# medgen ops claims through the CLI: generate, train, review (CSV and FHIR) with recall against
# the planted reasons; unknown codes and bad files give one line, exit 2 and no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../../cli/lib.sh"

expect_ok "generate" "$medgen" ops claims generate --patients 300 --seed 1 -o "$tmp/train.csv" -q
expect_ok "generate again" "$medgen" ops claims generate --patients 300 --seed 1 -o "$tmp/train2.csv" -q
cmp -s "$tmp/train.csv" "$tmp/train2.csv" || { echo "FAIL same seed gave different claims"; fails=$((fails + 1)); }
expect_ok "generate fhir" "$medgen" ops claims generate --patients 100 --seed 2 --format fhir -o "$tmp/test.json" -q
expect_ok "generate test csv" "$medgen" ops claims generate --patients 100 --seed 2 -o "$tmp/test.csv" -q
expect_ok "train" "$medgen" ops claims train --claims "$tmp/train.csv" --rounds 40 -o "$tmp/model.json" --json
grep -q '"rows"' "$tmp/stdout" || { echo "FAIL train --json lacks rows"; fails=$((fails + 1)); }
expect_ok "review csv" "$medgen" ops claims review --claims "$tmp/test.csv" --model "$tmp/model.json" \
  -o "$tmp/resp.json" --csv-out "$tmp/findings.csv" --json
grep -q '"recall_by_reason"' "$tmp/stdout" || { echo "FAIL review --json lacks recall"; fails=$((fails + 1)); }
grep -q '"ClaimResponse"' "$tmp/resp.json" || { echo "FAIL no ClaimResponse written"; fails=$((fails + 1)); }
head -1 "$tmp/findings.csv" | grep -q '^claim_id,line,procedure,decision' || { echo "FAIL findings header"; fails=$((fails + 1)); }
expect_ok "review fhir" "$medgen" ops claims review --claims "$tmp/test.json" --json
# The FHIR and CSV inputs give the same flagged count (the model off).
"$medgen" ops claims review --claims "$tmp/test.csv" --json -q | grep '"flagged"' > "$tmp/a"
"$medgen" ops claims review --claims "$tmp/test.json" --json -q | grep '"flagged"' > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL csv and fhir disagree: $(cat "$tmp/a") vs $(cat "$tmp/b")"; fails=$((fails + 1)); }

# Unknown codes: an error naming file:line by default, a finding on request.
head -3 "$tmp/test.csv" > "$tmp/unknown.csv"
sed -n 4p "$tmp/test.csv" | awk -F, 'BEGIN{OFS=","} {$6="ZZ999"; print}' >> "$tmp/unknown.csv"
expect_error "unknown code" 'unknown\.csv:4: unknown procedure code .ZZ999.' \
  "$medgen" ops claims review --claims "$tmp/unknown.csv" -o "$tmp/out.json"
expect_ok "unknown code as finding" "$medgen" ops claims review --claims "$tmp/unknown.csv" --unknown-codes finding --json
grep -q unknown_code "$tmp/stdout" || { echo "FAIL no unknown_code finding"; fails=$((fails + 1)); }
expect_error "bad --unknown-codes" 'unknown-codes' "$medgen" ops claims review --claims "$tmp/test.csv" --unknown-codes maybe
printf 'claim_id,patient_id,payer,service_date,procedure,diagnoses\nc1,p1,SUMMIT,2024-13-01,99213,I10\n' > "$tmp/baddate.csv"
expect_error "bad date" 'baddate\.csv:2' "$medgen" ops claims review --claims "$tmp/baddate.csv" -o "$tmp/out.json"
echo '{"resourceType":"Claim","id":"k1","patient":{"reference":"Patient/p"},"insurer":{"display":"SUMMIT"},"item":[{"sequence":1}]}' > "$tmp/claim.json"
expect_error "claim without a code" 'Claim/k1 item 1' "$medgen" ops claims review --claims "$tmp/claim.json" -o "$tmp/out.json"
echo 'not a model' > "$tmp/bad_model.json"
expect_error "bad model" 'bad_model\.json' "$medgen" ops claims review --claims "$tmp/test.csv" --model "$tmp/bad_model.json" -o "$tmp/out.json"
expect_error "missing file" 'nope\.csv' "$medgen" ops claims review --claims "$tmp/nope.csv" -o "$tmp/out.json"
expect_error "train without labels" 'one class' "$medgen" ops claims train --claims "$tmp/unknown.csv" -o "$tmp/out.json"

[ "$fails" -eq 0 ]
