#!/usr/bin/env bash
# Data-parallel tvae: wall-clock seconds of one fit in 1 process against 2 processes (one
# thread each, loopback rendezvous), alternated REPS times, one JSON line per run.
#   bench/distributed/bench_tvae_scaling.sh [CSV] [EPOCHS] [REPS] [BATCH]
# Defaults: aids2 from tests/data, 30 epochs, 3 repetitions, batch 500. The machine should be
# otherwise idle: two processes need two free cores.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${MEDGEN:-$here/build/medgen}
csv=${1:-$here/tests/data/aids2.csv}
epochs=${2:-30}
reps=${3:-3}
batch=${4:-500}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fit="$B fit $csv -s tvae --epochs $epochs --batch-size $batch --threads 1 --seed 1 -q"
now() { date +%s.%N; }
for r in $(seq 1 "$reps"); do
  s=$(now)
  $fit -o "$tmp/one.medgen"
  e=$(now)
  echo "{\"bench\":\"tvae_data_parallel\",\"table\":\"$(basename "$csv")\",\"epochs\":$epochs,\"batch\":$batch,\"processes\":1,\"rep\":$r,\"seconds\":$(echo "$e - $s" | bc)}"
  port=$((29600 + RANDOM % 1000))
  s=$(now)
  $fit -o "$tmp/two.medgen" --world-size 2 --rank 1 --rendezvous 127.0.0.1:$port &
  p=$!
  $fit -o "$tmp/two.medgen" --world-size 2 --rank 0 --rendezvous 127.0.0.1:$port
  wait $p
  e=$(now)
  echo "{\"bench\":\"tvae_data_parallel\",\"table\":\"$(basename "$csv")\",\"epochs\":$epochs,\"batch\":$batch,\"processes\":2,\"rep\":$r,\"seconds\":$(echo "$e - $s" | bc)}"
done
