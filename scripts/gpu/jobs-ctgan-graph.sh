# ctgan with its training step captured as a CUDA graph against the eager launches (issue 13,
# item 5), sourced by scripts/gpu/run.sh (MEDGEN_GPU_JOBS=scripts/gpu/jobs-ctgan-graph.sh) after
# building `medgen bench_neural`. Runs one after another (timings). Files in $OUT: neural.jsonl
# (bench_neural, categorical 30,000 x 15 table), adult.txt (end-to-end `medgen fit` times and
# logs), adult-graph.medgen (the 300-epoch model, evaluated on the dev machine).
# The adult table (CTGAN's examples/csv/adult.csv) travels in .gpu/data/adult.csv (never committed).
A="$PWD/.gpu/data/adult.csv"
log="$OUT/adult.txt"
smi() { nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,utilization.gpu,memory.used --format=csv,noheader 2>&1; }
phase "bench_neural ctgan eager vs graph"
for g in off auto; do
  timeout 60 bash -c 'LD_LIBRARY_PATH="$MEDGEN_SYSROOT_LIB" exec "$@"' _ "$B/bench_neural" 5 ctgan categorical cuda \
    "{\"cuda_graph\":\"$g\"}" >>"$OUT/neural.jsonl" 2>>"$log"
  echo "bench_neural cuda_graph=$g rc $?" | tee -a "$log"
done
cat "$OUT/neural.jsonl"
fit() {  # label timeout args...
  local label=$1 limit=$2
  shift 2
  echo "=== $label: medgen fit $*" >>"$log"
  local t0 t1
  t0=$(date +%s.%N)
  medgen_run timeout "$limit" "$B/medgen" fit "$A" -s ctgan --device cuda --seed 1 -q --json "$@" >>"$log" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  echo "$label: rc $rc wall $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s" | tee -a "$log"
  smi >>"$log"
}
phase "adult end to end"
fit graph-300 60 --epochs 300 -o "$OUT/adult-graph.medgen"
fit graph-300-again 60 --epochs 300 -o /tmp/adult-graph2.medgen
fit graph-10 30 --epochs 10 -o /tmp/adult-graph10.medgen
fit eager-10 40 --epochs 10 --params '{"cuda_graph":"off"}' -o /tmp/adult-eager10.medgen
fit graph-1 30 --epochs 1 -o /tmp/adult-graph1.medgen
grep -E '^(graph|eager)' "$log"
