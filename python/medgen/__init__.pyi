# Type hints for the package medgen (docs/python.md).
import os
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Union

import pandas as pd

from . import image as image
from . import sim as sim

__version__: str

PathLike = Union[str, os.PathLike[str]]
Schema = Union[None, Dict[str, Any], PathLike]
# progress=None: shown when a person watches (terminal or notebook); False: never; True: always;
# a callable: callback(kind, task, done, total, detail, elapsed_s), kind "begin"|"update"|"stage"|"end".
ProgressArg = Union[None, bool, Callable[[str, str, int, int, str, float], None]]

class Error(RuntimeError): ...
class InvalidInput(ValueError): ...
class IoError(OSError): ...
class ModelFormat(ValueError): ...

def check_torch() -> None: ...
def synthesizers() -> Dict[str, str]: ...
def infer_schema(df: pd.DataFrame) -> Dict[str, Any]: ...
def read_csv(path: PathLike, schema: Schema = ...) -> pd.DataFrame: ...
def to_csv(df: pd.DataFrame, schema: Schema = ...) -> str: ...

class Synthesizer:
    seed: int
    threads: int
    progress: ProgressArg
    checkpoint: Optional[PathLike]
    fit_info: Dict[str, Any]
    def __init__(
        self,
        name: str = ...,
        *,
        seed: int = ...,
        threads: int = ...,
        progress: ProgressArg = ...,
        checkpoint: Optional[PathLike] = ...,
        **params: Any,
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def params(self) -> Dict[str, Any]: ...
    @property
    def fitted(self) -> bool: ...
    @property
    def schema(self) -> Dict[str, Any]: ...
    @property
    def summary(self) -> Dict[str, Any]: ...
    @property
    def header(self) -> Dict[str, Any]: ...
    @property
    def checkpoint_path(self) -> str: ...
    def fit(self, df: pd.DataFrame, schema: Schema = ..., *, resume: bool = ..., source: str = ...) -> Synthesizer: ...
    def sample(
        self,
        n: int,
        conditions: Optional[Mapping[str, Any]] = ...,
        balance: Optional[str] = ...,
        *,
        seed: Optional[int] = ...,
    ) -> pd.DataFrame: ...
    def sample_csv(
        self,
        path: PathLike,
        n: int,
        conditions: Optional[Mapping[str, Any]] = ...,
        balance: Optional[str] = ...,
        *,
        seed: Optional[int] = ...,
        chunk_rows: int = ...,
    ) -> int: ...
    def save(self, path: PathLike, *, reproducible: bool = ...) -> None: ...

def load(path: PathLike, *, seed: int = ..., threads: int = ..., progress: ProgressArg = ...) -> Synthesizer: ...
def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: Optional[pd.DataFrame] = ...,
    target: Optional[str] = ...,
    *,
    schema: Schema = ...,
    sensitive: Sequence[str] = ...,
    quasi: Sequence[str] = ...,
    detection: bool = ...,
    gate: Union[None, Dict[str, Any], PathLike] = ...,
    html: Optional[PathLike] = ...,
    json: Optional[PathLike] = ...,
    seed: int = ...,
    threads: int = ...,
) -> Dict[str, Any]: ...
