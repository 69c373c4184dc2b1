# Per-kernel GPU times of eager ctgan training steps (Nsight Compute, one metric), to see where a
# step's time goes on the GPU: sourced by scripts/gpu/run.sh
# (MEDGEN_GPU_JOBS=scripts/gpu/jobs-ctgan-ncu.sh) after building `medgen bench_neural`.
# Files in $OUT: ncu-adult.csv (medgen fit on .gpu/data/adult.csv, 1 epoch, cuda_graph off),
# ncu-bench.csv (bench_neural's categorical table), ncu.log.
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
echo "ncu: $NCU" | tee "$OUT/ncu.log"
prof() {  # out-file command...
  local out=$1
  shift
  LD_LIBRARY_PATH="$MEDGEN_SYSROOT_LIB" timeout 150 "$NCU" --csv --metrics gpu__time_duration.sum --clock-control none \
    --launch-skip 4000 --launch-count 1200 "$@" >"$OUT/$out" 2>>"$OUT/ncu.log"
  echo "$out: rc $? lines $(wc -l <"$OUT/$out")" | tee -a "$OUT/ncu.log"
}
phase "ncu adult (eager)"
prof ncu-adult.csv "$B/medgen" fit "$PWD/.gpu/data/adult.csv" -s ctgan --device cuda --seed 1 -q --epochs 1 \
  --params '{"cuda_graph":"off"}' -o /tmp/ncu-adult.medgen
phase "ncu bench categorical (eager)"
prof ncu-bench.csv "$B/bench_neural" 1 ctgan categorical cuda '{"cuda_graph":"off"}'
tail -5 "$OUT/ncu.log"
