# GPU jobs, sourced by scripts/gpu/run.sh after a successful build (bash; the caller's variables
# and functions are visible: B = absolute build dir, OUT, phase). The jobs run side by side
# (the GPU is far from full; the evaluations' classical filters run on the CPU), each with its
# own timeout so that a hang still leaves the other results and the logs in $OUT (at most 8
# files come back: facts.txt, build.log, four .jsonl and jobs.err).
#   bench_neural [epochs] [models] [tables] [device]    (bench/bench_neural.cpp)
#   bench_imaging [jobs] [device] [threads] [step_scale] (bench/imaging/bench_imaging.cpp)
# The imaging data travel in .gpu/data (scripts/gpu/prepare.sh copies them).

export MEDGEN_CH2="$PWD/.gpu/data/ch2.nii.gz" MEDGEN_CH2BET="$PWD/.gpu/data/ch2bet.nii.gz" MEDGEN_CRANIUM="$PWD/.gpu/data/Cranium.inv3"
job() {  # name timeout command...
  local name=$1 limit=$2
  shift 2
  timeout "$limit" bash -c 'LD_LIBRARY_PATH="$MEDGEN_SYSROOT_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$@"' _ "$@" \
    >"$OUT/$name.jsonl" 2>>"$OUT/jobs.err"
  echo "$name: rc $? at $(date +%T)" | tee -a "$OUT/jobs.err"
}
phase "jobs (side by side)"
job imaging-gen 330 "$B/bench_imaging" vae,gan,vae128,gan128 cuda 4 1 &
job imaging-anomaly 330 "$B/bench_imaging" anomaly-vae,anomaly-dae cuda 4 1 &
job imaging-enhance 330 "$B/bench_imaging" denoise-mr,denoise-ct,sr2,sr4 cuda 4 1 &
job neural-cuda 200 "$B/bench_neural" 3 ctgan,tvae categorical cuda &
sleep 20
nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv 2>&1 | tee -a "$OUT/facts.txt"
wait
cat "$OUT"/*.jsonl | cut -c1-300
tail -20 "$OUT/jobs.err"
