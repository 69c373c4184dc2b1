# GPU jobs, sourced by scripts/gpu/run.sh after a successful build (bash; the caller's variables
# and functions are visible: B = absolute build dir, OUT, phase). Each job has its own timeout
# so that a hang still leaves the other results and the logs in $OUT.
#   bench_neural [epochs] [models] [tables] [device]    (bench/bench_neural.cpp)
#   bench_imaging [jobs] [device] [threads] [step_scale] (bench/imaging/bench_imaging.cpp)
# The imaging data travel in .gpu/data (scripts/gpu/prepare.sh copies them).

jobs_rc=0
run_job() {  # name timeout command...
  local name=$1 limit=$2
  shift 2
  phase "$name"
  timeout "$limit" bash -c 'LD_LIBRARY_PATH="$MEDGEN_SYSROOT_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$@"' _ "$@" \
    >"$OUT/$name.jsonl" 2>"$OUT/$name.err"
  local rc=$?
  cat "$OUT/$name.jsonl"
  [ -s "$OUT/$name.err" ] && tail -5 "$OUT/$name.err"
  echo "$name: rc $rc"
  [ "$rc" -eq 0 ] || jobs_rc=$rc
}
export MEDGEN_CH2="$PWD/.gpu/data/ch2.nii.gz" MEDGEN_CH2BET="$PWD/.gpu/data/ch2bet.nii.gz" MEDGEN_CRANIUM="$PWD/.gpu/data/Cranium.inv3"
run_job imaging-cuda 300 "$B/bench_imaging" all cuda 4 1
run_job neural-cuda 120 "$B/bench_neural" 3 ctgan,tvae categorical cuda
nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu --format=csv 2>&1 | tee -a "$OUT/facts.txt"
( exit "$jobs_rc" )
