#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) in $FUZZ_BUILD and runs each for
# FUZZ_SECONDS seconds, starting from its seed corpus fuzz/corpus/<target>/ (which holds the
# crash inputs of issue 11 as regression seeds). Fails when any target crashes, leaks, times out
# (FUZZ_TIMEOUT s on one input) or asks for too much memory (FUZZ_RSS_MB in all, FUZZ_MALLOC_MB
# in one allocation), or lets an exception other than InvalidInput/IoError/ModelFormat escape
# (the CLI would exit 1; see fuzz/fuzz_util.h); the input that did it is
# left in $FUZZ_BUILD/crashes/<target>/ and its path printed.
#
#   scripts/fuzz.sh                 every target, FUZZ_SECONDS (default 40) each (~6 min + build)
#   scripts/fuzz.sh csv png         only these
#   FUZZ_SECONDS=600 scripts/fuzz.sh nifti
#   MEDGEN_FUZZ_LENIENT=1 ...       report memory errors only, not exceptions that would exit 1
#   FUZZ_SEED=0 ...                 a random seed (default 1: the same inputs on every run)
#   FUZZ_RUNS=N ...                 also stop each target after N inputs
#
# In CI (make test-slow) the seed is fixed and the runs capped (FUZZ_RUNS) below what 40 s gave on
# the machine the caps were measured on, so a slower machine tries a prefix of the same inputs and
# a faster one the same inputs: the run is a repeatable check, not a lottery. Explore with
# FUZZ_SEED=0 and a long FUZZ_SECONDS.
#
# New inputs that reach new code go to $FUZZ_BUILD/corpus/<target>/, never into the repository;
# copy the interesting ones to fuzz/corpus/<target>/ by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-40}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_RUNS=${FUZZ_RUNS:-}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
# One allocation above this from a seed-sized input is a reader trusting a header (issue 11).
FUZZ_MALLOC_MB=${FUZZ_MALLOC_MB:-512}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
all_targets=(csv schema model_file model_load sim_json dicom nifti png inv3)
json_targets=" schema model_load sim_json "

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (known: ${all_targets[*]})" >&2; exit 2; }
done

scripts/setup.sh --fuzz
export CCACHE_BASEDIR=$PWD
if [ ! -f "$FUZZ_BUILD/CMakeCache.txt" ]; then
  CXX=clang++ cmake -S fuzz -B "$FUZZ_BUILD" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
cmake --build "$FUZZ_BUILD" -j "$FUZZ_JOBS" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  seeds="fuzz/corpus/$t"
  work="$FUZZ_BUILD/corpus/$t"
  crashes="$FUZZ_BUILD/crashes/$t"
  log="$FUZZ_BUILD/fuzz-$t.log"
  mkdir -p "$work" "$crashes" "$seeds"
  extra=()
  [[ "$json_targets" == *" $t "* ]] && extra+=(-dict=fuzz/json.dict)
  [ "$FUZZ_SEED" != 0 ] && extra+=(-seed="$FUZZ_SEED")
  [ -n "$FUZZ_RUNS" ] && extra+=(-runs="$FUZZ_RUNS")
  marker="$crashes/.started"
  touch "$marker"
  printf 'fuzz: %-10s %3ss ... ' "$t" "$FUZZ_SECONDS"
  # stdout/stderr of the code under test are closed (-close_fd_mask=3); libFuzzer's and the
  # sanitizers' reports still reach the log.
  if "$FUZZ_BUILD/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb="$FUZZ_RSS_MB" \
      -malloc_limit_mb="$FUZZ_MALLOC_MB" \
      -artifact_prefix="$crashes/" -close_fd_mask=3 -print_final_stats=1 "${extra[@]}" "$work" "$seeds" \
      >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "ok (${execs:-?} inputs)"
  else
    echo "FAILED"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|medgen fuzz:)|runtime error|ALARM|out-of-memory' "$log" | head -5 | sed 's/^/  /'
    find "$crashes" -type f ! -name .started -newer "$marker" | sed 's/^/  input: /' 
    echo "  log: $log"
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  echo "fuzz: reproduce with $FUZZ_BUILD/fuzz_<target> <input>" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
