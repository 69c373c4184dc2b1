#!/usr/bin/env bash
# medgen text extract / evaluate / negex through the CLI: good runs write FHIR, registry and
# concepts; bad notes, lexicons, rules and mappings give one line, exit 2 and no output file.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

mkdir -p "$tmp/notes"
printf 'CC: chest pain\nHPI: 60M with chest pain and SOB. Denies fever or cough.\nMeds: aspirin 81 mg PO daily\nAllergies: penicillin (rash)\nVitals: BP 150/90, HR 88\n' >"$tmp/notes/p1_a.txt"
printf 'History of MI. Mother with breast cancer. Possible pneumonia. Lisinopril 10 mg daily.\n' >"$tmp/notes/p1_b.txt"
printf 'No diabetes. Glucose 98 mg/dL.\n' >"$tmp/notes/p2_a.txt"

expect_ok "extract" "$medgen" text extract "$tmp/notes" --no-packaged --fhir-out "$tmp/fhir.json" --registry-out "$tmp/reg.csv" -o "$tmp/c.json" -q
grep -q '"resourceType": "Bundle"' "$tmp/fhir.json" || { echo "FAIL no bundle"; fails=$((fails + 1)); }
grep -q '"refuted"' "$tmp/fhir.json" || { echo "FAIL no refuted condition"; fails=$((fails + 1)); }
grep -q '"MedicationStatement"' "$tmp/fhir.json" || { echo "FAIL no MedicationStatement"; fails=$((fails + 1)); }
grep -q '"AllergyIntolerance"' "$tmp/fhir.json" || { echo "FAIL no AllergyIntolerance"; fails=$((fails + 1)); }
grep -q 'urn:medgen:fhir:text-span' "$tmp/fhir.json" || { echo "FAIL no span extension"; fails=$((fails + 1)); }
[ "$(wc -l <"$tmp/reg.csv")" -eq 4 ] || { echo "FAIL registry rows: $(cat "$tmp/reg.csv")"; fails=$((fails + 1)); }
expect_ok "extract again" "$medgen" text extract "$tmp/notes" --no-packaged --fhir-out "$tmp/fhir2.json" -q
cmp -s "$tmp/fhir.json" "$tmp/fhir2.json" || { echo "FAIL extraction not deterministic"; fails=$((fails + 1)); }

printf '@rows\tpatient\npatient\tpatient_id\nchest_pain\tpresent\tchest pain\ndm\tpresent\tE14.9\n' >"$tmp/map.tsv"
expect_ok "registry per patient" "$medgen" text extract "$tmp/notes" --no-packaged --mapping "$tmp/map.tsv" --registry-out "$tmp/reg2.csv" -q
grep -qx 'p1,1,' "$tmp/reg2.csv" && grep -qx 'p2,,0' "$tmp/reg2.csv" || { echo "FAIL per-patient registry: $(cat "$tmp/reg2.csv")"; fails=$((fails + 1)); }

expect_ok "extract --json" "$medgen" text extract "$tmp/notes/p2_a.txt" --no-packaged --json
grep -q '"negated"' "$tmp/stdout" || { echo "FAIL --json lacks negated"; fails=$((fails + 1)); }

# bad notes
printf 'caf\xe9 au lait\n' >"$tmp/latin1.txt"
expect_error "not UTF-8" "latin1.txt:1:4: not UTF-8" "$medgen" text extract "$tmp/latin1.txt" --no-packaged --fhir-out "$tmp/out.json"
head -c 300 /bin/sh >"$tmp/bin.txt"
expect_error "binary" "bin.txt:[0-9]+:[0-9]+: (binary data|not UTF-8)" "$medgen" text extract "$tmp/bin.txt" --no-packaged --fhir-out "$tmp/out.json"
: >"$tmp/empty.txt"
expect_error "empty note" "empty.txt: empty note" "$medgen" text extract "$tmp/empty.txt" --no-packaged --registry-out "$tmp/out.csv"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$tmp/long.txt"
expect_error "overlong line" "long.txt:1: line longer than" "$medgen" text extract "$tmp/long.txt" --no-packaged --fhir-out "$tmp/out.json"
expect_error "missing note" "nope.txt: no such note" "$medgen" text extract "$tmp/nope.txt" --no-packaged --fhir-out "$tmp/out.json"
# a good note with a bad one: nothing written
expect_error "one bad note of two" "empty.txt: empty note" "$medgen" text extract "$tmp/notes/p2_a.txt" "$tmp/empty.txt" --no-packaged --fhir-out "$tmp/out.json" --registry-out "$tmp/out.csv"

# bad data files
printf 'problem\ticd10\tA1\tfoo\ndisease\ticd10\tB\tbar\n' >"$tmp/lex.tsv"
expect_error "lexicon syntax" "lex.tsv:2:1: unknown kind 'disease'" "$medgen" text extract "$tmp/notes" --no-packaged --lexicon "$tmp/lex.tsv" --fhir-out "$tmp/out.json"
printf 'negated\tforward\tno\nnegated\tforwards\tnot\n' >"$tmp/rules.tsv"
expect_error "rules syntax" "rules.tsv:2:9: unknown direction 'forwards'" "$medgen" text extract "$tmp/notes" --no-packaged --rules "$tmp/rules.tsv" --fhir-out "$tmp/out.json"
printf 'a\tnote_id\nb\tpresnt\tfoo\n' >"$tmp/badmap.tsv"
expect_error "mapping syntax" "badmap.tsv:2:3: unknown kind 'presnt'" "$medgen" text extract "$tmp/notes" --no-packaged --mapping "$tmp/badmap.tsv" --registry-out "$tmp/out.csv"

# user lexicon and rules extend the shipped ones
printf 'problem\t-\t-\tzebra fever\tstripy fever\n' >"$tmp/lex2.tsv"
printf 'negated\tforward\tnary a\n' >"$tmp/rules2.tsv"
printf 'Nary a stripy fever today.\n' >"$tmp/zebra.txt"
expect_ok "user lexicon and rules" "$medgen" text extract "$tmp/zebra.txt" --no-packaged --lexicon "$tmp/lex2.tsv" --rules "$tmp/rules2.tsv" --json
grep -q '"zebra fever"' "$tmp/stdout" && grep -q '"negated"' "$tmp/stdout" || { echo "FAIL user lexicon: $(cat "$tmp/stdout")"; fails=$((fails + 1)); }

# evaluation on annotated notes
printf 'Denies [[fever|problem|neg]]. [[Aspirin|medication]] 81 mg daily.\n' >"$tmp/notes/ann_1.txt"
expect_ok "evaluate" "$medgen" text evaluate "$tmp/notes/ann_1.txt" --no-packaged --json
grep -q '"f1": 1.0' "$tmp/stdout" || { echo "FAIL evaluate: $(cat "$tmp/stdout")"; fails=$((fails + 1)); }
printf 'Denies [[fever|illness]].\n' >"$tmp/ann_bad.txt"
expect_error "bad mark" "ann_bad.txt:1:[0-9]+: unknown concept type 'illness'" "$medgen" text evaluate "$tmp/ann_bad.txt" --no-packaged -o "$tmp/out.json"

[ "$fails" -eq 0 ]
