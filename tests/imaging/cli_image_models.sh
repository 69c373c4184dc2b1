#!/usr/bin/env bash
# medgen image train|sample|evaluate|enhance|anomaly|degrade through the CLI, with tiny models
# on Colin27 (seconds): outputs keep the input's geometry, and bad options or files give one
# line and exit 2 with no output left behind.
set -u
medgen="$1"
ch2=/usr/share/mricron/templates/ch2.nii.gz

. "$(dirname "$0")/../cli/lib.sh"

check() {  # NAME PATTERN FILE
  if grep -Eq -- "$2" "$3"; then echo "ok   $1"; else
    echo "FAIL $1: /$2/ not in $(head -c 600 "$3")"
    fails=$((fails + 1))
  fi
}

if [ -f "$ch2" ]; then
  q=(--quiet --seed 3)
  expect_ok "train denoise" "$medgen" image train --model denoise --data "$ch2" --output "$tmp/dn.mdl" \
    --steps 30 --depth 3 --width 8 --patch 32 --noise rician --noise-level 0.05 "${q[@]}"
  check "denoise summary" '"model": "denoise"' "$tmp/stdout"
  expect_ok "degrade" "$medgen" image degrade --input "$ch2" --output "$tmp/noisy.nii.gz" --noise rician --noise-level 0.05
  expect_ok "enhance with reference" "$medgen" image enhance --model "$tmp/dn.mdl" --input "$tmp/noisy.nii.gz" \
    --output "$tmp/den.nii.gz" --reference "$ch2" "${q[@]}"
  check "enhance reports PSNR" '"output_psnr_db"' "$tmp/stdout"
  expect_ok "info denoised" "$medgen" image info "$tmp/den.nii.gz"
  check "denoised keeps dims" "dims +181 x 217 x 181" "$tmp/stdout"
  check "denoised keeps spacing" "spacing +1 x 1 x 1 mm" "$tmp/stdout"

  expect_ok "train sr" "$medgen" image train --model sr --scale 2 --data "$ch2" --output "$tmp/sr.mdl" \
    --steps 20 --depth 3 --width 8 --patch 32 "${q[@]}"
  expect_ok "enhance sr" "$medgen" image enhance --model "$tmp/sr.mdl" --input "$ch2" --output "$tmp/sr.nii.gz" "${q[@]}"
  expect_ok "info sr" "$medgen" image info "$tmp/sr.nii.gz"
  check "sr doubles in-plane dims" "dims +362 x 434 x 181" "$tmp/stdout"
  check "sr halves in-plane spacing" "spacing +0.5 x 0.5 x 1 mm" "$tmp/stdout"

  expect_ok "train vae" "$medgen" image train --model vae --size 32 --channels 8 --latent 8 --steps 20 \
    --data "$ch2" --output "$tmp/vae.mdl" "${q[@]}"
  check "vae calibrated for anomalies" '"pixel_threshold"' "$tmp/stdout"
  expect_ok "sample png" "$medgen" image sample --model "$tmp/vae.mdl" --n 9 --output "$tmp/s.png" "${q[@]}"
  expect_ok "sample nii" "$medgen" image sample --model "$tmp/vae.mdl" --n 5 --output "$tmp/s.nii.gz" "${q[@]}"
  expect_ok "info samples" "$medgen" image info "$tmp/s.nii.gz"
  check "5 samples of 32x32" "dims +32 x 32 x 5" "$tmp/stdout"
  mkdir -p "$tmp/png"
  expect_ok "anomaly map" "$medgen" image anomaly --model "$tmp/vae.mdl" --input "$ch2" --output "$tmp/map.nii.gz" \
    --png-dir "$tmp/png" "${q[@]}"
  check "per-slice scores" '"score"' "$tmp/stdout"
  expect_ok "info map" "$medgen" image info "$tmp/map.nii.gz"
  check "map in the input's geometry" "dims +181 x 217 x 181" "$tmp/stdout"
  [ "$(ls "$tmp/png" | wc -l)" -ge 1 ] && echo "ok   overlays written" || { echo "FAIL no overlays"; fails=$((fails + 1)); }
  expect_ok "anomaly lesion evaluation" "$medgen" image anomaly --model "$tmp/vae.mdl" --data "$ch2" "${q[@]}"
  check "slice AUROC reported" '"slice_auroc"' "$tmp/stdout"
  expect_ok "tumour lesion evaluation" "$medgen" image anomaly --model "$tmp/vae.mdl" --data "$ch2" --lesions tumour \
    --repeats 1 "${q[@]}"
  check "best Dice reported" '"pixel_dice_best"' "$tmp/stdout"
  check "lesion kind recorded" '"kind": "tumour"' "$tmp/stdout"
  expect_error "haemorrhage on MRI" "haemorrhage lesions need a CT volume" \
    "$medgen" image anomaly --model "$tmp/vae.mdl" --data "$ch2" --lesions haemorrhage
  expect_error "unknown lesion kind" "unknown lesion kind 'cyst'" \
    "$medgen" image anomaly --model "$tmp/vae.mdl" --data "$ch2" --lesions cyst
  expect_error "absurd mass effect" "--mass-effect" \
    "$medgen" image anomaly --model "$tmp/vae.mdl" --data "$ch2" --lesions tumour --mass-effect 2

  expect_error "unknown model kind" "--model: expected vae, gan, dae, denoise or sr" \
    "$medgen" image train --model unet --data "$ch2" --output "$tmp/out.mdl"
  expect_error "bad size" "--size: expected" "$medgen" image train --model vae --size 50 --data "$ch2" --output "$tmp/out.mdl"
  expect_error "absurd noise level" "--noise-level" \
    "$medgen" image train --model denoise --noise-level 3 --data "$ch2" --output "$tmp/out.mdl"
  # Blind denoising: a range, a mix, several inputs.
  expect_error "noise range min > max" "minimum \\(0.12\\) is above its maximum \\(0.02\\)" \
    "$medgen" image train --model denoise --noise-level 0.12:0.02 --data "$ch2" --output "$tmp/out.mdl"
  expect_error "negative sigma" "--noise-level: must not be negative" \
    "$medgen" image train --model denoise --noise-level -0.05 --data "$ch2" --output "$tmp/out.mdl"
  expect_error "negative sigma in a range" "--noise-level: must not be negative" \
    "$medgen" image train --model denoise --noise-level 0.02:-0.1 --data "$ch2" --output "$tmp/out.mdl"
  expect_error "range not a number" "--noise-level: expected a number" \
    "$medgen" image train --model denoise --noise-level 0.02:x --data "$ch2" --output "$tmp/out.mdl"
  expect_error "unknown noise in a mix" "unknown noise 'speckle'" \
    "$medgen" image train --model denoise --noise rician,speckle --data "$ch2" --output "$tmp/out.mdl"
  expect_error "missing --data file among several" "$tmp/absent.nii.gz" \
    "$medgen" image train --model denoise --noise-level 0.02:0.1 --data "$ch2" --data "$tmp/absent.nii.gz" \
    --output "$tmp/out.mdl"
  expect_error "evaluate needs --data or --images" "give --data .* or --images" \
    "$medgen" image evaluate --model "$tmp/dn.mdl"
  expect_ok "train blind on two inputs" "$medgen" image train --model denoise --noise gaussian,rician \
    --noise-level 0.02:0.12 --data "$ch2" --data /usr/share/mricron/templates/ch2bet.nii.gz --output "$tmp/blind.mdl" \
    --steps 10 --depth 3 --width 8 --patch 32 "${q[@]}"
  expect_ok "info of the blind model" "$medgen" image info "$tmp/blind.mdl"
  check "info shows the range" 'blind +noise \["gaussian","rician"\], level 0.02..0.12' "$tmp/stdout"
  expect_error "bad loss" "--loss: expected minimax or wgan-gp" \
    "$medgen" image train --model gan --loss hinge --data "$ch2" --output "$tmp/out.mdl"
  expect_error "anomaly from a denoiser" "anomaly needs a vae or dae" \
    "$medgen" image anomaly --model "$tmp/dn.mdl" --input "$ch2" --output "$tmp/out.nii.gz"
  expect_error "sample from a denoiser" "cannot sample" "$medgen" image sample --model "$tmp/dn.mdl" --output "$tmp/out.png"
  expect_error "sample to .txt" "sample output must be" "$medgen" image sample --model "$tmp/vae.mdl" --output "$tmp/out.txt"
  echo "not a model" >"$tmp/fake.mdl"
  expect_error "not a model file" "fake.mdl" "$medgen" image sample --model "$tmp/fake.mdl" --output "$tmp/out.png"
  expect_error "tiny volume" "too few slices" \
    "$medgen" image train --model vae --data /usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm \
    --output "$tmp/out.mdl"
else
  echo "skip: $ch2 missing (Debian package mricron-data)"
fi

if [ "$fails" -ne 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "all image-model CLI checks passed"
