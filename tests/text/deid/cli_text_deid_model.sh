#!/usr/bin/env bash
# medgen text deid / deid-eval / deid-train and the learned tagger through the CLI: the shipped
# model is used by default and --no-model switches it off; a missing or damaged model, or both
# options at once, give one line, exit 2 and nothing written; a small training run writes a
# model that deid then reads.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../../cli/lib.sh"
export MEDGEN_DEID_KEY=0123456789abcdef0123456789abcdef
eval_dir="$src/data/text/deid/eval"

printf 'Patient: John Smith, MRN 12345678, seen 03/04/2024 by Dr. Alice Brown.\n' >"$tmp/n1.txt"
expect_ok "deid with the shipped model" "$medgen" text deid "$tmp/n1.txt" --tags -o "$tmp/m1.txt" -q
expect_ok "deid --no-model" "$medgen" text deid "$tmp/n1.txt" --tags --no-model -o "$tmp/r1.txt" -q
for f in m1 r1; do
  for phi in John Smith 12345678 03/04/2024 Alice Brown; do
    if grep -qF "$phi" "$tmp/$f.txt"; then echo "FAIL $f: '$phi' survived"; fails=$((fails + 1)); fi
  done
done

expect_error "missing model" 'nomodel\.bin.*not found' "$medgen" text deid "$tmp/n1.txt" --tags --model "$tmp/nomodel.bin" -o "$tmp/out.txt"
printf 'not a model\n' >"$tmp/garbage.model"
expect_error "garbage model" 'garbage\.model: .*not a medgen model' "$medgen" text deid "$tmp/n1.txt" --tags --model "$tmp/garbage.model" -o "$tmp/out.txt"
head -c 100000 "$src/data/text/deid/tagger.model" >"$tmp/short.model"
expect_error "truncated model" 'short\.model: ' "$medgen" text deid "$tmp/n1.txt" --tags --model "$tmp/short.model" -o "$tmp/out.txt"
expect_error "model and no-model" '--model FILE or --no-model' "$medgen" text deid "$tmp/n1.txt" --tags --model "$tmp/garbage.model" --no-model -o "$tmp/out.txt"
expect_error "eval with a garbage model" 'garbage\.model' "$medgen" text deid-eval "$eval_dir/handwritten2.txt" --model "$tmp/garbage.model" --json-out "$tmp/out.json"

expect_ok "train a small model" "$medgen" text deid-train "$eval_dir/handwritten2.txt" -o "$tmp/small.model" --folds 2 --hash-bits 14 -q
expect_ok "deid with it" "$medgen" text deid "$tmp/n1.txt" --tags --model "$tmp/small.model" -o "$tmp/s1.txt" -q
expect_ok "eval with it" "$medgen" text deid-eval "$eval_dir/handwritten2.txt" --model "$tmp/small.model" --json -q
expect_error "train: nothing to do" 'give -o MODEL, --cv' "$medgen" text deid-train "$eval_dir/handwritten2.txt"

[ "$fails" -eq 0 ] && echo "all text deid model CLI checks passed"
exit "$fails"
