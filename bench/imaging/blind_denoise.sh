#!/usr/bin/env bash
# Blind denoising (issue 24): trains one blind denoiser on the packaged training scans and
# evaluates it on the evaluation-only images (never trained or tuned on) against non-local means
# with an estimated sigma and, for low-dose CT, the best classical filter. Reproducible from the
# seed; the figures in docs/imaging.md come from this script.
#
#   bench/imaging/blind_denoise.sh [MEDGEN] [OUT_DIR] [STEPS]
#   MEDGEN default build/medgen; OUT_DIR default blind-bench; STEPS default 6000.
#   An existing OUT_DIR/blind.medgen is reused (delete it to retrain).
# Needs the Debian packages mricron-data, invesalius-examples, python3-pydicom, python3-nibabel
# and insighttoolkit5-examples.
set -euo pipefail
B=${1:-build/medgen}
OUT=${2:-blind-bench}
STEPS=${3:-6000}
SEED=1
mkdir -p "$OUT"

T=/usr/share/mricron/templates
PD=/usr/lib/python3/dist-packages/pydicom/data/test_files
NB=/usr/lib/python3/dist-packages/nibabel/tests/data
ITK=/usr/share/doc/insighttoolkit5-examples/examples/Data

# Training scans: MR (T1, EPI) and CT of several subjects, in NIfTI, DICOM, InVesalius and PNG.
TRAIN=(
  "$T/ch2.nii.gz"                                   # Colin27 T1, 1 mm (mricron-data)
  "$T/ch2better.nii.gz"                             # Colin27 T1, 0.5 mm (mricron-data)
  /usr/share/doc/invesalius-examples/examples/Cranium.inv3   # head CT (invesalius-examples)
  "$PD/693_J2KI.dcm"                                # head CT slice, 512 x 512 (python3-pydicom)
  "$NB/example4d.nii.gz"                            # EPI fMRI, first volume (python3-nibabel)
  "$NB/anatomical.nii"                              # T1, 2 mm (python3-nibabel)
  "$ITK/KmeansTest_T1UCharRaw.nii.gz"               # T1, 2 x 2 x 3 mm (insighttoolkit5-examples)
  "$ITK/FatMRISlice.png"                            # MR slice (insighttoolkit5-examples)
)
# Evaluation-only: BrainWeb slices (each distinct image once: no Border20, R10X13Y17, 256x256,
# shifted or rotated variants), pydicom's MR_small variants (deduplicated by pixels) and CT_small.
EVAL_MR=("$ITK/BrainProtonDensitySlice.png" "$ITK/BrainT1Slice.png" "$ITK/BrainMidSagittalSlice.png" "$PD"/MR_small*.dcm)
EVAL_CT=("$PD/CT_small.dcm")

if [ ! -f "$OUT/blind.medgen" ]; then
  data=()
  for f in "${TRAIN[@]}"; do data+=(--data "$f"); done
  "$B" image train --model denoise --noise gaussian,rician,poisson --noise-level 0.01:0.15 "${data[@]}" \
    --steps "$STEPS" --threads 1 --seed "$SEED" --output "$OUT/blind.medgen" --quiet > "$OUT/train.json"
fi
"$B" image evaluate --model "$OUT/blind.medgen" --images "${EVAL_MR[@]}" --noise rician --levels 0.05,0.1 \
  --seed "$SEED" --threads 1 --quiet > "$OUT/eval-mr-rician.json"
"$B" image evaluate --model "$OUT/blind.medgen" --images "${EVAL_MR[@]}" --noise gaussian --levels 0.05,0.1 \
  --seed "$SEED" --threads 1 --quiet > "$OUT/eval-mr-gaussian.json"
# Low-dose CT: Poisson peaks 2000 (~47 HU in soft tissue) and 500 (~94 HU).
"$B" image evaluate --model "$OUT/blind.medgen" --images "${EVAL_CT[@]}" --noise poisson --levels 2000,500 \
  --classical --seed "$SEED" --threads 1 --quiet > "$OUT/eval-ct-poisson.json"
/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
for name in ["eval-mr-rician", "eval-mr-gaussian", "eval-ct-poisson"]:
    r = json.load(open(os.path.join(out, name + ".json")))
    print(f"## {name} (noise {r['noise']}, seed {r['seed']})")
    dups = {os.path.basename(i['path']): [os.path.basename(d) for d in i['duplicates']] for i in r['images']}
    print("images:", ", ".join(f"{k} (+{len(v)} identical)" if v else k for k, v in dups.items()))
    for lv in r["levels"]:
        cls = "best_classical" in lv["mean"]
        hdr = "| image | level | noisy | NLM, estimated sigma (sigma_est) | " + ("best classical | " if cls else "") + "blind model |"
        print(hdr)
        print("|" + "---|" * (hdr.count("|") - 1))
        rows = lv["results"] + [dict(lv["mean"], image="mean")]
        for row in rows:
            f = lambda s: f"{s['psnr_db']:.2f} / {s['ssim']:.3f}"
            cells = [os.path.basename(row["image"]), f"{lv['level']:g}", f(row["noisy"]),
                     f(row["nlm_estimated_sigma"]) + f" ({row['nlm_estimated_sigma']['sigma_est']:.4f})"]
            if cls:
                b = row["best_classical"]
                cells.append(f(b) + (f" {b['method']} {b['param']}" if "method" in b else ""))
            cells.append(f(row["model"]))
            print("| " + " | ".join(cells) + " |")
        g = f"gain over NLM-estimated-sigma {lv['gain_over_nlm_estimated_sigma_db']:+.2f} dB"
        if cls:
            g += f", over the best classical filter {lv['gain_over_best_classical_db']:+.2f} dB"
        print(g + "\n")
PY
