"""Progress in a notebook: detected through IPython's shell, drawn as an HTML bar updated in place
(here with a stand-in IPython, since the tests run without Jupyter)."""

import os
import sys
import types
import unittest

import pandas as pd

import medgen
from medgen import _progress

SRC = os.environ.get("MEDGEN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


class ZMQInteractiveShell:  # the class name is what identifies a notebook kernel
    pass


class FakeHandle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, obj):
        self.shown.append(("update", obj.body))


def fake_ipython(shown):
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: ZMQInteractiveShell()
    display = types.ModuleType("IPython.display")

    class HTML:
        def __init__(self, body):
            self.body = body

    def show(obj, display_id=False):
        shown.append(("display", obj.body))
        return FakeHandle(shown)

    display.HTML = HTML
    display.display = show
    ipython.display = display
    return ipython, display


class NotebookProgress(unittest.TestCase):
    def test_training_draws_an_updating_bar_in_a_notebook(self):
        shown = []
        ipython, display = fake_ipython(shown)
        saved = {k: sys.modules.get(k) for k in ("IPython", "IPython.display", "tqdm", "tqdm.auto")}
        sys.modules.update({"IPython": ipython, "IPython.display": display, "tqdm": None, "tqdm.auto": None})
        try:
            self.assertTrue(_progress.in_notebook())
            df = pd.read_csv(os.path.join(SRC, "data", "pbc.csv"))
            medgen.Synthesizer("tvae", epochs=3, batch_size=100).fit(df)  # progress=None: auto
        finally:
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
        self.assertEqual(shown[0][0], "display")  # one output, then updated in place
        self.assertTrue(all(kind == "update" for kind, _ in shown[1:]))
        self.assertTrue(any("<progress value='3' max='3'>" in body for _, body in shown))
        self.assertIn("done", shown[-1][1])
        self.assertFalse(_progress.in_notebook())

    def test_off_and_custom(self):
        self.assertIsNone(_progress.make_progress(False))
        f = lambda *a: None  # noqa: E731
        self.assertIs(_progress.make_progress(f), f)


if __name__ == "__main__":
    unittest.main()
