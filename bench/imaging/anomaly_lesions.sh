#!/usr/bin/env bash
# Anomaly maps against realistic synthetic lesions (issue 24, item 5): a DAE trained on normal
# anatomy, evaluated on held-out slices with blobs, brain-tumour-like masses (mass effect,
# oedema, ring enhancement) on MRI, and acute haemorrhages on CT (HU, oedema rim, mass effect),
# at pixel level (AUROC, AUPRC, best Dice) and slice level. One JSON line per evaluation on
# stdout; the figures in docs/imaging.md come from this script.
#
#   bench/imaging/anomaly_lesions.sh [MEDGEN] [OUT_DIR] [STEPS]
#   MEDGEN default build/medgen; OUT_DIR default anomaly-bench; STEPS default 1500 (the DAE's).
#   Existing OUT_DIR/dae-*.medgen models are reused (delete them to retrain).
# Needs the Debian packages mricron-data and invesalius-examples.
set -euo pipefail
B=${1:-build/medgen}
OUT=${2:-anomaly-bench}
STEPS=${3:-1500}
THREADS=${THREADS:-2}
REPEATS=${REPEATS:-4}
mkdir -p "$OUT"
MR=/usr/share/mricron/templates/ch2bet.nii.gz          # Colin27 T1, brain-extracted
CT=/usr/share/doc/invesalius-examples/examples/Cranium.inv3   # head CT

train() {  # model file, then data options
  local model=$1; shift
  if [ ! -f "$model" ]; then
    "$B" image train --model dae "$@" --output "$model" --steps "$STEPS" --threads "$THREADS" --seed 1 -q >/dev/null
  fi
}
evaluate() {  # name, model, lesion kind, then data options
  local name=$1 model=$2 kind=$3; shift 3
  "$B" image anomaly --model "$model" "$@" --lesions "$kind" --repeats "$REPEATS" --seed 1 \
    --threads "$THREADS" --png-dir "$OUT/$name-$kind" -q \
    | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); j["data"]=sys.argv[1]; print(json.dumps(j))' "$name"
}

train "$OUT/dae-mr.medgen" --data "$MR"
for kind in blob tumour; do evaluate mr "$OUT/dae-mr.medgen" "$kind" --data "$MR"; done
train "$OUT/dae-ct.medgen" --data "$CT" --window brain
for kind in blob haemorrhage; do evaluate ct "$OUT/dae-ct.medgen" "$kind" --data "$CT" --window brain; done
