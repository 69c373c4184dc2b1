# Type hints for medgen.image.
import os
from typing import Any, Dict, Tuple, Union

import numpy as np
import numpy.typing as npt

PathLike = Union[str, os.PathLike[str]]

class Image:
    array: npt.NDArray[np.float32]  # indexed [i, j, k], Fortran order
    spacing: Tuple[float, float, float]
    origin: Tuple[float, float, float]
    direction: npt.NDArray[np.float64]  # 3x3, columns are the i, j, k axes (LPS)
    modality: str
    meta: Dict[str, str]
    format: str
    source: str
    def __init__(
        self,
        array: npt.ArrayLike,
        spacing: Tuple[float, float, float] = ...,
        origin: Tuple[float, float, float] = ...,
        direction: npt.ArrayLike = ...,
        modality: str = ...,
        meta: Dict[str, str] = ...,
        format: str = ...,
        source: str = ...,
    ) -> None: ...
    @property
    def affine(self) -> npt.NDArray[np.float64]: ...

def read(path: PathLike) -> Image: ...
def write(path: PathLike, image: Union[Image, npt.ArrayLike], *, anonymize: bool = ..., **geometry: Any) -> None: ...
