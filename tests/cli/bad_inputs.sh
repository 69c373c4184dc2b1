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
expect_error "-n not a number" "rows" "$medgen" sample "$tmp/pbc.medgen" -n many -o "$tmp/out.csv"
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
"$medgen" fit "$good" -s tvae -o "$tmp/int.medgen" --epochs 1000000 -q &
pid=$!
sleep 3
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -ne 130 ] || [ ! -f "$tmp/int.medgen.ckpt" ] || [ -e "$tmp/int.medgen" ]; then
  echo "FAIL Ctrl-C: exit $rc, checkpoint $(ls "$tmp"/int.medgen* 2>/dev/null)"; fails=$((fails + 1))
else
  echo "ok   Ctrl-C saved a checkpoint and exited 130"
fi
expect_ok "--resume after Ctrl-C" "$medgen" fit "$good" -s tvae -o "$tmp/int.medgen" --epochs 1 --resume -q
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

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
