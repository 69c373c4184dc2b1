#!/usr/bin/env bash
# medgen modules through the CLI: a run writes consistent clinical tables (every foreign key
# resolves, nothing after death), runs are reproducible, bad modules exit 2 naming the file and
# the JSON path and leave no output.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

mods="$src/data/modules"
expect_ok "check the shipped modules" "$medgen" modules check "$mods"
grep -q "ok: 10 modules" "$tmp/stdout" || { echo "FAIL check: $(cat "$tmp/stdout")"; fails=$((fails + 1)); }

expect_ok "run" "$medgen" modules run --modules "$mods" --patients 1000 --seed 7 --out "$tmp/run1" -q
expect_ok "run again, other chunks" "$medgen" modules run --modules "$mods" --patients 1000 --seed 7 --chunk 13 --out "$tmp/run2" -q
for f in patients encounters conditions observations medications procedures allergies careplans; do
  [ -s "$tmp/run1/$f.csv" ] || { echo "FAIL $f.csv missing"; fails=$((fails + 1)); }
  cmp -s "$tmp/run1/$f.csv" "$tmp/run2/$f.csv" || { echo "FAIL $f.csv differs between chunkings"; fails=$((fails + 1)); }
done
[ "$(wc -l <"$tmp/run1/patients.csv")" -eq 1001 ] || { echo "FAIL patients.csv rows: $(wc -l <"$tmp/run1/patients.csv")"; fails=$((fails + 1)); }

# Keys and death, checked with awk over the CSV files (no quoted commas in ids or dates).
check_keys() {
  local dir="$1"
  awk -F, '
    FNR == 1 { file = FILENAME; sub(".*/", "", file); for (i = 1; i <= NF; i++) col[file, $i] = i; next }
    file == "patients.csv" { pat[$col[file, "id"]] = 1; dead[$col[file, "id"]] = $col[file, "deceased"]; next }
    file == "encounters.csv" { enc[$col[file, "id"]] = 1 }
    {
      p = $col[file, "patient"]
      if (!(p in pat)) { print "dangling patient " p " in " file; bad++ }
      if ((file, "encounter") in col) { e = $col[file, "encounter"]; if (e != "" && !(e in enc)) { print "dangling encounter " e " in " file; bad++ } }
      if (dead[p] != "") {
        for (k = 1; k <= NF; k++) {
          if ($k ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ && $k > dead[p]) { print file ": " $k " after death " dead[p] " of " p; bad++; break }
        }
      }
    }
    END { exit bad > 0 }' "$dir/patients.csv" "$dir/encounters.csv" "$dir/conditions.csv" "$dir/observations.csv" \
      "$dir/medications.csv" "$dir/procedures.csv" "$dir/allergies.csv" "$dir/careplans.csv"
}
if out=$(check_keys "$tmp/run1" 2>&1); then echo "ok   every foreign key resolves, nothing after death"; else echo "FAIL keys: $(echo "$out" | head -3)"; fails=$((fails + 1)); fi
deaths=$(awk -F, 'NR > 1 && $4 != ""' "$tmp/run1/patients.csv" | wc -l)
if [ "$deaths" -gt 0 ]; then echo "ok   $deaths deaths"; else echo "FAIL no deaths in 1000 patients"; fails=$((fails + 1)); fi

expect_ok "json summary" "$medgen" modules run --modules "$mods/pneumonia.json" -n 20 --out "$tmp/run3" --json
grep -q '"patients": 20' "$tmp/stdout" || { echo "FAIL json summary: $(cat "$tmp/stdout")"; fails=$((fails + 1)); }

# FHIR R4 from the same chunks (NDJSON: one Patient line per patient).
expect_ok "fhir ndjson" "$medgen" modules run --modules "$mods" -n 30 --seed 3 --fhir "$tmp/fhir" --fhir-format ndjson -q
[ "$(wc -l <"$tmp/fhir/Patient.ndjson")" -eq 30 ] || { echo "FAIL fhir: $(ls "$tmp/fhir")"; fails=$((fails + 1)); }
expect_error "no output" "give --out FOLDER" "$medgen" modules run --modules "$mods" -n 3

# Demographics from a table: ages, sexes and an attribute the stemi module reads.
printf 'age,sex,smoker\n61,f,true\n45,m,false\n70,f,false\n' >"$tmp/demo.csv"
expect_ok "demographics" "$medgen" modules run --modules "$mods" --demographics "$tmp/demo.csv" --out "$tmp/run4" -q
[ "$(wc -l <"$tmp/run4/patients.csv")" -eq 4 ] || { echo "FAIL demographics rows"; fails=$((fails + 1)); }
grep -q ',female,' "$tmp/run4/patients.csv" || { echo "FAIL demographics gender"; fails=$((fails + 1)); }

# Bad modules: exit 2, one line naming the file and the JSON path, no output folder.
printf '{"states": {"Initial": {"type": "Initial", "direct_transition": "Onset"},\n "Onset": {"type": "Simple", "direct_transition": "Foo"}}}\n' >"$tmp/asthma.json"
expect_error "missing state" "asthma.json: states.Onset.direct_transition: no state 'Foo'" "$medgen" modules run --modules "$tmp/asthma.json" --out "$tmp/out"
expect_error "check missing state" "asthma.json: states.Onset.direct_transition: no state 'Foo'" "$medgen" modules check "$tmp/asthma.json"
printf '{"states": {"Initial": {"type": "Initial", "direct_transition": "X"},\n "X": {"type": "Delay", "exact": {"quantity": 1, "unit": "years"}, "colour": "red", "direct_transition": "X"}}}\n' >"$tmp/key.json"
expect_error "unknown key" "key.json: states.X: unknown key 'colour'" "$medgen" modules run --modules "$tmp/key.json" --out "$tmp/out"
printf '{"states": {"Initial": {"type": "Initial", "direct_transition": "X"},\n "X": {"type": "Teleport", "direct_transition": "X"}}}\n' >"$tmp/type.json"
expect_error "unknown state type" "type.json: states.X.type: unknown state type 'Teleport'" "$medgen" modules check "$tmp/type.json"
printf '{"states": {"Initial": {"type": "Initial",, }}}\n' >"$tmp/syntax.json"
expect_error "syntax" "syntax.json:1:[0-9]+: invalid JSON" "$medgen" modules check "$tmp/syntax.json"
expect_error "missing file" "nope.json" "$medgen" modules check "$tmp/nope.json"
expect_error "bad date" "--end-date must be a date" "$medgen" modules run --modules "$mods" --end-date 2025-13-01 --out "$tmp/out"
printf 'age,weight\n40,70\n' >"$tmp/nogender.csv"
expect_error "demographics without gender" "nogender.csv: demographics: needs a gender or sex column" "$medgen" modules run --modules "$mods" --demographics "$tmp/nogender.csv" --out "$tmp/out"
[ "$fails" -eq 0 ] && echo "all modules CLI checks passed"
exit "$fails"
