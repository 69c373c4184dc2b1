#!/usr/bin/env bash
# medgen text deid / render / soap / index / ask through the CLI: surrogates and tags without the
# original identifiers, consistent across runs with one key; HTML and PDF from a FHIR bundle; a
# SOAP draft with transcript lines; cited answers from the guideline files; bad inputs give one
# line, exit 2 and nothing written.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"
export MEDGEN_DEID_KEY=0123456789abcdef0123456789abcdef

printf 'Patient: John Smith, MRN 12345678, seen 03/04/2024 by Dr. Alice Brown.\nPhone 555-123-4567, john.smith@example.org. Lives at 12 Oak Street, Springfield.\n' >"$tmp/n1.txt"
expect_ok "deid" "$medgen" text deid "$tmp/n1.txt" -o "$tmp/d1.txt" --report "$tmp/rep.json" -q
expect_ok "deid again" "$medgen" text deid "$tmp/n1.txt" -o "$tmp/d2.txt" -q
cmp -s "$tmp/d1.txt" "$tmp/d2.txt" || { echo "FAIL one key gave different surrogates"; fails=$((fails + 1)); }
for phi in John Smith 12345678 03/04/2024 Alice Brown 555-123-4567 john.smith@example.org "12 Oak Street"; do
  if grep -qF "$phi" "$tmp/d1.txt" "$tmp/rep.json"; then echo "FAIL '$phi' survived de-identification"; fails=$((fails + 1)); fi
done
expect_ok "deid tags" "$medgen" text deid "$tmp/n1.txt" --tags -o "$tmp/t1.txt" -q
grep -q '\[NAME\]' "$tmp/t1.txt" && grep -q '\[DATE\]' "$tmp/t1.txt" || { echo "FAIL tags: $(cat "$tmp/t1.txt")"; fails=$((fails + 1)); }
printf 'bad \xff byte\n' >"$tmp/bad.txt"
expect_error "deid non-UTF-8" 'bad\.txt:1:5: not UTF-8' "$medgen" text deid "$tmp/bad.txt" -o "$tmp/out.txt"

fx="$src/tests/text/docs/fixtures"
expect_ok "render" "$medgen" text render "$fx/bundle.json" --html "$tmp/doc.html" --pdf "$tmp/doc.pdf" -q
head -c 5 "$tmp/doc.pdf" | grep -q '%PDF-' || { echo "FAIL render: not a PDF"; fails=$((fails + 1)); }
grep -qi '<html' "$tmp/doc.html" || { echo "FAIL render: not HTML"; fails=$((fails + 1)); }
echo '{"resourceType":"Nothing"}' >"$tmp/notfhir.json"
expect_error "render non-FHIR" 'notfhir\.json' "$medgen" text render "$tmp/notfhir.json" --html "$tmp/out.html"
mkdir -p "$tmp/tpl"
printf '<html>\n{{#patient}}\n{{name}}\n' >"$tmp/tpl/broken.html.mustache"
printf 'x\n' >"$tmp/tpl/broken.pdf.mustache"
expect_error "template syntax error" 'broken\.html\.mustache:[0-9]+' "$medgen" text render "$fx/bundle.json" --templates "$tmp/tpl" -k broken --html "$tmp/out.html"

expect_ok "soap" "$medgen" text soap "$fx/transcript.txt" -o "$tmp/soap.md" -q
grep -q 'SUBJECTIVE' "$tmp/soap.md" && grep -q 'transcript.txt:[0-9]' "$tmp/soap.md" ||
  { echo "FAIL soap: $(cat "$tmp/soap.md")"; fails=$((fails + 1)); }

expect_ok "index" "$medgen" text index "$src/data/sim/guidelines" --index "$tmp/idx" -q
"$medgen" text ask --index "$tmp/idx" "glucose for hypoglycaemia" >"$tmp/answer.txt" 2>/dev/null ||
  { echo "FAIL ask exited non-zero"; fails=$((fails + 1)); }
grep -q '^\[1\] .*guidelines/.*\.json:[0-9]' "$tmp/answer.txt" || { echo "FAIL ask: no citation: $(cat "$tmp/answer.txt")"; fails=$((fails + 1)); }
expect_error "ask without an index" 'nope' "$medgen" text ask --index "$tmp/nope" "anything"

[ "$fails" -eq 0 ] && echo "all text deid/documents CLI checks passed"
exit "$fails"
