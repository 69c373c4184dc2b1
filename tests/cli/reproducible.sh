#!/usr/bin/env bash
# What "same seed, same bytes" covers (docs/architecture.md, "Context, seeds, threads"):
# - copula and independent sampling from one model file: the same bytes whichever OpenBLAS
#   kernels are loaded (medgen's own code only);
# - copula fit, and tvae fit and sample, with the kernel family fixed (OPENBLAS_CORETYPE and
#   ATEN_CPU_CAPABILITY set): the same bytes run after run.
# Usage: reproducible.sh MEDGEN SOURCE_DIR
set -u
medgen="$1"
src="$2"
. "$src/tests/cli/lib.sh"
data="$src/data/pbc.csv"

same() {  # same NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: $2 and $3 differ"; fails=$((fails + 1)); fi
}

# Kernels every x86-64 CPU runs: generic OpenBLAS and ATen's default path.
fixed=(env OPENBLAS_CORETYPE=Prescott ATEN_CPU_CAPABILITY=default)

for s in copula independent; do
  "${fixed[@]}" "$medgen" fit "$data" -s "$s" -o "$tmp/$s-1.medgen" --reproducible -q
  "${fixed[@]}" "$medgen" fit "$data" -s "$s" -o "$tmp/$s-2.medgen" --reproducible -q
  same "$s fit twice, fixed kernels" "$tmp/$s-1.medgen" "$tmp/$s-2.medgen"
  "$medgen" sample "$tmp/$s-1.medgen" -n 2000 --seed 3 -o "$tmp/$s-a.csv"
  OPENBLAS_CORETYPE=Prescott "$medgen" sample "$tmp/$s-1.medgen" -n 2000 --seed 3 -o "$tmp/$s-b.csv"
  same "$s sample, default vs generic OpenBLAS kernels" "$tmp/$s-a.csv" "$tmp/$s-b.csv"
  if grep -qw avx2 /proc/cpuinfo; then
    OPENBLAS_CORETYPE=Haswell "$medgen" sample "$tmp/$s-1.medgen" -n 2000 --seed 3 -o "$tmp/$s-c.csv"
    same "$s sample, Haswell kernels" "$tmp/$s-a.csv" "$tmp/$s-c.csv"
  fi
  "$medgen" sample "$tmp/$s-1.medgen" -n 2000 --seed 4 -o "$tmp/$s-d.csv"
  if cmp -s "$tmp/$s-a.csv" "$tmp/$s-d.csv"; then
    echo "FAIL $s: seeds 3 and 4 gave the same rows"; fails=$((fails + 1))
  fi
done

# A neural model with the kernels fixed: model file and samples are the same bytes.
for i in 1 2; do
  "${fixed[@]}" "$medgen" fit "$data" -s tvae --epochs 3 -o "$tmp/tvae-$i.medgen" --reproducible -q
  "${fixed[@]}" "$medgen" sample "$tmp/tvae-$i.medgen" -n 500 --seed 5 -o "$tmp/tvae-$i.csv"
done
same "tvae fit twice, fixed kernels" "$tmp/tvae-1.medgen" "$tmp/tvae-2.medgen"
same "tvae sample twice, fixed kernels" "$tmp/tvae-1.csv" "$tmp/tvae-2.csv"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
