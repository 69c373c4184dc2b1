"""medgen: synthetic patient tables, their evaluation, virtual patients and medical images, on
medgen's C++ engine (the same library as the `medgen` command; docs/python.md).

    import medgen, pandas as pd
    df = pd.read_csv("data/pbc.csv")
    model = medgen.Synthesizer("ctgan", epochs=300).fit(df)
    synthetic = model.sample(1000, conditions={"sex": "m"})
    report = medgen.evaluate(df, synthetic)

Frames cross the boundary as NumPy and pandas only: no torch object ever does. The neural
synthesizers run on the LibTorch the package was built with (Debian's): do not use them in a
process that has imported another build of torch (see check_torch).
"""

from __future__ import annotations

import os
import sys
import warnings as _warnings
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import _medgen
from ._medgen import Error, InvalidInput, IoError, ModelFormat
from ._progress import ProgressArg, make_progress

__version__: str = _medgen.__version__

__all__ = [
    "Error",
    "InvalidInput",
    "IoError",
    "ModelFormat",
    "Synthesizer",
    "blas_kernels",
    "evaluate",
    "infer_schema",
    "load",
    "read_csv",
    "synthesizers",
    "to_csv",
]

PathLike = Union[str, "os.PathLike[str]"]
Schema = Union[None, Dict[str, Any], PathLike]

# The synthesizers that run on LibTorch (loaded from the plugin beside the module on first use).
_NEURAL = frozenset({"ctgan", "tvae", "diffusion", "autoregressive"})
_DEBIAN_TORCH = "/usr/lib/python3/dist-packages/torch/"


def blas_kernels() -> str:
    """The kernels of the OpenBLAS this process runs ("Haswell", "SkylakeX", ...; "" when the BLAS
    is not OpenBLAS).

    OpenBLAS chooses them once, when it loads (in a Python process, when NumPy or medgen is
    imported), from OPENBLAS_CORETYPE or its own CPU detection. Rows drawn here are the CLI's byte
    for byte when the CLI runs the same kernels, as it does when started from this process with
    the environment unchanged."""
    import ctypes

    try:
        lib = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD)
        fn = lib.openblas_get_corename
    except (OSError, AttributeError):
        return ""
    fn.restype = ctypes.c_char_p
    name = fn()
    return name.decode() if name else ""


def check_torch() -> None:
    """Raises RuntimeError when this process has imported a torch other than Debian's.

    medgen's neural synthesizers load Debian's LibTorch; a second, different LibTorch in one
    process (a pip or conda torch) clashes in its global registries and crashes or corrupts
    memory. Debian's python3-torch is built on the same LibTorch and is fine."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    where = os.path.realpath(getattr(torch, "__file__", "") or "")
    if not where.startswith(_DEBIAN_TORCH):
        raise RuntimeError(
            f"medgen: this process has imported torch from {where or 'an unknown place'}, not Debian's "
            "python3-torch; medgen's neural synthesizers run on Debian's LibTorch and must not share a "
            "process with another build. Use them in a process without that torch (e.g. a separate "
            "kernel), or pass frames between the two through files or NumPy arrays."
        )


def _fspath(path: PathLike) -> str:
    return os.fspath(path)


def _schema_arg(schema: Schema) -> Any:
    if schema is None or isinstance(schema, dict):
        return schema
    return _fspath(schema)


def synthesizers() -> Dict[str, str]:
    """The registered synthesizers: name -> one-line description."""
    return dict(_medgen._list_synthesizers())


def infer_schema(df: Any) -> Dict[str, Any]:
    """The schema the library infers for a frame (the JSON `medgen schema` writes, as a dict).

    Pandas types that say more than the values win: a categorical is categorical with its
    categories, a bool column boolean. Notes (free text left out, constant columns, ...) are
    issued as warnings."""
    schema, notes = _medgen._infer_schema(df, "<DataFrame>")
    for note in notes:
        _warnings.warn(f"medgen: {note}", stacklevel=2)
    return schema


def read_csv(path: PathLike, schema: Schema = None) -> Any:
    """A CSV file read and typed as the CLI reads it (missing: empty, NA, NaN, ?), as a frame."""
    df, _schema, notes = _medgen._read_csv(_fspath(path), _schema_arg(schema))
    for note in notes:
        _warnings.warn(f"medgen: {note}", stacklevel=2)
    return df


def to_csv(df: Any, schema: Schema = None) -> str:
    """The CSV text the library writes for a frame under a schema (inferred when None): values
    rounded to the schema's decimals, dates in its format, the same bytes `medgen sample` writes."""
    return _medgen._to_csv(df, _schema_arg(schema))


class Synthesizer:
    """A synthesizer from the registry, e.g. Synthesizer("ctgan", epochs=300, batch_size=100).

    Keyword arguments other than seed, threads, progress and checkpoint are the synthesizer's
    parameters (the CLI's --params; unknown ones are an InvalidInput naming the valid ones).
    fit and sample release the GIL; calls into the engine run one at a time per process."""

    def __init__(
        self,
        name: str = "copula",
        *,
        seed: int = 42,
        threads: int = 1,
        progress: ProgressArg = None,
        checkpoint: Optional[PathLike] = None,
        **params: Any,
    ) -> None:
        self._impl = _medgen._create(name, params)
        self.seed = seed
        self.threads = threads
        self.progress = progress
        self.checkpoint = checkpoint
        self.fit_info: Dict[str, Any] = {}

    @classmethod
    def _wrap(cls, impl: Any, seed: int, threads: int, progress: ProgressArg) -> "Synthesizer":
        self = cls.__new__(cls)
        self._impl = impl
        self.seed = seed
        self.threads = threads
        self.progress = progress
        self.checkpoint = None
        self.fit_info = {}
        return self

    # -- what the model is
    @property
    def name(self) -> str:
        return self._impl.name

    @property
    def params(self) -> Dict[str, Any]:
        """The synthesizer's options, defaults filled in."""
        return self._impl.params

    @property
    def fitted(self) -> bool:
        return self._impl.fitted

    @property
    def schema(self) -> Dict[str, Any]:
        return self._impl.schema

    @property
    def summary(self) -> Dict[str, Any]:
        """What was learned (what `medgen info` shows), e.g. the loss history of a neural model."""
        return self._impl.summary

    @property
    def header(self) -> Dict[str, Any]:
        """A loaded model file's header (provenance, params, schema); {} for a model fitted here."""
        return self._impl.header or {}

    @property
    def checkpoint_path(self) -> str:
        """Where training writes its checkpoint (every checkpoint_every epochs and on Ctrl-C)."""
        return _fspath(self.checkpoint) if self.checkpoint is not None else f"medgen-{self.name}.ckpt"

    def __repr__(self) -> str:
        state = "fitted" if self.fitted else "not fitted"
        return f"<medgen.Synthesizer {self.name} ({state})>"

    # -- learning and sampling
    def fit(self, df: Any, schema: Schema = None, *, resume: bool = False, source: str = "DataFrame") -> "Synthesizer":
        """Learns from a frame (schema inferred when None; a dict or a schema file otherwise).

        Ctrl-C (a notebook's interrupt) stops training at the next step, writes the checkpoint
        (checkpoint_path) and raises KeyboardInterrupt; fit(df, resume=True) continues from it.
        The model stays as it was when fit fails or is interrupted. Returns self."""
        if self.name in _NEURAL:
            check_torch()
        self.fit_info = self._impl.fit(
            df, _schema_arg(schema), self.seed, self.threads, make_progress(self.progress),
            self.checkpoint_path, resume, source,
        )
        for note in self.fit_info["warnings"]:
            _warnings.warn(f"medgen: {note}", stacklevel=2)
        return self

    def sample(
        self,
        n: int,
        conditions: Optional[Mapping[str, Any]] = None,
        balance: Optional[str] = None,
        *,
        seed: Optional[int] = None,
    ) -> Any:
        """Exactly n synthetic rows as a frame; every row meets every condition ({"sex": "m"};
        a bool picks a boolean column's label). balance="col" spreads the rows evenly over the
        column's levels. Identifiers run 1..n. The same rows as `medgen sample` (and sample_csv)
        with the same seed, up to 2**20 rows (one chunk)."""
        return self._impl.sample(
            n, None if conditions is None else dict(conditions), balance or "",
            self.seed if seed is None else seed, self.threads,
        )

    def sample_csv(
        self,
        path: PathLike,
        n: int,
        conditions: Optional[Mapping[str, Any]] = None,
        balance: Optional[str] = None,
        *,
        seed: Optional[int] = None,
        chunk_rows: int = 1 << 20,
    ) -> int:
        """Writes n rows as CSV exactly as `medgen sample` does (the same chunks and seeds, so the
        same bytes for the same model file and seed), atomically. Returns the rows written."""
        return self._impl.sample_csv(
            _fspath(path), n, None if conditions is None else dict(conditions), balance or "",
            self.seed if seed is None else seed, self.threads, chunk_rows, make_progress(self.progress),
        )

    def save(self, path: PathLike, *, reproducible: bool = False) -> None:
        """Writes the model file (the CLI's format: `medgen sample` and `medgen info` read it).
        reproducible=True leaves the training time out, so that equal fits give equal files."""
        self._impl.save(_fspath(path), reproducible)


def _synthesizer_of(path: str) -> str:
    """The synthesizer a model file names (its JSON header; docs/formats.md), or "" when the file
    cannot be read so (load then says what is wrong)."""
    import json as _json
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(20)
            if len(head) < 20 or head[:7] != b"MEDGENM":
                return ""
            (length,) = struct.unpack("<Q", head[12:20])
            if length > 1 << 30:
                return ""
            return str(_json.loads(f.read(length)).get("synthesizer", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def load(path: PathLike, *, seed: int = 42, threads: int = 1, progress: ProgressArg = None) -> Synthesizer:
    """A model file written by Synthesizer.save or `medgen fit` (checked field by field)."""
    if _synthesizer_of(_fspath(path)) in _NEURAL:
        check_torch()  # before the plugin (and LibTorch) is loaded
    impl = _medgen._load(_fspath(path))
    return Synthesizer._wrap(impl, seed, threads, progress)


def evaluate(
    real: Any,
    synthetic: Any,
    holdout: Any = None,
    target: Optional[str] = None,
    *,
    schema: Schema = None,
    sensitive: Sequence[str] = (),
    quasi: Sequence[str] = (),
    detection: bool = True,
    gate: Union[None, Dict[str, Any], PathLike] = None,
    html: Optional[PathLike] = None,
    json: Optional[PathLike] = None,
    seed: int = 42,
    threads: int = 1,
) -> Dict[str, Any]:
    """The evaluation report of `medgen evaluate` (fidelity, utility with a target and a holdout,
    privacy) as a dict; html= and json= also write the report files. gate= (a dict of thresholds
    or a gate file) adds the release gate's verdict under "gate"."""
    if not hasattr(_medgen, "_evaluate"):
        raise Error("medgen.evaluate: this build leaves out the eval module (MEDGEN_SKIP_MODULES)")
    if gate is not None and not isinstance(gate, dict):
        gate = _fspath(gate)
    return _medgen._evaluate(
        real, synthetic, holdout, _schema_arg(schema), target or "", list(sensitive), list(quasi), detection,
        gate, "" if html is None else _fspath(html), "" if json is None else _fspath(json), seed, threads,
    )


# The areas a build left out (MEDGEN_SKIP_MODULES) are absent from the package too.
if hasattr(_medgen, "image"):
    from . import image  # noqa: E402,F401
if hasattr(_medgen, "sim"):
    from . import sim  # noqa: E402,F401
