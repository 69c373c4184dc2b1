#!/usr/bin/env bash
# The Python package's tests: every tests/python/test_*.py (unittest), then the notebook-style
# example docs/python-example.py, run by the Python the package was built for against the built
# package. Usage: run.sh PYTHON PACKAGE_DIR MEDGEN_CLI SOURCE_DIR (ctest passes them).
set -euo pipefail
py="$1" pkg="$2" cli="$3" src="$4"
export PYTHONPATH="$pkg" MEDGEN_CLI="$cli" MEDGEN_SOURCE_DIR="$src" PYTHONDONTWRITEBYTECODE=1
# One set of OpenBLAS kernels, named, for every process of the tests: the Python processes and the
# `medgen` children whose files they compare byte for byte (medgen.blas_kernels(); docs/python.md).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core=$("$py" -c 'import medgen; print(medgen.blas_kernels())')
  [ -n "$core" ] && export OPENBLAS_CORETYPE="$core"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m unittest discover -s "$src/tests/python" -p 'test_*.py'
# The example as a reader runs it (its own folder, the embedded data), with fewer epochs; it uses
# every area, so a build that leaves one out says so instead.
if ! "$py" -c 'import medgen, sys; sys.exit(0 if all(hasattr(medgen._medgen, a) for a in ("_evaluate", "sim", "image")) else 1)'; then
  echo "docs/python-example.py: not run (this build leaves out eval, sim or imaging)"
  exit 0
fi
cd "$tmp"
cp "$src/data/pbc.csv" .
MEDGEN_EXAMPLE_EPOCHS=2 "$py" "$src/docs/python-example.py" >"$tmp/example.out"
echo "docs/python-example.py: ok ($(wc -l <"$tmp/example.out") lines of output)"
