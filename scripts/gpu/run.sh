#!/usr/bin/env bash
# Builds medgen on the GPU machine and runs scripts/gpu/jobs.sh, if present.
#
#   bash scripts/gpu/run.sh [targets...]        (default targets: medgen bench_neural)
#
# Runs from the repository root, with .gpu/ carried over (scripts/gpu/prepare.sh makes it here).
# Writes $OUT/facts.txt (the machine), $OUT/build.log (configure + build) and whatever jobs.sh
# writes. Environment knobs: MEDGEN_SKIP_MODULES (default "sim;python": SUNDIALS and pybind11 are
# not in the sysroot), MEDGEN_CXX_STD (17 or 20; default: 20 only if the LibTorch headers demand it),
# MEDGEN_JOBS (default 16), MEDGEN_BUILD_DIR (default build-gpu), CXX (default g++).
# `source scripts/gpu/run.sh --source-only` defines the helpers and returns (prepare.sh --check).

ARCH=x86_64-linux-gnu

# restore_links SYSROOT: recreate the links listed in links.txt (idempotent).
restore_links() {
  local sr=$1 path target
  [ -f "$sr/links.txt" ] || return 0
  while read -r path target; do
    [ -n "$path" ] || continue
    mkdir -p "$(dirname "$sr/$path")"
    ln -sfn "$target" "$sr/$path"
  done <"$sr/links.txt"
}

# remove_links SYSROOT: back to the portable form (no links).
remove_links() {
  local sr=$1 path target
  [ -f "$sr/links.txt" ] || return 0
  while read -r path target; do
    [ -L "$sr/$path" ] && rm -f "$sr/$path"
  done <"$sr/links.txt"
  return 0
}

# sysroot_cmake_args SYSROOT [EXTRA_PREFIX]: fills the array SYSROOT_ARGS with the CMake options
# that make find_package/find_path/find_library take the sysroot's packages first, and link and
# run against its libraries (DT_RPATH, which also covers the libraries' own dependencies).
sysroot_cmake_args() {
  local sr=$1 extra=${2:-} lib="$1/usr/lib/$ARCH"
  SYSROOT_ARGS=(
    "-DCMAKE_PREFIX_PATH=$sr/usr;$lib/cmake${extra:+;$extra}"
    "-DCMAKE_INCLUDE_PATH=$sr/usr/include;$sr/usr/include/gdcm-3.0;$sr/usr/include/nifti"
    "-DCMAKE_LIBRARY_PATH=$lib"
    "-DOPENSSL_ROOT_DIR=$sr/usr"
    "-DZLIB_ROOT=$sr/usr"
    "-DPNG_ROOT=$sr/usr"
    # openssl/configuration.h lives in the multiarch include directory, which the target's
    # compiler searches by default only for its own system's headers.
    "-DCMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES=$sr/usr/include/$ARCH"
    "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$lib -Wl,--disable-new-dtags"
    "-DCMAKE_SHARED_LINKER_FLAGS=-Wl,-rpath-link,$lib -Wl,--disable-new-dtags"
  )
}

if [ "${1:-}" = "--source-only" ]; then
  return 0 2>/dev/null || exit 0
fi

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
SR="$ROOT/.gpu/sysroot"
SR_LIB="$SR/usr/lib/$ARCH"
B="${MEDGEN_BUILD_DIR:-build-gpu}"
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
JOBS="${MEDGEN_JOBS:-16}"
OUT="${OUT:-$B/out}"
mkdir -p "$OUT"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(medgen bench_neural)

phase() { echo; echo "=== [$(date -u +%H:%M:%S)] +${SECONDS}s: $*"; }
die() {
  echo
  echo "!!! run.sh FAILED (+${SECONDS}s): $*"
  echo "!!! run.sh FAILED: $*" >>"$OUT/facts.txt"
  exit 1
}

# ---------------------------------------------------------------- facts
phase "machine facts" | tee "$OUT/facts.txt"
need() { command -v "$1" >/dev/null 2>&1; }
# Tools that may live outside PATH on the image.
for d in /usr/local/cuda/bin /opt/torch/.venv/bin; do
  [ -d "$d" ] && case ":$PATH:" in *":$d:"*) ;; *) PATH="$PATH:$d" ;; esac
done
export PATH
CXX="${CXX:-g++}"
PY=python3
need "$PY" || PY=/opt/torch/.venv/bin/python3
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "repo: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (+ working tree)"
  echo "uname: $(uname -srm)"
  echo "nproc: $(nproc)   memory: $(free -g 2>/dev/null | awk '/Mem:/ {print $2 " GiB"}')"
  echo "--- /etc/os-release"; cat /etc/os-release 2>&1 | grep -E '^(PRETTY_NAME|ID|VERSION_ID)='
  echo "--- glibc: $(getconf GNU_LIBC_VERSION 2>&1)"
  echo "--- $CXX --version"; "$CXX" --version 2>&1 | head -1
  echo "--- cmake: $(cmake --version 2>&1 | head -1)"
  echo "--- ninja: $(ninja --version 2>&1 | head -1)"
  echo "--- nvcc: $(command -v nvcc || echo missing)"; nvcc --version 2>&1 | tail -2
  echo "--- nvidia-smi"; nvidia-smi 2>&1 | head -20
  echo "--- python: $(command -v "$PY") $("$PY" --version 2>&1)"
  "$PY" - <<'PY' 2>&1
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cuda available", torch.cuda.is_available(),
      "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)
print("cmake prefix", torch.utils.cmake_prefix_path)
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
PY
  echo "--- sysroot: $(du -sh .gpu 2>/dev/null | cut -f1) $(head -1 "$SR/MANIFEST.txt" 2>/dev/null)"
} 2>&1 | tee -a "$OUT/facts.txt"

missing=()
for t in "$CXX" cmake nvcc nvidia-smi; do need "$t" || missing+=("$t"); done
need "$PY" || missing+=(python3)
[ ${#missing[@]} -eq 0 ] || die "missing on this machine: ${missing[*]}"
[ -f "$SR/links.txt" ] || die ".gpu/sysroot is absent: run scripts/gpu/prepare.sh on the dev machine and carry [\".gpu\"]"
GEN=Ninja
need ninja || { GEN="Unix Makefiles"; echo "WARNING: no ninja; using Unix Makefiles" | tee -a "$OUT/facts.txt"; }

# The sysroot's libraries come from Debian 12: the target's C runtime and C++ library must be as new.
read -r need_glibc need_glibcxx <"$SR/needs.txt" || true
have_glibc=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
if [ -n "${need_glibc:-}" ] && [ "$(printf '%s\n%s\n' "$need_glibc" "$have_glibc" | sort -V | head -1)" != "$need_glibc" ]; then
  die "the sysroot's libraries need glibc $need_glibc; this machine has $have_glibc"
fi
libstdcxx=$("$CXX" -print-file-name=libstdc++.so.6)
if [ -n "${need_glibcxx:-}" ] && [ -e "$libstdcxx" ] && ! grep -aq "GLIBCXX_$need_glibcxx" "$(readlink -f "$libstdcxx")"; then
  die "the sysroot's libraries need GLIBCXX_$need_glibcxx, which $libstdcxx lacks"
fi

TORCH_PREFIX=$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) ||
  die "python3 cannot import torch"
TORCH_INC=$(cd "$(dirname "$TORCH_PREFIX")/.." && pwd)/include

# C++ standard: the project sets 17; LibTorch >= 2.13 headers refuse anything below 20
# (#error "C++20 or later compatible compiler is required"). 2.11 accepts 17.
STD="${MEDGEN_CXX_STD:-}"
if [ -z "$STD" ]; then
  if grep -qsE '#[[:space:]]*error.*C\+\+20 or later' "$TORCH_INC/ATen/ATen.h" "$TORCH_INC/torch/csrc/api/include/torch/all.h" \
       "$TORCH_INC/c10/util/C++17.h"; then
    STD=20
  else
    STD=17
  fi
fi
echo "C++ standard: $STD" | tee -a "$OUT/facts.txt"

# ---------------------------------------------------------------- configure
phase "configure $B" | tee -a "$OUT/facts.txt"
restore_links "$SR"
sysroot_cmake_args "$SR" "$TORCH_PREFIX"
NVCC=$(command -v nvcc)
extra=()
if [ "$STD" = 20 ]; then
  # CMakeLists.txt sets CMAKE_CXX_STANDARD 17 unconditionally: rewrite -std=c++17 to c++20 through a
  # compiler launcher rather than editing it.
  mkdir -p "$B"
  cat >"$B/cxx20-launcher.sh" <<'SH'
#!/bin/sh
for a; do
  shift
  case "$a" in -std=c++17) a=-std=c++20 ;; -std=gnu++17) a=-std=gnu++20 ;; esac
  set -- "$@" "$a"
done
exec "$@"
SH
  chmod +x "$B/cxx20-launcher.sh"
  extra+=("-DCMAKE_CXX_COMPILER_LAUNCHER=$B/cxx20-launcher.sh")
elif grep -qs '^CMAKE_CXX_COMPILER_LAUNCHER:.*cxx20-launcher' "$B/CMakeCache.txt"; then
  extra+=("-UCMAKE_CXX_COMPILER_LAUNCHER")
fi
export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
export CUDACXX="$NVCC"
: >"$OUT/build.log"
cmake -S . -B "$B" -G "$GEN" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$(command -v "$CXX")" \
  -DMEDGEN_USE_CUDA=ON \
  -DMEDGEN_BUILD_TESTS=OFF \
  -DMEDGEN_SKIP_MODULES="${MEDGEN_SKIP_MODULES-sim;python}" \
  -DCMAKE_CUDA_COMPILER="$NVCC" \
  -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCUDAToolkit_ROOT="$(dirname "$(dirname "$(readlink -f "$NVCC")")")" \
  "${SYSROOT_ARGS[@]}" "${extra[@]}" 2>&1 | tee -a "$OUT/build.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || {
  grep -nE 'CMake Error|error' "$OUT/build.log" | head -20
  die "cmake configure failed (see build.log)"
}
echo "--- resolved (CMakeCache.txt):" | tee -a "$OUT/facts.txt"
grep -iE '^[a-z0-9_]*(nlohmann|CLI11|GDCM|NIFTI|ZNZ|PNG|OPENSSL|ZLIB|Torch)[a-z0-9_]*:[A-Z]+=' "$B/CMakeCache.txt" |
  grep -vE 'NOTFOUND|^pkgcfg|^FIND_PACKAGE|^_|:INTERNAL=' | tee -a "$OUT/facts.txt"
grep -E '^CMAKE_CXX_COMPILER:|^CMAKE_CUDA_COMPILER:' "$B/CMakeCache.txt" | tee -a "$OUT/facts.txt"

# ---------------------------------------------------------------- build
# bench_neural loads libmedgen_tabular_nn.so at run time without depending on it.
if [[ " ${TARGETS[*]} " == *" bench_neural "* && " ${TARGETS[*]} " != *" medgen "* ]]; then
  TARGETS+=(medgen_tabular_nn)
fi
phase "build ${TARGETS[*]} (-j$JOBS)" | tee -a "$OUT/facts.txt"
keep=()
[ "$GEN" = Ninja ] && keep=(-- -k 0)   # one device run shows every failing file, not just the first
cmake --build "$B" --target "${TARGETS[@]}" -j "$JOBS" "${keep[@]}" 2>&1 | tee -a "$OUT/build.log"
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
  echo "--- first errors:"
  grep -nE 'error:|Error [0-9]|undefined reference|FAILED:' "$OUT/build.log" | head -30
  die "build failed (see build.log)"
fi
phase "build done" | tee -a "$OUT/facts.txt"

# ---------------------------------------------------------------- jobs
# For running: the built programs carry DT_RPATH to the sysroot; medgen_run also sets
# LD_LIBRARY_PATH for the child only (never export it: the sysroot's libz/libexpat/libcrypto are
# Debian 12's and must not replace this machine's for python3, cmake and the like).
medgen_run() { LD_LIBRARY_PATH="$SR_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
export MEDGEN_SYSROOT_LIB="$SR_LIB" MEDGEN_BUILD_DIR="$B" OUT
JOBS_FILE="${MEDGEN_GPU_JOBS:-scripts/gpu/jobs.sh}"
if [ -f "$JOBS_FILE" ]; then
  phase "jobs ($JOBS_FILE)" | tee -a "$OUT/facts.txt"
  # shellcheck source=/dev/null
  source "$JOBS_FILE"
  rc=$?
  phase "jobs done (rc $rc)" | tee -a "$OUT/facts.txt"
  exit "$rc"
fi
phase "done (no scripts/gpu/jobs.sh)"
