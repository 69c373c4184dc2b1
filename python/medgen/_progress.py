"""Progress for long library calls: tqdm where it is installed (a widget in a notebook, a bar on a
terminal), else a line rewritten in place on a terminal's stderr, or an updating HTML bar in a
notebook. Nothing when stderr is neither (scripts, logs, tests) unless asked for."""

from __future__ import annotations

import html
import sys
import time
from typing import Callable, Optional, Union

# kind, task, done, total, detail, elapsed_s
Callback = Callable[[str, str, int, int, str, float], None]
ProgressArg = Union[None, bool, Callback]


def in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython too old or half imported: no notebook
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Tqdm:
    def __init__(self) -> None:
        from tqdm.auto import tqdm  # noqa: PLC0415 (optional dependency)

        self._tqdm = tqdm
        self._bar = None

    def __call__(self, kind: str, task: str, done: int, total: int, detail: str, elapsed: float) -> None:
        if kind == "begin":
            self._close()
            self._bar = self._tqdm(total=total or None, desc=task, unit="step", leave=False)
        elif kind == "update" and self._bar is not None:
            self._bar.update(done - self._bar.n)
            if detail:
                self._bar.set_postfix_str(detail, refresh=False)
        elif kind == "stage":
            self._close()
            self._bar = self._tqdm(total=None, desc=task, leave=False)
        elif kind == "end":
            self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class _Terminal:
    """The CLI's own line: task done/total detail rate ETA, rewritten with a carriage return."""

    def __call__(self, kind: str, task: str, done: int, total: int, detail: str, elapsed: float) -> None:
        if kind == "update":
            rate = done / elapsed if elapsed > 0 else 0.0
            if total:
                eta = (total - done) / rate if rate > 0 else 0.0
                line = f"\r{task} {done}/{total} {detail} {rate:.0f}/s ETA {eta:.0f}s\x1b[K"
            else:
                line = f"\r{task} {done} {detail} {rate:.0f}/s\x1b[K"
        elif kind == "stage":
            line = f"\r{task} ...\x1b[K"
        elif kind == "end":
            line = "\r\x1b[K"
        else:
            return
        sys.stderr.write(line)
        sys.stderr.flush()


class _Notebook:
    """An HTML <progress> bar updated in place through IPython's display handles."""

    def __init__(self) -> None:
        from IPython.display import HTML, display  # noqa: PLC0415

        self._html = HTML
        self._display = display
        self._handle = None
        self._start = time.monotonic()

    def _show(self, body: str) -> None:
        if self._handle is None:
            self._handle = self._display(self._html(body), display_id=True)
        else:
            self._handle.update(self._html(body))

    def __call__(self, kind: str, task: str, done: int, total: int, detail: str, elapsed: float) -> None:
        t = html.escape(task)
        if kind == "begin":
            self._handle = None
            self._show(f"{t} <progress value='0' max='{max(total, 1)}'></progress> 0/{total}")
        elif kind == "update":
            rate = done / elapsed if elapsed > 0 else 0.0
            eta = (total - done) / rate if total and rate > 0 else 0.0
            self._show(
                f"{t} <progress value='{done}' max='{max(total, 1)}'></progress> {done}/{total} "
                f"{html.escape(detail)} {rate:.0f}/s ETA {eta:.0f}s"
            )
        elif kind == "stage":
            self._show(f"{t} ...")
        elif kind == "end" and self._handle is not None:
            self._show(f"{t} done")


def make_progress(progress: ProgressArg) -> Optional[Callback]:
    """None: show progress when a person is watching (a terminal or a notebook); False: never;
    True: always; a callable: called as callback(kind, task, done, total, detail, elapsed_s) with
    kind one of "begin", "update", "stage", "end" (at most ~10 updates a second)."""
    if progress is False:
        return None
    if callable(progress):
        return progress
    notebook = in_notebook()
    if progress is None and not (notebook or _stderr_is_terminal()):
        return None
    try:
        return _Tqdm()
    except ImportError:
        pass
    return _Notebook() if notebook else _Terminal()
