#!/usr/bin/env bash
# Bad inputs through the CLI: each must give a one-line error and exit code 2 (or the
# documented behaviour), never a crash, and never leave a partial output file.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/lib.sh"


good="$src/data/pbc.csv"
"$medgen" fit "$good" -o "$tmp/pbc.medgen" -q || { echo "FAIL: cannot fit pbc"; exit 1; }

: >"$tmp/empty.csv"
expect_error "empty file" "empty.csv.*empty" "$medgen" fit "$tmp/empty.csv" -o "$tmp/out.medgen"
printf 'a,b,c\n' >"$tmp/header.csv"
expect_error "header only" "header.csv:1: .*no data rows" "$medgen" fit "$tmp/header.csv" -o "$tmp/out.medgen"
printf 'a,b,c\n1,2,3\n4,5\n7,8,9\n' >"$tmp/ragged.csv"
expect_error "ragged row" "ragged.csv:3.*expected 3 fields, found 2" "$medgen" fit "$tmp/ragged.csv" -o "$tmp/out.medgen"
printf 'a,b\n1,"open\n2,3\n' >"$tmp/quote.csv"
expect_error "unclosed quote" "quote.csv:2.*unclosed quote" "$medgen" schema "$tmp/quote.csv" -o "$tmp/out.json"
printf 'a,b\n1,caf\xe9\n' >"$tmp/latin1.csv"
expect_error "non-UTF-8" "latin1.csv:2:6.*UTF-8" "$medgen" fit "$tmp/latin1.csv" -o "$tmp/out.medgen"
printf 'x,y\n1,a\nInf,b\n3,c\n' >"$tmp/inf.csv"
expect_error "Inf in a numeric column" "inf.csv:3:1.*not a finite number" "$medgen" fit "$tmp/inf.csv" -o "$tmp/out.medgen"
printf 'x,y\n1,a\nNaN,b\n3,c\n' >"$tmp/nan.csv"
expect_ok "NaN is a missing token by default" "$medgen" fit "$tmp/nan.csv" -o "$tmp/nan.medgen" -q
expect_error "Inf still an error with other missing tokens" "not a finite number" "$medgen" fit "$tmp/inf.csv" -o "$tmp/out.medgen" --missing NA
expect_ok "--missing Inf accepts it" "$medgen" fit "$tmp/inf.csv" -o "$tmp/inf.medgen" -q --missing Inf

# A column entirely missing and a constant column: fitted, reproduced as such.
printf 'a,gone,k\n1,,7\n2,,7\n3,,7\n4,,7\n5,,7\n' >"$tmp/odd.csv"
expect_ok "all-missing and constant columns" "$medgen" fit "$tmp/odd.csv" -o "$tmp/odd.medgen" -q
"$medgen" sample "$tmp/odd.medgen" -n 50 -o "$tmp/odd-syn.csv"
if [ "$(cut -d, -f2 "$tmp/odd-syn.csv" | sort -u | tr -d '\n')" != "gone" ] ||
   [ "$(tail -n +2 "$tmp/odd-syn.csv" | cut -d, -f3 | sort -u)" != "7" ]; then
  echo "FAIL all-missing/constant columns not reproduced"; fails=$((fails + 1))
fi

# 10,000-level categorical over 30,000 rows: fits and samples.
awk 'BEGIN{print "code,age"; for(i=0;i<30000;i++) printf "C%05d,%d\n", (i*7919)%10000, 20+(i%60)}' >"$tmp/wide.csv"
expect_ok "10,000-level categorical" "$medgen" fit "$tmp/wide.csv" -o "$tmp/wide.medgen" -q
expect_ok "sample it" "$medgen" sample "$tmp/wide.medgen" -n 1000 -o "$tmp/wide-syn.csv" -c code=C01234

# Sampling requests.
expect_error "-n 0" "-n must be at least 1" "$medgen" sample "$tmp/pbc.medgen" -n 0 -o "$tmp/out.csv"
expect_error "-n negative" "-n must be at least 1" "$medgen" sample "$tmp/pbc.medgen" -n -5 -o "$tmp/out.csv"
expect_error "-n not a number" "-n: 'many' is not a whole number" "$medgen" sample "$tmp/pbc.medgen" -n many -o "$tmp/out.csv"
expect_error "unknown condition column" "unknown column 'colour'" "$medgen" sample "$tmp/pbc.medgen" -c colour=red -o "$tmp/out.csv"
expect_error "unseen condition value" "'x' is not a value of column 'sex'" "$medgen" sample "$tmp/pbc.medgen" -c sex=x -o "$tmp/out.csv"
expect_error "condition on a number" "conditions apply to categorical" "$medgen" sample "$tmp/pbc.medgen" -c bili=1 -o "$tmp/out.csv"
expect_error "condition without =" "expected COLUMN=VALUE" "$medgen" sample "$tmp/pbc.medgen" -c sex -o "$tmp/out.csv"
expect_error "threads 0" "--threads must be between 1 and 256" "$medgen" fit "$good" -o "$tmp/out.medgen" --threads 0
expect_error "threads absurd" "--threads must be between 1 and 256" "$medgen" sample "$tmp/pbc.medgen" --threads 100000 -o "$tmp/out.csv"
expect_error "unknown synthesizer" "unknown synthesizer 'gan9'" "$medgen" fit "$good" -o "$tmp/out.medgen" -s gan9
expect_error "bad params" "unknown copula option 'colour'" "$medgen" fit "$good" -o "$tmp/out.medgen" --params '{"colour":1}'
expect_error "params not JSON" "--params: not valid JSON" "$medgen" fit "$good" -o "$tmp/out.medgen" --params '{'
expect_error "unknown flag" "unknown|extra|not expected" "$medgen" fit "$good" -o "$tmp/out.medgen" --colour
expect_error "missing input" "cannot read" "$medgen" fit "$tmp/nope.csv" -o "$tmp/out.medgen"

# Neural synthesizer options.
expect_error "--epochs on the copula" "unknown copula option 'epochs'" "$medgen" fit "$good" -o "$tmp/out.medgen" --epochs 5
expect_error "--resume on the copula" "does not train in epochs" "$medgen" fit "$good" -o "$tmp/out.medgen" --resume
expect_error "tvae --epochs 0" "'epochs' must be an integer" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --epochs 0
expect_error "tvae --device cuda without a GPU" "cuda" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --device cuda --epochs 1
expect_error "tvae --resume without a checkpoint" "cannot read '$tmp/out.medgen.ckpt'" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --resume --epochs 2
expect_error "ctgan --loss hinge" "loss" "$medgen" fit "$good" -s ctgan -o "$tmp/out.medgen" --loss hinge --epochs 1
expect_error "tvae --loss minimax" "unknown tvae option 'loss'" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --loss minimax --epochs 1
expect_error "ctgan batch not a multiple of pac" "multiple of 'pac'" "$medgen" fit "$good" -s ctgan -o "$tmp/out.medgen" --batch-size 505
expect_error "--epochs twice" "both set 'epochs'" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --epochs 2 --params '{"epochs":3}'

# Diverging training: exit 1, the epoch named, no model file.
"$medgen" fit "$src/tests/data/pima2.csv" -s tvae -o "$tmp/div.medgen" --lr 10 --epochs 50 -q 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "non-finite loss at epoch" "$tmp/stderr" || [ -e "$tmp/div.medgen" ]; then
  echo "FAIL diverging training: exit $rc: $(cat "$tmp/stderr")"; fails=$((fails + 1))
else
  echo "ok   diverging training: $(cat "$tmp/stderr")"
fi

# Ctrl-C during training: exit 130, a checkpoint, no model; --resume finishes the run.
# (With job control on: a script's background job otherwise starts with SIGINT ignored, and
# medgen leaves an ignored signal ignored.)
set -m
"$medgen" fit "$good" -s tvae -o "$tmp/int.medgen" --epochs 1000000 --checkpoint-every 1 -q 2>"$tmp/int.err" &
pid=$!
set +m
# Interrupt once training runs (the first checkpoint is there), however loaded the machine is.
for _ in $(seq 1200); do [ -f "$tmp/int.medgen.ckpt" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
cat "$tmp/int.err"
# The checkpoint holds the epochs before the interrupted one; --resume asks for two more.
done_epochs=$(sed -n 's/.*interrupted at epoch \([0-9]*\).*/\1/p' "$tmp/int.err")
if [ "$rc" -ne 130 ] || [ ! -f "$tmp/int.medgen.ckpt" ] || [ -e "$tmp/int.medgen" ]; then
  echo "FAIL Ctrl-C: exit $rc, checkpoint $(ls "$tmp"/int.medgen* 2>/dev/null)"; fails=$((fails + 1))
else
  echo "ok   Ctrl-C saved a checkpoint and exited 130"
fi
expect_ok "--resume after Ctrl-C" "$medgen" fit "$good" -s tvae -o "$tmp/int.medgen" --epochs "$((${done_epochs:-0} + 1))" --resume -q
[ -f "$tmp/int.medgen" ] || { echo "FAIL no model after --resume"; fails=$((fails + 1)); }

# Unwritable output paths: clear error, nothing written.
expect_error "unwritable model path" "cannot write '/nonexistent-dir/m.medgen'" "$medgen" fit "$good" -o /nonexistent-dir/m.medgen
expect_error "unwritable sample path" "cannot write '/nonexistent-dir/s.csv'" "$medgen" sample "$tmp/pbc.medgen" -o /nonexistent-dir/s.csv

# Schema problems.
printf '{"columns":[{"name":"age","type":"numerical","colour":1}]}' >"$tmp/bad-schema.json"
expect_error "unknown schema key" "unknown key 'colour'" "$medgen" fit "$good" --schema "$tmp/bad-schema.json" -o "$tmp/out.medgen"
printf '{"columns":[{"name":"weight","type":"numerical"}]}' >"$tmp/missing-col.json"
expect_error "schema column absent from data" "missing column 'weight'" "$medgen" fit "$good" --schema "$tmp/missing-col.json" -o "$tmp/out.medgen"

# Model files: wrong, truncated, corrupted.
expect_error "CSV as a model" "not a medgen model" "$medgen" info "$good"
head -c 100 "$tmp/pbc.medgen" >"$tmp/trunc.medgen"
expect_error "truncated model" "truncated" "$medgen" sample "$tmp/trunc.medgen" -o "$tmp/out.csv"
cp "$tmp/pbc.medgen" "$tmp/flip.medgen"
printf '\x42' | dd of="$tmp/flip.medgen" bs=1 seek=200 conv=notrunc status=none
expect_error "corrupted model" "corrupted" "$medgen" info "$tmp/flip.medgen"

# Same seed and input: byte-identical output; --reproducible: byte-identical model files.
"$medgen" fit "$good" -o "$tmp/a.medgen" --reproducible -q
"$medgen" fit "$good" -o "$tmp/b.medgen" --reproducible -q
cmp -s "$tmp/a.medgen" "$tmp/b.medgen" || { echo "FAIL model files differ"; fails=$((fails + 1)); }
"$medgen" sample "$tmp/a.medgen" -n 300 --seed 9 -o "$tmp/s1.csv"
"$medgen" sample "$tmp/b.medgen" -n 300 --seed 9 -o "$tmp/s2.csv"
cmp -s "$tmp/s1.csv" "$tmp/s2.csv" || { echo "FAIL samples differ"; fails=$((fails + 1)); }
[ "$(wc -l <"$tmp/s1.csv")" -eq 301 ] || { echo "FAIL wrong row count"; fails=$((fails + 1)); }

# Conditions and balance: exactly n rows, all matching.
"$medgen" sample "$tmp/pbc.medgen" -n 250 -c sex=m -c ascites=1 -o "$tmp/cond.csv"
rows=$(tail -n +2 "$tmp/cond.csv" | awk -F, '$6=="m" && $7=="1"' | wc -l)
[ "$rows" -eq 250 ] || { echo "FAIL conditional rows: $rows of 250 match"; fails=$((fails + 1)); }
"$medgen" sample "$tmp/pbc.medgen" -n 301 --balance stage -o "$tmp/bal.csv" 2>/dev/null &&
  echo "FAIL --balance on a numeric column accepted" && fails=$((fails + 1))
"$medgen" sample "$tmp/pbc.medgen" -n 300 --balance sex -o "$tmp/bal.csv"
[ "$(tail -n +2 "$tmp/bal.csv" | cut -d, -f6 | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "150 150 " ] ||
  { echo "FAIL --balance sex not 150/150"; fails=$((fails + 1)); }

# ---- The common options (tools/medgen/options.h): accepted by every command, one meaning. ----
has() { "$medgen" "$@" --help >/dev/null 2>&1; }  # is this (module's) command built in?
big=$(printf '9%.0s' $(seq 400))                   # a 400-digit number

# Strictly parsed numbers: exit 2 and one line naming the option.
expect_error "--seed -1" "--seed must be at least 0, got -1" "$medgen" sample "$tmp/pbc.medgen" --seed -1 -o "$tmp/out.csv"
expect_error "--seed 400 digits" "--seed must be at most 18446744073709551615, got 9{20}\.\.\." "$medgen" sample "$tmp/pbc.medgen" --seed "$big" -o "$tmp/out.csv"
expect_error "--seed hex" "--seed: '0x10' is not a whole number" "$medgen" fit "$good" -o "$tmp/out.medgen" --seed 0x10
expect_error "--seed on schema" "--seed: 'x' is not a whole number" "$medgen" schema "$good" --seed x -o "$tmp/out.json"
expect_error "--threads 400 digits" "--threads must be between 1 and 256" "$medgen" fit "$good" -o "$tmp/out.medgen" --threads "$big"
expect_error "--threads on info" "--threads must be between 1 and 256, got 0" "$medgen" info "$tmp/pbc.medgen" --threads 0
expect_error "-n 20 digits" "-n must be at most 18446744073709551615" "$medgen" sample "$tmp/pbc.medgen" -n 99999999999999999999 -o "$tmp/out.csv"
expect_error "-n above --max-rows" "-n 100000001 is more than --max-rows 100000000" "$medgen" sample "$tmp/pbc.medgen" -n 100000001 -o "$tmp/out.csv"
expect_error "-n above a lowered --max-rows" "-n 6 is more than --max-rows 5" "$medgen" sample "$tmp/pbc.medgen" -n 6 --max-rows 5 -o "$tmp/out.csv"
expect_ok "-n at --max-rows" "$medgen" sample "$tmp/pbc.medgen" -n 5 --max-rows 5 -o "$tmp/five.csv"
[ "$(wc -l <"$tmp/five.csv")" -eq 6 ] || { echo "FAIL -n 5 --max-rows 5 wrote $(wc -l <"$tmp/five.csv") lines"; fails=$((fails + 1)); }
expect_error "--max-rows 0" "--max-rows must be at least 1, got 0" "$medgen" sample "$tmp/pbc.medgen" --max-rows 0 -o "$tmp/out.csv"
expect_error "--epochs 400 digits" "--epochs must be at most 2147483647" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --epochs "$big"
expect_error "--batch-size 2^40" "--batch-size must be at most 2147483647" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --batch-size 1099511627776
expect_error "--lr negative" "--lr must be more than 0" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --lr -1
expect_error "--lr overflow" "--lr must be more than 0 and at most 1e\+06, got 1e999" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --lr 1e999
expect_error "--lr nan" "--lr: 'nan' is not a number" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --lr nan
expect_error "--checkpoint-every -1" "--checkpoint-every must be at least 0, got -1" "$medgen" fit "$good" -s tvae -o "$tmp/out.medgen" --checkpoint-every -1
expect_error "demo --rows 0" "--rows must be between 1 and 100000000, got 0" "$medgen" demo --rows 0 -o "$tmp/out-demo"
expect_error "demo --rows 400 digits" "--rows must be between 1 and 100000000" "$medgen" demo --rows "$big" -o "$tmp/out-demo"
expect_error "--delimiter of two characters" "--delimiter must be one character" "$medgen" schema "$good" --delimiter ab -o "$tmp/out.json"

# Conditions, --privacy, --json without a file for the rows.
expect_error "two values for one column" "-c: column 'sex' is given two values \('f' and 'm'\)" "$medgen" sample "$tmp/pbc.medgen" -c sex=f -c sex=m -o "$tmp/out.csv"
expect_ok "the same condition twice" "$medgen" sample "$tmp/pbc.medgen" -n 20 -c sex=f -c sex=f -o "$tmp/ff.csv"
[ "$(tail -n +2 "$tmp/ff.csv" | cut -d, -f6 | sort -u)" = "f" ] || { echo "FAIL -c sex=f twice"; fails=$((fails + 1)); }
expect_ok "--privacy coarse, merged into the params" "$medgen" fit "$good" -o "$tmp/coarse.medgen" --privacy coarse -q
"$medgen" info "$tmp/coarse.medgen" --json | grep -q '"privacy": "coarse"' || { echo "FAIL --privacy not in the model's params"; fails=$((fails + 1)); }
expect_error "--privacy twice" "--privacy and --params both set 'privacy'" "$medgen" fit "$good" -o "$tmp/out.medgen" --privacy coarse --params '{"privacy":"exact"}'
expect_error "--privacy unknown" "--privacy: fuzzy not in \{" "$medgen" fit "$good" -o "$tmp/out.medgen" --privacy fuzzy
expect_error "sample --json without -o" "--json needs -o FILE" "$medgen" sample "$tmp/pbc.medgen" --json

if has evaluate; then
  expect_error "evaluate --privacy-queries -5" "--privacy-queries must be between 10 and 100000000, got -5" "$medgen" evaluate --real "$good" --synthetic "$good" --json-out "$tmp/out.json" --privacy-queries -5
  expect_error "evaluate --detection-rows 400 digits" "--detection-rows must be between 10 and 100000000" "$medgen" evaluate --real "$good" --synthetic "$good" --json-out "$tmp/out.json" --detection-rows "$big"
  expect_error "evaluate --seed -1" "--seed must be at least 0, got -1" "$medgen" evaluate --real "$good" --synthetic "$good" --json-out "$tmp/out.json" --seed -1
fi
if has sim; then
  expect_error "sim case --seed -1" "--seed must be at least 0, got -1" "$medgen" sim case -c dka --seed -1 -o "$tmp/out.json"
  expect_error "sim run --speed 0" "--speed must be more than 0 and at most 100000, got 0" "$medgen" sim run -c dka --speed 0
  expect_error "sim run --duration 400 digits" "--duration must be more than 0 and at most 10080" "$medgen" sim run -c dka --duration "$big"
  expect_error "sim case --text --json" "--text and --json" "$medgen" sim case -c dka --text --json
fi
if has image; then
  expect_error "image preview --slice -1" "--slice must be at least 0, got -1" "$medgen" image preview "$tmp/none.png" "$tmp/out.png" --slice -1
  expect_error "image sample --n 0" "--n must be at least 1, got 0" "$medgen" image sample --model "$tmp/none.medgen" --n 0 -o "$tmp/out.png"
  expect_error "image train --steps -1" "--steps must be at least 0, got -1" "$medgen" image train --data "$tmp/none.nii" -o "$tmp/out.medgen" --steps -1
  expect_error "image train --lr 400 digits" "--lr must be between 0 and 10, got 9{20}" "$medgen" image train --data "$tmp/none.nii" -o "$tmp/out.medgen" --lr "$big"
  expect_error "image train --min-foreground 2" "--min-foreground must be between 0 and 1, got 2" "$medgen" image train --data "$tmp/none.nii" -o "$tmp/out.medgen" --min-foreground 2
  expect_error "image anomaly --repeats 0" "--repeats must be at least 1, got 0" "$medgen" image anomaly --model "$tmp/none.medgen" --data "$tmp/none.nii" --repeats 0
  expect_error "image --device tpu" "--device: tpu not in \{" "$medgen" image evaluate --model "$tmp/none.medgen" --data "$tmp/none.nii" --device tpu
fi

# Every command accepts -q --json --seed --threads. A command that succeeds prints valid JSON on
# stdout and nothing on stderr; the heavier ones are given a missing input and must fail on it
# (exit 2, naming the file), not on the options.
is_json() { /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null; }
common_ok() {  # common_ok NAME CMD...: exit 0, JSON on stdout, empty stderr
  local name="$1"
  shift
  "$@" -q --json --seed 7 --threads 2 >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
  local rc=$?
  if [ "$rc" -ne 0 ]; then echo "FAIL common options on $name: exit $rc: $(head -c 300 "$tmp/stderr")"; fails=$((fails + 1))
  elif ! is_json "$tmp/stdout"; then echo "FAIL common options on $name: stdout is not JSON: $(head -c 200 "$tmp/stdout")"; fails=$((fails + 1))
  elif [ -s "$tmp/stderr" ]; then echo "FAIL common options on $name: -q left stderr: $(head -c 300 "$tmp/stderr")"; fails=$((fails + 1))
  else echo "ok   common options on $name"; fi
}
common_parsed() {  # common_parsed NAME MISSING CMD...: exit 2 on the missing file MISSING
  local name="$1" missing="$2"
  shift 2
  expect_error "common options on $name" "$missing" "$@" -q --json --seed 7 --threads 2
}
common_ok "schema" "$medgen" schema "$good"
common_ok "schema -o" "$medgen" schema "$good" -o "$tmp/loop-schema.json"
is_json "$tmp/loop-schema.json" && grep -q '"columns"' "$tmp/loop-schema.json" || { echo "FAIL schema -o --json file"; fails=$((fails + 1)); }
common_ok "fit" "$medgen" fit "$good" -o "$tmp/loop.medgen"
common_ok "sample" "$medgen" sample "$tmp/pbc.medgen" -n 10 -o "$tmp/loop.csv"
common_ok "info" "$medgen" info "$tmp/pbc.medgen"
common_parsed "demo" "none.csv" "$medgen" demo --data "$tmp/none.csv" -o "$tmp/out-demo"
if has evaluate; then
  head -120 "$good" >"$tmp/ev-syn.csv"
  common_ok "evaluate" "$medgen" evaluate --real "$good" --synthetic "$tmp/ev-syn.csv" --detection-rows 50 --privacy-queries 50
  grep -q '"membership_auc"' "$tmp/stdout" || { echo "FAIL evaluate --json lacks the report"; fails=$((fails + 1)); }
fi
if has sim; then
  common_ok "sim list" "$medgen" sim list
  common_ok "sim case" "$medgen" sim case -c dka -o "$tmp/loop-case.json"
  common_ok "sim run" "$medgen" sim run --case "$tmp/loop-case.json" --script "$src/data/sim/scripts/dka_good.json"
fi
if has image; then
  ct=/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm
  if [ -f "$ct" ]; then
    common_ok "image info" "$medgen" image info "$ct"
    common_ok "image convert" "$medgen" image convert "$ct" "$tmp/loop.nii.gz"
    common_ok "image preview" "$medgen" image preview "$ct" "$tmp/loop.png"
    common_ok "image degrade" "$medgen" image degrade --input "$ct" -o "$tmp/loop-noisy.nii.gz" --noise-level 0.05
  else
    echo "skip image info/convert/preview/degrade common options: $ct absent"
  fi
  common_parsed "image train" "none.nii" "$medgen" image train --data "$tmp/none.nii" -o "$tmp/out.medgen"
  common_parsed "image evaluate" "none.medgen" "$medgen" image evaluate --model "$tmp/none.medgen" --data "$tmp/none.nii"
  common_parsed "image anomaly" "none.medgen" "$medgen" image anomaly --model "$tmp/none.medgen" --data "$tmp/none.nii"
  common_parsed "image sample" "none.medgen" "$medgen" image sample --model "$tmp/none.medgen" -o "$tmp/out.png"
  common_parsed "image enhance" "none.medgen" "$medgen" image enhance --model "$tmp/none.medgen" --input "$tmp/none.nii" -o "$tmp/out.nii"
fi

# --json-out FILE, and the old spelling --json FILE (one release more, with a note on stderr).
if has evaluate; then
  ev=("$medgen" evaluate --real "$good" --synthetic "$tmp/ev-syn.csv" --detection-rows 50 --privacy-queries 50)
  # Same report but for the timings (keys naming seconds), which differ from run to run.
  same_report() {
    /usr/bin/python3 -c '
import json, sys
def strip(j):
    if isinstance(j, dict): return {k: strip(v) for k, v in j.items() if "seconds" not in k}
    if isinstance(j, list): return [strip(v) for v in j]
    return j
a, b = (strip(json.load(open(f))) for f in sys.argv[1:3])
sys.exit(0 if a == b else 1)' "$1" "$2"
  }
  expect_ok "evaluate --json-out" "${ev[@]}" --json-out "$tmp/new.json"
  is_json "$tmp/new.json" || { echo "FAIL --json-out file is not JSON"; fails=$((fails + 1)); }
  grep -q "quality" "$tmp/stdout" || { echo "FAIL evaluate summary missing on stdout"; fails=$((fails + 1)); }
  [ -s "$tmp/stderr" ] && { echo "FAIL --json-out gave a note: $(cat "$tmp/stderr")"; fails=$((fails + 1)); }
  expect_ok "evaluate --json FILE (old spelling)" "${ev[@]}" --json "$tmp/old.json"
  grep -q "note: '--json FILE' is now '--json-out FILE'" "$tmp/stderr" || { echo "FAIL no note for --json FILE: $(cat "$tmp/stderr")"; fails=$((fails + 1)); }
  same_report "$tmp/new.json" "$tmp/old.json" || { echo "FAIL --json FILE and --json-out FILE differ"; fails=$((fails + 1)); }
  expect_ok "evaluate --json=FILE (old spelling)" "${ev[@]}" --json="$tmp/old2.json" -q
  [ -s "$tmp/stderr" ] && { echo "FAIL -q did not silence the note: $(cat "$tmp/stderr")"; fails=$((fails + 1)); }
  same_report "$tmp/new.json" "$tmp/old2.json" || { echo "FAIL --json=FILE and --json-out FILE differ"; fails=$((fails + 1)); }
  expect_ok "evaluate --json (flag) then an option" "${ev[@]}" --json --json-out "$tmp/both.json"
  cmp -s "$tmp/stdout" "$tmp/both.json" || { echo "FAIL evaluate --json on stdout differs from --json-out"; fails=$((fails + 1)); }
  [ -e "$tmp/--json-out" ] && { echo "FAIL --json took the next option as its file"; fails=$((fails + 1)); }
fi
if has image; then
  expect_error "image --json FILE (old spelling) reaches the command" "none.medgen" "$medgen" image sample --model "$tmp/none.medgen" -o "$tmp/out.png" --json "$tmp/out.json" -q
fi

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
