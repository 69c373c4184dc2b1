#!/usr/bin/env bash
# Datasets through the CLI: schema, fit, sample, info and split on a folder; the synthetic
# dataset passes every data check; bad datasets give one line, exit 2, and no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

pbc="$src/data/records/pbc"
expect_ok "schema" "$medgen" schema "$pbc" -o "$tmp/ds.json" -q
grep -q '"entity_key": "id"' "$tmp/ds.json" || { echo "FAIL schema lacks the entity key"; fails=$((fails + 1)); }
expect_ok "schema --json" "$medgen" schema "$pbc" --json
grep -q '"notes"' "$tmp/stdout" || { echo "FAIL schema --json lacks notes"; fails=$((fails + 1)); }

expect_ok "fit" "$medgen" fit "$pbc" --schema "$tmp/ds.json" --sequence-model independent -o "$tmp/m.medgen" -q
expect_ok "sample" "$medgen" sample "$tmp/m.medgen" -n 300 -o "$tmp/syn" -q --seed 5
[ "$(($(wc -l <"$tmp/syn/pbc.csv") - 1))" -eq 300 ] || { echo "FAIL sample wrote $(wc -l <"$tmp/syn/pbc.csv") pbc lines"; fails=$((fails + 1)); }
# The synthetic folder is a valid dataset of the same schema: keys resolve, times within each
# timeline, statics constant (fit runs every data check).
expect_ok "synthetic passes the data checks" "$medgen" fit "$tmp/syn" --schema "$tmp/ds.json" --sequence-model independent -o "$tmp/m2.medgen" -q
expect_ok "sample again" "$medgen" sample "$tmp/m.medgen" -n 300 -o "$tmp/syn2" -q --seed 5
diff -r "$tmp/syn" "$tmp/syn2" >/dev/null || { echo "FAIL same seed, different records"; fails=$((fails + 1)); }
expect_ok "info" "$medgen" info "$tmp/m.medgen"
grep -q "pbcseq" "$tmp/stdout" || { echo "FAIL info lacks the tables"; fails=$((fails + 1)); }
expect_ok "split" "$medgen" split "$pbc" --train "$tmp/train" --holdout "$tmp/hold" --fraction 0.25 -q
[ "$(($(wc -l <"$tmp/hold/pbc.csv") - 1))" -eq 105 ] || { echo "FAIL split holdout has $(wc -l <"$tmp/hold/pbc.csv") lines"; fails=$((fails + 1)); }

# The release gate on records: the training patients themselves fail it (exit 3, report written).
echo '{}' >"$tmp/gate.json"
"$medgen" evaluate --real "$tmp/train" --synthetic "$tmp/train" --holdout "$tmp/hold" --gate "$tmp/gate.json" \
  --json-out "$tmp/gate-ev.json" -q >/dev/null 2>"$tmp/gate.err"
st=$?
[ "$st" -eq 3 ] || { echo "FAIL copied records: gate exit $st, expected 3"; fails=$((fails + 1)); }
grep -q "gate failed: membership_auc" "$tmp/gate.err" || { echo "FAIL gate failure not named"; fails=$((fails + 1)); }
grep -q '"gate"' "$tmp/gate-ev.json" || { echo "FAIL report lacks the gate"; fails=$((fails + 1)); }
echo '{"min_qualty": 0.8}' >"$tmp/badgate.json"
expect_error "records gate typo" "unknown key 'min_qualty'" "$medgen" evaluate --real "$tmp/train" --synthetic "$tmp/train" --gate "$tmp/badgate.json" --json-out "$tmp/x.json"
[ ! -e "$tmp/x.json" ] || { echo "FAIL bad gate wrote a report"; fails=$((fails + 1)); }

# Bad datasets and options.
mkdir -p "$tmp/bad"
printf 'pid,age\nP1,40\nP2,50\n' >"$tmp/bad/p.csv"
printf 'pid,day,hb\nP1,0,12.1\nP9,10,12.5\nP1,20,11\n' >"$tmp/bad/v.csv"
expect_error "dangling key" "v.csv:3: 1 dangling foreign key: 'pid' = 'P9'" "$medgen" fit "$tmp/bad" -o "$tmp/out.medgen" -q
printf 'pid,day,hb\nP1,0,12.1\nP1,-3,12.5\nP2,1,11\n' >"$tmp/bad/v.csv"
printf '{"format":"medgen-dataset","tables":[{"name":"p","primary_key":"pid","columns":[{"name":"pid","type":"identifier"},{"name":"age","type":"numerical"}]},{"name":"v","foreign_keys":[{"column":"pid","parent":"p"}],"entity_key":"pid","time":{"column":"day"},"columns":[{"name":"pid","type":"identifier"},{"name":"day","type":"numerical"},{"name":"hb","type":"numerical"}]}]}' >"$tmp/bad.json"
expect_error "time before entry" "v.csv:3: time 'day' lies before" "$medgen" fit "$tmp/bad" --schema "$tmp/bad.json" -o "$tmp/out.medgen"
sed 's/"column": "day"/"column": "dya"/' "$tmp/ds.json" >"$tmp/typo.json"
expect_error "schema typo" "tables\[1\]\.time\.column: no column 'dya'" "$medgen" fit "$pbc" --schema "$tmp/typo.json" -o "$tmp/out.medgen"
expect_error "records sample needs a folder" "give -o FOLDER" "$medgen" sample "$tmp/m.medgen" -n 3
expect_error "records sample conditions" "not available for records" "$medgen" sample "$tmp/m.medgen" -n 3 -c sex=f -o "$tmp/out"
expect_error "unknown sequence model" "sequence model" "$medgen" fit "$pbc" --sequence-model lstm -o "$tmp/out.medgen"
mkdir -p "$tmp/empty"
expect_error "folder without csv" "no .csv files" "$medgen" fit "$tmp/empty" -o "$tmp/out.medgen"

[ "$fails" -eq 0 ] && echo "all records CLI checks passed"
exit "$fails"
