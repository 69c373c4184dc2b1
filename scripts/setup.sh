#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for building medgen. Idempotent: installs only what is
# missing, and selects OpenBLAS (OpenMP build) for BLAS and LAPACK, which LibTorch links.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config
  libtorch-dev libgloo-dev libopenblas0-openmp liblapack-dev
  libxgboost-dev libsundials-dev chromium chromium-driver
  libgdcm-dev libnifti2-dev libpng-dev mricron-data invesalius-examples python3-pydicom
  insighttoolkit5-examples python3-nibabel
  nlohmann-json3-dev libcli11-dev libgtest-dev libssl-dev
  libboost-dev libsqlite3-dev libsodium-dev libpqxx-dev postgresql libarchive-dev
  libxapian-dev libhpdf-dev liblinear-dev libkainjow-mustache-dev hunspell-en-med hunspell-en-us python3-fake-factory php-faker
  libcurl4-openssl-dev coinor-libcbc-dev nodejs
  python3-dev python3-numpy python3-pandas pybind11-dev pybind11-json-dev
)
# Not installed: r-base-core, r-cran-epiestim, r-cran-surveillance. Only scripts/epi/export_epi_data.R
# needs them, to remake the committed outbreak series in data/epi/ (data/epi/PROVENANCE.md).
# `scripts/setup.sh --fuzz` (make fuzz, make test-slow) adds clang with its sanitizer and
# libFuzzer runtimes (Debian's clang recommends but does not pull them in).
fuzz_packages=(clang libclang-rt-14-dev)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=("${fuzz_packages[@]}") ;;
    *) echo "setup: unknown option '$arg' (known: --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch links whatever libblas.so.3 the system points at; the reference BLAS made a small
# training step 18x slower than OpenBLAS here.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target="/usr/lib/${arch}/openblas-openmp/${lib}"
  name="${lib}-${arch}"
  if [ -e "$target" ]; then
    current=$(update-alternatives --query "$name" 2>/dev/null | awk '/^Value:/{print $2}')
    if [ "$current" != "$target" ]; then
      $SUDO update-alternatives --set "$name" "$target" >/dev/null
      echo "setup: $lib -> $target"
    fi
  fi
done

# The test-only FHIR R4 schema validator (npm: ajv and the official R4 JSON schema, pinned):
# installed where node and npm are present; without it the FHIR schema tests say SKIP.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  timeout 300 "$(dirname "$0")/setup-fhir-validator.sh" >/dev/null 2>&1 ||
    echo "setup: the FHIR schema validator could not be installed (npm registry unreachable?); its tests will skip" >&2
fi
