#!/usr/bin/env bash
# Builds .gpu/sysroot: the headers, CMake package configs and shared libraries that medgen needs
# besides LibTorch and CUDA, copied from this Debian 12 machine's installed packages (dpkg -L; no
# network), so that the build can run on a machine without these -dev packages (scripts/gpu/run.sh).
#
#   bash scripts/gpu/prepare.sh           build .gpu/sysroot (git-ignored through .git/info/exclude)
#   bash scripts/gpu/prepare.sh --check   then configure /tmp/gpu-check against the sysroot (with this
#                                         machine's LibTorch), check that every package resolved inside
#                                         .gpu/sysroot, build medgen_core and medgen_imaging (-j1), and
#                                         delete /tmp/gpu-check
#
# Portable form: the sysroot holds no symbolic links (a copy that dereferences or drops links would
# break them). Every link is listed in .gpu/sysroot/links.txt as "<path> <target>" (both relative to
# the sysroot) and run.sh recreates them with `restore_links` before configuring.
# Not included: SUNDIALS (module sim) and pybind11 (the Python package): run.sh leaves them out
# (MEDGEN_SKIP_MODULES="sim;python");
# GTest (tests are off there); OpenBLAS (nothing of ours links it:
# LibTorch brings its own BLAS).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GPU="$ROOT/.gpu"
SR="$GPU/sysroot"
ARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
LIB="usr/lib/$ARCH"
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

# Packages whose headers (and, for nlohmann_json and CLI11, CMake configs) the build needs.
DEV_PKGS=(nlohmann-json3-dev libcli11-dev libssl-dev zlib1g-dev libpng-dev
          libnifti2-dev libniftiio-dev libznz-dev libgdcm-dev libxgboost-dev)
# Packages whose shared libraries are linked or loaded; their ldd closure is added below.
RT_PKGS=(libssl3 zlib1g libpng16-16 libnifti2-2 libniftiio2 libznz3 libgdcm3.0 libxgboost0)
# CMake package configs to keep (the project uses find_path/find_library for GDCM and NIfTI).
CMAKE_CFG_PKGS=" nlohmann-json3-dev libcli11-dev "
# Never copied: the C runtime and the compiler's libraries, which the target machine has (newer).
EXCLUDE_RE='^(ld-linux.*|linux-vdso.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|libstdc\+\+|libgcc_s)\.so'

die() { echo "prepare.sh: $*" >&2; exit 1; }

for p in "${DEV_PKGS[@]}" "${RT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    die "package $p is not installed (scripts/setup.sh installs the build's packages)"
done

# /lib/<arch>/x and /usr/lib/<arch>/x are one directory on merged-/usr Debian: store both under usr/lib.
dest_of() {
  case "$1" in
    /lib/*) echo "$SR/usr$1" ;;
    *) echo "$SR$1" ;;
  esac
}

# copy_entry SRC: a file or a symlink, kept as it is (links are turned into links.txt at the end).
copy_entry() {
  local src=$1 dst
  dst=$(dest_of "$src")
  mkdir -p "$(dirname "$dst")"
  if [ -L "$src" ]; then
    local t
    t=$(readlink "$src")
    # Absolute targets (libz.so -> /lib/<arch>/libz.so.1.2.13): relative, within the sysroot.
    case "$t" in
      /*) t=$(realpath -m --relative-to="$(dirname "$dst")" "$(dest_of "$t")") ;;
    esac
    ln -sfn "$t" "$dst"
  elif [ -f "$src" ]; then
    cp -p "$src" "$dst"
  fi
}

rm -rf "$SR"
mkdir -p "$SR/$LIB"
manifest="$SR/MANIFEST.txt"
{
  echo "medgen GPU build sysroot, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "packages:"
  dpkg-query -W -f='  ${Package} ${Version}\n' "${DEV_PKGS[@]}" "${RT_PKGS[@]}"
} >"$manifest"

# 1. Headers, the .so development links and the chosen CMake configs of the -dev packages.
for p in "${DEV_PKGS[@]}"; do
  while IFS= read -r f; do
    [ -f "$f" ] || [ -L "$f" ] || continue   # directories are made as needed
    case "$f" in
      /usr/include/*) copy_entry "$f" ;;
      /usr/lib/$ARCH/*.so | /lib/$ARCH/*.so) copy_entry "$f" ;;
      /usr/share/cmake/* | /usr/lib/$ARCH/cmake/*)
        [[ "$CMAKE_CFG_PKGS" == *" $p "* ]] && copy_entry "$f" ;;
    esac
  done < <(dpkg -L "$p")
done

# 2. The runtime libraries (lib*.so.N[...] files and soname links) of the runtime packages.
for p in "${RT_PKGS[@]}"; do
  while IFS= read -r f; do
    case "$f" in
      /usr/lib/$ARCH/lib*.so.* | /lib/$ARCH/lib*.so.*) copy_entry "$f" ;;
    esac
  done < <(dpkg -L "$p")
done

# 3. Their dependency closure, from ldd, without the C runtime and the compiler's libraries.
added=1
while [ "$added" -gt 0 ]; do
  added=0
  while IFS= read -r so; do
    while read -r name path; do
      [ -n "$path" ] && [ -e "$path" ] || continue
      [[ "$name" =~ $EXCLUDE_RE ]] && continue
      [ -e "$SR/$LIB/$name" ] && continue
      real=$(readlink -f "$path")
      cp -p "$real" "$SR/$LIB/$(basename "$real")"
      [ "$(basename "$real")" != "$name" ] && ln -sfn "$(basename "$real")" "$SR/$LIB/$name"
      owner=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1 || true)
      [ -z "$owner" ] && owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1 || true)
      echo "  closure: $name ($owner $(dpkg-query -W -f='${Version}' "$owner" 2>/dev/null || true))" >>"$manifest"
      added=$((added + 1))
    done < <(ldd "$so" 2>/dev/null | awk '/=>/ {print $1, $3}')
  done < <(find "$SR/$LIB" -maxdepth 1 -type f -name '*.so*')
done

# 4. Every link must resolve inside the sysroot.
while IFS= read -r l; do
  [ -e "$l" ] || die "dangling link in the sysroot: ${l#$SR/} -> $(readlink "$l")"
done < <(find "$SR" -type l)

# 5. The CMake configs must be relocatable (paths relative to the config file, no /usr).
while IFS= read -r c; do
  if grep -nE '"/usr|[^_]/usr/(include|lib|share)' "$c" >/dev/null; then
    echo "prepare.sh: patching hard-coded /usr in ${c#$SR/}"
    rel=$(realpath -m --relative-to="$(dirname "$c")" "$SR/usr")
    sed -i "s|\"/usr/|\"\${CMAKE_CURRENT_LIST_DIR}/$rel/|g" "$c"
  fi
done < <(find "$SR" -name '*.cmake')

# 6. What the libraries ask of the target's C runtime and C++ library (run.sh checks them there).
glibc=$(find "$SR/$LIB" -type f -name '*.so*' -exec objdump -T {} + 2>/dev/null |
        grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
glibcxx=$(find "$SR/$LIB" -type f -name '*.so*' -exec objdump -T {} + 2>/dev/null |
          grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)
{
  echo "needs: ${glibc:-none} ${glibcxx:-none}"
  echo "libraries:"
  (cd "$SR/$LIB" && ls -1 | sed 's/^/  /')
} >>"$manifest"
echo "${glibc#GLIBC_} ${glibcxx#GLIBCXX_}" >"$SR/needs.txt"

# 7. Portable form: links to links.txt.
: >"$SR/links.txt"
while IFS= read -r l; do
  echo "${l#$SR/} $(readlink "$l")" >>"$SR/links.txt"
  rm "$l"
done < <(find "$SR" -type l | sort)

# git-ignored locally, without touching .gitignore.
exclude="$ROOT/.git/info/exclude"
if [ -d "$ROOT/.git" ]; then
  mkdir -p "$ROOT/.git/info"
  grep -qxF '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"
fi

# The real volumes the imaging benchmark reads (scripts/gpu/jobs.sh points it at them).
mkdir -p "$GPU/data"
cp /usr/share/mricron/templates/ch2.nii.gz /usr/share/mricron/templates/ch2bet.nii.gz /usr/share/doc/invesalius-examples/examples/Cranium.inv3 "$GPU/data/"

echo "prepare.sh: $(find "$SR" -type f | wc -l) files, $(wc -l <"$SR/links.txt") links (links.txt), needs ${glibc:-?} ${glibcxx:-?}"
du -sh "$GPU"
size_kb=$(du -sk "$GPU" | cut -f1)
[ "$size_kb" -le 53248 ] || echo "prepare.sh: WARNING: .gpu is over 52 MiB (carry allows 64 MiB in all)" >&2

[ "$CHECK" -eq 1 ] || exit 0

# ---- --check: configure against the sysroot here (this machine's LibTorch) and build light targets.
# shellcheck source=/dev/null
source "$ROOT/scripts/gpu/run.sh" --source-only
restore_links "$SR"
B=/tmp/gpu-check
rm -rf "$B"
trap 'rm -rf "$B"; remove_links "$SR"' EXIT
sysroot_cmake_args "$SR"
cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEDGEN_BUILD_TESTS=OFF \
  -DMEDGEN_SKIP_MODULES="sim;python" "${SYSROOT_ARGS[@]}"
echo "--- resolved packages (CMakeCache.txt):"
grep -iE '^[a-z0-9_]*(nlohmann|CLI11|GDCM|NIFTI|ZNZ|PNG|OPENSSL|ZLIB)[a-z0-9_]*:[A-Z]+=' "$B/CMakeCache.txt" |
  grep -vE 'NOTFOUND|^pkgcfg|^FIND_PACKAGE|^_|:INTERNAL=' | tee "$B/resolved.txt"
bad=$(grep -v "=$SR/" "$B/resolved.txt" || true)
[ -z "$bad" ] || die "resolved outside .gpu/sysroot:
$bad"
echo "--- all resolved inside .gpu/sysroot; building medgen_core medgen_imaging (-j1)"
cmake --build "$B" --target medgen_core medgen_imaging -j1
echo "prepare.sh --check: OK"
