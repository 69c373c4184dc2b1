#!/usr/bin/env bash
# Runs every benchmark program on one thread and writes their JSON lines to
# bench-results.jsonl (and stdout). Usage: scripts/bench.sh [build-dir]
set -euo pipefail
build="${1:-build}"
out="${BENCH_OUT:-bench-results.jsonl}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
: >"$out"
for b in "$build"/bench_*; do
  [ -x "$b" ] || continue
  echo "# $(basename "$b")" >&2
  "$b" | tee -a "$out"
done
# The Python package against the CLI (docs/python.md), when the build has it.
if [ -d "$build/python/medgen" ]; then
  echo "# bench/python/bench_python.py" >&2
  PYTHONPATH="$build/python" /usr/bin/python3 bench/python/bench_python.py --cli "$build/medgen" | tee -a "$out"
fi
