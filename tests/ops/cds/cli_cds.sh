#!/usr/bin/env bash
# medgen ops cds through the CLI: eval offline on a record (patient-view, order-select) and the
# service answering real HTTP requests (curl when present, else bash's /dev/tcp).
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../../cli/lib.sh"

cat > "$tmp/record.json" <<'JSON'
{"resourceType": "Bundle", "type": "collection", "entry": [
 {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1948-07-02"}},
 {"resource": {"resourceType": "Condition", "id": "c1", "clinicalStatus": {"coding": [{"code": "active"}]},
   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91302008", "display": "Sepsis"}]},
   "recordedDate": "2024-05-01T08:00:00Z"}},
 {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
   "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3", "display": "Potassium"}]},
   "effectiveDateTime": "2024-05-01T09:00:00Z", "valueQuantity": {"value": 3.0, "unit": "mmol/L"}}}
]}
JSON
cat > "$tmp/drafts.json" <<'JSON'
{"resourceType": "Bundle", "type": "collection", "entry": [
 {"resource": {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
   "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "253182"}]}}}
]}
JSON
expect_ok "eval patient-view" "$medgen" ops cds eval --record "$tmp/record.json" --hook patient-view
grep -q 'sepsis-antibiotics' "$tmp/stdout" || { echo "FAIL no sepsis-antibiotics card"; fails=$((fails + 1)); }
expect_ok "eval order-select" "$medgen" ops cds eval --record "$tmp/record.json" --hook order-select \
  --draft-orders "$tmp/drafts.json" -o "$tmp/cards.json" -q
grep -q 'insulin-low-potassium' "$tmp/cards.json" || { echo "FAIL no insulin card"; fails=$((fails + 1)); }
expect_error "order-select without drafts" 'draft-orders' \
  "$medgen" ops cds eval --record "$tmp/record.json" --hook order-select -o "$tmp/out.json"
echo '{"resourceType": "Bundle", "entry": 7}' > "$tmp/bad.json"
expect_error "bad record" 'bad\.json' "$medgen" ops cds eval --record "$tmp/bad.json" -o "$tmp/out.json"
expect_error "bad --now" 'now' "$medgen" ops cds eval --record "$tmp/record.json" --now yesterday -o "$tmp/out.json"
expect_error "bad --allow-origin" "allow-origin" "$medgen" ops cds serve --port 0 --allow-origin "https://ehr.example.org/path"

# The service over HTTP.
"$medgen" ops cds serve --port 0 --json -q > "$tmp/serve.out" 2> "$tmp/serve.err" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$tmp/serve.out")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "FAIL serve did not report a port: $(cat "$tmp/serve.err")"
  fails=$((fails + 1))
else
  body='{"hookInstance":"h1","hook":"patient-view","context":{"patientId":"p1"},"prefetch":{"record":'"$(tr -d '\n' < "$tmp/record.json")"'}}'
  if command -v curl >/dev/null; then
    curl -s "http://127.0.0.1:$port/cds-services" > "$tmp/disc.json"
    curl -s -X POST -H 'Content-Type: application/json' --data "$body" \
      "http://127.0.0.1:$port/cds-services/medgen-guidelines-patient-view" > "$tmp/hook.json"
  else
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET /cds-services HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
    cat <&3 > "$tmp/disc.json"
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST /cds-services/medgen-guidelines-patient-view HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s' "${#body}" "$body" >&3
    cat <&3 > "$tmp/hook.json"
  fi
  grep -q 'medgen-guidelines-order-select' "$tmp/disc.json" || { echo "FAIL discovery: $(cat "$tmp/disc.json")"; fails=$((fails + 1)); }
  grep -q 'sepsis-antibiotics' "$tmp/hook.json" || { echo "FAIL hook: $(cat "$tmp/hook.json")"; fails=$((fails + 1)); }
  echo "ok   serve: discovery and patient-view over HTTP on port $port"
fi
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL serve exited $rc after SIGTERM"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ]
