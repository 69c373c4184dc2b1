"""Medical images as NumPy arrays with their geometry: DICOM (a file or a series folder),
NIfTI-1/2, PNG and InVesalius .inv3 in; NIfTI, DICOM and PNG out (the CLI's `medgen image`).

    img = medgen.image.read("/usr/share/mricron/templates/ch2.nii.gz")
    img.array.shape      # (181, 217, 181), indexed [i, j, k]
    img.affine           # voxel (i, j, k, 1) -> patient LPS millimetres
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

from . import _medgen

_image = _medgen.image

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class Image:
    """Voxels indexed [i, j, k] (float32; i along a row, fastest in memory: Fortran order) and
    where they lie: position(i, j, k) = origin + direction @ diag(spacing) @ (i, j, k), in DICOM
    patient coordinates (LPS, mm). CT is in Hounsfield units."""

    array: np.ndarray
    spacing: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    modality: str = "OT"
    meta: Dict[str, str] = field(default_factory=dict)
    format: str = ""
    source: str = ""

    @property
    def affine(self) -> np.ndarray:
        """4x4 matrix taking (i, j, k, 1) to patient LPS millimetres."""
        a = np.eye(4)
        a[:3, :3] = np.asarray(self.direction) @ np.diag(self.spacing)
        a[:3, 3] = self.origin
        return a


def read(path: PathLike) -> Image:
    """Reads any supported image. The array owns the reader's voxel buffer (no copy)."""
    voxels, spacing, origin, direction, modality, meta, fmt, source = _image._read(os.fspath(path))
    return Image(voxels, tuple(spacing), tuple(origin), direction, modality, dict(meta), fmt, source)


def write(path: PathLike, image: Union[Image, Any], *, anonymize: bool = False, **geometry: Any) -> None:
    """Writes by extension (.nii/.nii.gz NIfTI, .png a preview, .dcm one DICOM file, anything
    else a DICOM series folder), atomically. `image` is an Image or an array indexed [i, j(, k)]
    (then spacing=, origin=, direction=, modality=, meta= may be given)."""
    if not isinstance(image, Image):
        image = Image(np.asarray(image), **geometry)
    elif geometry:
        raise TypeError("write: geometry keywords are for a plain array; change the Image's fields instead")
    _image._write(
        os.fspath(path), image.array, tuple(image.spacing), tuple(image.origin), np.asarray(image.direction, dtype=float),
        image.modality, dict(image.meta), anonymize,
    )
