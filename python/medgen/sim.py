"""Virtual patients for notebooks: the simulator of `medgen sim run`, stepped from Python.

    s = medgen.sim.Session("septic_shock", seed=7)
    print(s.briefing)
    s.act("give 30 ml/kg crystalloid")
    s.advance(600)
    s.vitals["map"], s.samples().plot(x="t_s", y="map")
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Union

from . import _medgen

_sim = _medgen.sim

PathLike = Union[str, "os.PathLike[str]"]


def conditions(data_dir: Optional[PathLike] = None) -> List[Dict[str, Any]]:
    """The catalog's conditions: name, title, aliases, rubric, file."""
    return _sim._conditions("" if data_dir is None else os.fspath(data_dir))["conditions"]


class Session:
    """One simulated encounter: a case generated for `condition` from `seed` (or read from a case
    file written by `medgen sim case`), the patient's physiology, the trainee's actions and the
    score. Time moves only through advance()."""

    def __init__(
        self,
        condition: Optional[str] = None,
        *,
        case: Optional[PathLike] = None,
        seed: int = 42,
        severity: str = "",
        examiner: bool = False,
        data_dir: Optional[PathLike] = None,
    ) -> None:
        self._s = _sim._Session(
            condition or "", "" if case is None else os.fspath(case), seed, severity, examiner,
            "" if data_dir is None else os.fspath(data_dir),
        )

    def act(self, text: str) -> List[Dict[str, Any]]:
        """Applies free text ("give epinephrine 0.5 mg im; order lactate"); returns the replies
        as events {t_s, kind, text, actor}."""
        return self._s.act(text)

    def advance(self, seconds: float = 60.0) -> List[Dict[str, Any]]:
        """Lets `seconds` pass; returns what happened (results, alarms, events)."""
        return self._s.advance(seconds)

    @property
    def time_s(self) -> float:
        return self._s.time_s

    @property
    def dead(self) -> bool:
        return self._s.dead

    @property
    def condition(self) -> str:
        return self._s.condition

    @property
    def vitals(self) -> Dict[str, Any]:
        """The patient now, by the simulator's names (hr, sbp, map, spo2, lactate, ...)."""
        return self._s.vitals

    @property
    def briefing(self) -> str:
        return self._s.briefing

    @property
    def monitor_line(self) -> str:
        return self._s.monitor_line

    @property
    def case(self) -> Dict[str, Any]:
        """The case as `medgen sim case` writes it."""
        return self._s.case

    @property
    def log(self) -> List[Dict[str, Any]]:
        return self._s.log

    def samples(self) -> Any:
        """The vital signs recorded so far, one row per sample (t_s and every vital) as a frame."""
        return self._s.samples()

    def record(self) -> Dict[str, Any]:
        """The session record and its score (what `medgen sim run --json` prints)."""
        return self._s.record()

    def debrief(self) -> str:
        return self._s.debrief()

    def debrief_html(self, path: Optional[PathLike] = None) -> str:
        """The debrief as a self-contained HTML page (also written to path when given)."""
        return self._s.debrief_html("" if path is None else os.fspath(path))

    def _repr_html_(self) -> str:
        return f"<pre>{self.monitor_line}</pre>"

    def __repr__(self) -> str:
        return f"<medgen.sim.Session {self.condition} {self.monitor_line}>"
