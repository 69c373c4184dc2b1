#!/usr/bin/python3
"""Checks medgen's blind baseline (`medgen image enhance --nlm`: non-local means with the noise
sigma estimated from the image) against scikit-image's estimate_sigma + denoise_nl_means
(fast_mode, h = 0.8 sigma, patch_size 5, patch_distance 6) on a few noisy images. A one-off
check, not a dependency of the project: needs python3-skimage and python3-nibabel.

    /usr/bin/python3 bench/imaging/skimage_nlm_check.py [MEDGEN]

Prints one JSON line per image and noise level: both sigma estimates, both PSNRs against the
clean image and the PSNR of medgen's output against scikit-image's.
"""
import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
from skimage import io as skio
from skimage.restoration import denoise_nl_means, estimate_sigma

medgen = sys.argv[1] if len(sys.argv) > 1 else "build/medgen"
itk = "/usr/share/doc/insighttoolkit5-examples/examples/Data"
images = {
    "BrainT1Slice": os.path.join(itk, "BrainT1Slice.png"),
    "BrainProtonDensitySlice": os.path.join(itk, "BrainProtonDensitySlice.png"),
    "FatMRISlice": os.path.join(itk, "FatMRISlice.png"),
}


def grey01(path):
    a = skio.imread(path).astype(np.float64)
    if a.ndim == 3:  # luma, as medgen reads colour PNGs
        a = 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]
    return (a - a.min()) / (a.max() - a.min())


def psnr(a, b):
    return 10 * np.log10(1.0 / np.mean((a - b) ** 2))


rng = np.random.default_rng(1)
with tempfile.TemporaryDirectory() as tmp:
    for name, path in images.items():
        clean = grey01(path)
        for sigma in (0.05, 0.1):
            noisy = clean + sigma * rng.standard_normal(clean.shape)
            # NIfTI's first axis is the image's column: store the transpose. medgen works in the
            # volume's range window (min..max); NLM with an estimated sigma is scale-invariant, and
            # its sigma_est (window units) is scaled back below.
            f_in, f_out = os.path.join(tmp, "in.nii"), os.path.join(tmp, "out.nii")
            nib.save(nib.Nifti1Image(noisy.T[:, :, None].astype(np.float32), np.eye(4)), f_in)
            r = subprocess.run([medgen, "image", "enhance", "--nlm", "--input", f_in, "--output", f_out, "--quiet"],
                               capture_output=True, text=True, check=True)
            ours = np.asarray(nib.load(f_out).dataobj, dtype=np.float64)[:, :, 0].T
            s_sk = estimate_sigma(noisy.astype(np.float32))
            theirs = denoise_nl_means(noisy.astype(np.float32), h=0.8 * s_sk, sigma=s_sk, fast_mode=True,
                                      patch_size=5, patch_distance=6)
            lo, hi = noisy.min(), noisy.max()
            print(json.dumps({
                "image": name, "sigma": sigma,
                "sigma_est_skimage": round(float(s_sk), 6),
                "sigma_est_medgen": round(float(json.loads(r.stdout)["sigma_est"][0]) * (hi - lo), 6),
                "psnr_noisy_db": round(psnr(noisy, clean), 3),
                "psnr_skimage_db": round(psnr(theirs, clean), 3),
                "psnr_medgen_db": round(psnr(ours, clean), 3),
                "psnr_medgen_vs_skimage_db": round(psnr(ours, theirs), 2),
            }))
