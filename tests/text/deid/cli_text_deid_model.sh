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

# thresholds chosen at load time, and the training tokens' out-of-fold probabilities
expect_ok "eval with a threshold" "$medgen" text deid-eval "$eval_dir/handwritten2.txt" --threshold NAME=0.05 --threshold ID=1.5 --json-out "$tmp/th.json" -q
if ! grep -q '"NAME": 0.05' "$tmp/th.json" || ! grep -q '"ID": 1.5' "$tmp/th.json"; then
  echo "FAIL --threshold: the thresholds used are not reported"; fails=$((fails + 1))
fi
expect_ok "deid with a threshold" "$medgen" text deid "$tmp/n1.txt" --tags --threshold DATE=0.5 -o "$tmp/t1.txt" -q
expect_error "threshold not a number" "--threshold 'NAME=abc'" "$medgen" text deid "$tmp/n1.txt" --tags --threshold NAME=abc -o "$tmp/out.txt"
expect_error "threshold of a type the model has not" "--threshold 'EMAIL=0.5'" "$medgen" text deid "$tmp/n1.txt" --tags --threshold EMAIL=0.5 -o "$tmp/out.txt"
expect_error "threshold of 0" "--threshold 'NAME=0'" "$medgen" text deid-eval "$eval_dir/handwritten2.txt" --threshold NAME=0 --json-out "$tmp/out.json"
expect_error "threshold without a model" '--threshold .*not with --no-model' "$medgen" text deid "$tmp/n1.txt" --tags --no-model --threshold NAME=0.5 -o "$tmp/out.txt"
expect_error "recall out of range" '--recall' "$medgen" text deid-train "$eval_dir/handwritten2.txt" -o "$tmp/bad.model" --recall 1.5
expect_ok "out-of-fold probabilities" "$medgen" text deid-train "$eval_dir/handwritten2.txt" --oof-out "$tmp/oof.tsv" --folds 2 --hash-bits 14 -q
if [ "$(head -1 "$tmp/oof.tsv")" != "$(printf 'file\tnote\tlabel\tcovered\tNAME\tDATE\tAGE\tLOCATION\tPHONE\tID')" ] ||
   [ "$(wc -l <"$tmp/oof.tsv")" -lt 100 ]; then
  echo "FAIL --oof-out: header or rows"; fails=$((fails + 1))
fi
for f in out.txt out.json bad.model; do
  if [ -e "$tmp/$f" ]; then echo "FAIL: $f written on an error"; fails=$((fails + 1)); fi
done

[ "$fails" -eq 0 ] && echo "all text deid model CLI checks passed"
exit "$fails"
