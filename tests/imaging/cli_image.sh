#!/usr/bin/env bash
# medgen image through the CLI: info, convert, preview on the Debian data files, and bad
# inputs (one stderr line, exit 2, no partial output). Steps whose data package is absent are
# skipped with a note.
set -u
medgen="$1"
ch2=/usr/share/mricron/templates/ch2.nii.gz
pyd=/usr/lib/python3/dist-packages/pydicom/data/test_files
cranium=/usr/share/doc/invesalius-examples/examples/Cranium.inv3

. "$(dirname "$0")/../cli/lib.sh"


# check NAME PATTERN FILE: FILE matches PATTERN
check() {
  if grep -Eq -- "$2" "$3"; then echo "ok   $1"; else
    echo "FAIL $1: /$2/ not in $(head -c 600 "$3")"
    fails=$((fails + 1))
  fi
}

if [ -f "$ch2" ]; then
  expect_ok "info ch2 --json" "$medgen" image info "$ch2" --json
  check "ch2 dims" '"dims": \[' "$tmp/stdout"
  check "ch2 orientation" '"orientation": "RAS"' "$tmp/stdout"
  expect_ok "convert ch2 -> DICOM series" "$medgen" image convert "$ch2" "$tmp/ch2dcm"
  [ "$(ls "$tmp/ch2dcm" | wc -l)" -eq 181 ] && echo "ok   181 slices" || { echo "FAIL slice count"; fails=$((fails + 1)); }
  expect_ok "convert series -> nii.gz" "$medgen" image convert "$tmp/ch2dcm" "$tmp/back.nii.gz"
  expect_ok "info back" "$medgen" image info "$tmp/back.nii.gz"
  check "back dims" "dims +181 x 217 x 181" "$tmp/stdout"
  check "back origin" "origin +90 x 125 x -71 mm" "$tmp/stdout"
  expect_ok "preview sagittal" "$medgen" image preview "$ch2" "$tmp/sag.png" --axis sagittal --slice 90
  expect_ok "preview info" "$medgen" image info "$tmp/sag.png"
  check "sagittal preview size" "dims +217 x 181 x 1" "$tmp/stdout"
  # Issue 25: an output folder with a trailing slash, and missing parents, as the README shows.
  expect_ok "convert ch2 -> new/ch2-dicom/ (trailing slash, missing parent)" "$medgen" image convert "$ch2" "$tmp/new/ch2-dicom/"
  [ "$(ls "$tmp/new/ch2-dicom" | wc -l)" -eq 181 ] && [ "$(ls "$tmp/new" | wc -l)" -eq 1 ] &&
    echo "ok   181 slices, no temporary left" || { echo "FAIL trailing-slash series: $(ls "$tmp/new")"; fails=$((fails + 1)); }
  # Issue 11: read limits from the environment; a NIfTI dim[0] of 515 refused before nifticlib.
  expect_error "MEDGEN_MAX_IMAGE_BYTES" "ch2.nii.gz: the image has 7109137 voxels, more than the limit" \
    env MEDGEN_MAX_IMAGE_BYTES=1M "$medgen" image info "$ch2"
  expect_error "bad MEDGEN_MAX_IMAGE_BYTES" "MEDGEN_MAX_IMAGE_BYTES: expected a number" \
    env MEDGEN_MAX_IMAGE_BYTES=lots "$medgen" image info "$ch2"
  gzip -dc "$ch2" >"$tmp/dim0.nii"
  printf '\003\002' | dd of="$tmp/dim0.nii" bs=1 seek=40 conv=notrunc 2>/dev/null  # dim[0] = 515
  expect_error "NIfTI dim[0] 515" "dim0.nii: NIfTI dim\[0\] is 515" "$medgen" image preview "$tmp/dim0.nii" "$tmp/out.png"
  expect_error "slice out of range" "slice 500 is out of range" "$medgen" image preview "$ch2" "$tmp/out.png" --slice 500
  expect_error "existing folder" "already exists" "$medgen" image convert "$ch2" "$tmp/ch2dcm"
else
  echo "skip ch2 steps: $ch2 missing (Debian package mricron-data)"
fi

if [ -f "$pyd/CT_small.dcm" ]; then
  expect_ok "info CT_small" "$medgen" image info "$pyd/CT_small.dcm"
  check "CT in HU" "min -896, max 1167.*\(HU\)" "$tmp/stdout"
  check "patient id" "PatientID +1CT1" "$tmp/stdout"
  expect_ok "convert --anonymize" "$medgen" image convert "$pyd/CT_small.dcm" "$tmp/anon.dcm" --anonymize
  expect_ok "info anonymized" "$medgen" image info "$tmp/anon.dcm" --json
  check "anonymized name" '"PatientName": "ANONYMOUS"' "$tmp/stdout"
  if grep -aq "CompressedSamples\|1CT1\|JFK IMAGING" "$tmp/anon.dcm"; then
    echo "FAIL anonymized file still holds identifiers"; fails=$((fails + 1))
  else echo "ok   no identifiers left in the bytes"; fi
  expect_ok "preview lung window" "$medgen" image preview "$pyd/CT_small.dcm" "$tmp/ct.png" --window lung
  expect_ok "jpeg2000 info" "$medgen" image info "$pyd/MR_small_jp2klossless.dcm"
  head -c 3000 "$pyd/CT_small.dcm" >"$tmp/cut.dcm"
  expect_error "truncated DICOM" "cut.dcm: not a valid DICOM file.*truncated" "$medgen" image convert "$tmp/cut.dcm" "$tmp/out.nii.gz"
  expect_error "bad window" "unknown window 'liver'" "$medgen" image preview "$pyd/CT_small.dcm" "$tmp/out.png" --window liver
  expect_error "bad axis" "unknown axis 'oblique'" "$medgen" image preview "$pyd/CT_small.dcm" "$tmp/out.png" --axis oblique
  expect_error "unwritable format" "cannot write this format" "$medgen" image convert "$pyd/CT_small.dcm" "$tmp/out.jpg"
  # BitsAllocated 1 made GDCM abort(): refused by the pre-check with one line.
  /usr/bin/python3 - "$pyd/CT_small.dcm" "$tmp/bits1.dcm" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"\x28\x00\x00\x01US\x02\x00")
b[i + 8:i + 10] = (1).to_bytes(2, "little")
open(sys.argv[2], "wb").write(b)
PY
  expect_error "DICOM BitsAllocated 1" "bits1.dcm: BitsAllocated 1 is not supported" "$medgen" image convert "$tmp/bits1.dcm" "$tmp/out.nii"
  [ -f "$pyd/rtdose_1frame.dcm" ] &&
    expect_error "GDCM assertion is an error" "rtdose_1frame.dcm: " "$medgen" image info "$pyd/rtdose_1frame.dcm"
else
  echo "skip DICOM steps: $pyd missing (Debian package python3-pydicom)"
fi

if [ -f "$cranium" ]; then
  expect_ok "preview Cranium bone" "$medgen" image preview "$cranium" "$tmp/cranium.png" --window bone
  expect_ok "convert Cranium -> nii.gz" "$medgen" image convert "$cranium" "$tmp/cranium.nii.gz"
  # 0.957 x 0.957 x 1.5 mm voxels: coronal and sagittal previews in square millimetre pixels
  # (108 slices x 1.5 / 0.957 = 169 rows), not squashed to 108.
  for ax in coronal sagittal; do
    expect_ok "preview Cranium $ax" "$medgen" image preview "$cranium" "$tmp/cranium-$ax.png" --axis $ax --window bone
    expect_ok "preview Cranium $ax info" "$medgen" image info "$tmp/cranium-$ax.png"
    check "Cranium $ax preview in millimetre proportions" "dims +256 x 169 x 1" "$tmp/stdout"
  done
else
  echo "skip InVesalius steps: $cranium missing (Debian package invesalius-examples)"
fi

echo "not an image" >"$tmp/text.nii.gz"
expect_error "text named .nii.gz" "text.nii.gz: not a NIfTI file" "$medgen" image convert "$tmp/text.nii.gz" "$tmp/out.nii"
echo "GIF89a" >"$tmp/fake.png"
expect_error "not a PNG" "fake.png: not a PNG file" "$medgen" image info "$tmp/fake.png"
expect_error "missing input" "nope.nii: cannot open" "$medgen" image info "$tmp/nope.nii"

if [ "$fails" -ne 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "all imaging CLI checks passed"
