"""Synthesizers from Python: fit, sample, conditions, save/load, model files shared with the CLI
(the same bytes for the same seed), Ctrl-C with a checkpoint, the GIL released, progress."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings

import pandas as pd

import medgen

SRC = os.environ.get("MEDGEN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("MEDGEN_CLI", os.path.join(SRC, "build", "medgen"))
PBC = os.path.join(SRC, "data", "pbc.csv")


def pbc():
    return pd.read_csv(PBC)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class Tabular(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = self.dir.name
        warnings.simplefilter("ignore")

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_blas_kernels_are_the_loaded_ones(self):
        # What the process runs, not what it was asked for: a kernel set OpenBLAS knows is taken,
        # and the CLI's rows are compared under the same one (run.sh pins it for the children).
        with open("/proc/cpuinfo") as f:
            flags = set(next((l for l in f if l.startswith("flags")), "").split())
        for core in ("Prescott", "Haswell") if {"avx2", "fma"} <= flags else ("Prescott",):
            out = subprocess.run([sys.executable, "-c", "import medgen; print(medgen.blas_kernels())"],
                                 env=dict(os.environ, OPENBLAS_CORETYPE=core), check=True,
                                 capture_output=True, text=True).stdout.strip()
            self.assertEqual(out, core)
        if "OPENBLAS_CORETYPE" in os.environ:
            self.assertEqual(medgen.blas_kernels(), os.environ["OPENBLAS_CORETYPE"])

    def test_registry_and_unknown_parameters(self):
        self.assertIn("ctgan", medgen.synthesizers())
        with self.assertRaisesRegex(medgen.InvalidInput, "unknown synthesizer"):
            medgen.Synthesizer("nope")
        with self.assertRaises(medgen.InvalidInput):
            medgen.Synthesizer("ctgan", epochz=3)
        with self.assertRaisesRegex(medgen.InvalidInput, "not fitted"):
            medgen.Synthesizer("copula").sample(3)

    def test_copula_sample_conditions_balance(self):
        df = pbc()
        model = medgen.Synthesizer("copula", seed=1).fit(df)
        self.assertEqual(model.fit_info["rows"], len(df))
        out = model.sample(300, conditions={"sex": "m"})
        self.assertEqual(len(out), 300)
        self.assertEqual(set(out["sex"].astype(str)), {"m"})
        self.assertEqual(out["id"].tolist(), list(range(1, 301)))
        # A boolean column conditioned on a bool, and exact balance.
        self.assertTrue(out.pipe(lambda _: model.sample(40, conditions={"ascites": True})["ascites"].all()))
        counts = model.sample(301, balance="sex")["sex"].value_counts()
        self.assertEqual(sorted(counts.tolist()), [150, 151])
        # Same seed, same rows; another seed, other rows.
        pd.testing.assert_frame_equal(model.sample(50, seed=9), model.sample(50, seed=9))
        self.assertFalse(model.sample(50, seed=9).equals(model.sample(50, seed=10)))
        with self.assertRaisesRegex(medgen.InvalidInput, "unknown column"):
            model.sample(5, conditions={"nope": "x"})

    def test_python_model_samples_the_cli_bytes(self):
        df = pbc()
        model = medgen.Synthesizer("copula").fit(df)
        model.save(self.path("py.medgen"))
        subprocess.run([CLI, "sample", self.path("py.medgen"), "-n", "700", "--seed", "5", "-c", "sex=f",
                        "-o", self.path("cli.csv"), "-q"], check=True)
        again = medgen.load(self.path("py.medgen"))
        again.sample_csv(self.path("py.csv"), 700, conditions={"sex": "f"}, seed=5)
        self.assertEqual(read_bytes(self.path("py.csv")), read_bytes(self.path("cli.csv")))
        frame = again.sample(700, conditions={"sex": "f"}, seed=5)
        self.assertEqual(medgen.to_csv(frame, again.schema).encode(), read_bytes(self.path("cli.csv")))
        # Chunks and balance as the CLI cuts them.
        subprocess.run([CLI, "sample", self.path("py.medgen"), "-n", "2500", "--seed", "6", "--balance", "sex",
                        "-o", self.path("cli-b.csv"), "-q"], check=True)
        again.sample_csv(self.path("py-b.csv"), 2500, balance="sex", seed=6)
        self.assertEqual(read_bytes(self.path("py-b.csv")), read_bytes(self.path("cli-b.csv")))
        subprocess.run([CLI, "info", self.path("py.medgen")], check=True, stdout=subprocess.DEVNULL)

    def test_cli_model_and_python_fit_agree(self):
        subprocess.run([CLI, "fit", PBC, "-s", "copula", "-o", self.path("cli.medgen"), "-q", "--reproducible"],
                       check=True)
        subprocess.run([CLI, "sample", self.path("cli.medgen"), "-n", "400", "--seed", "8",
                        "-o", self.path("cli.csv"), "-q"], check=True)
        cli_model = medgen.load(self.path("cli.medgen"))
        self.assertEqual(cli_model.header["provenance"]["input"], "pbc.csv")
        cli_model.sample_csv(self.path("py.csv"), 400, seed=8)
        self.assertEqual(read_bytes(self.path("py.csv")), read_bytes(self.path("cli.csv")))
        # The frame pandas reads from the same file gives the same model (the frame enters as
        # the cells a CSV of it holds), hence the same rows.
        mine = medgen.Synthesizer("copula", seed=42).fit(pbc())
        self.assertEqual(mine.schema, cli_model.schema)
        mine.sample_csv(self.path("mine.csv"), 400, seed=8)
        self.assertEqual(read_bytes(self.path("mine.csv")), read_bytes(self.path("cli.csv")))
        # Loaded models keep their provenance when saved again.
        cli_model.save(self.path("again.medgen"))
        self.assertEqual(medgen.load(self.path("again.medgen")).header["provenance"]["input"], "pbc.csv")

    def test_ctgan_interchange_progress_and_gil(self):
        df = pbc()
        events = []
        counter = [0]
        stop = threading.Event()

        def spin():
            while not stop.is_set():
                counter[0] += 1

        seen = []

        def progress(kind, task, done, total, detail, elapsed):
            events.append((kind, task, done, total))
            if kind == "update":
                seen.append(counter[0])

        model = medgen.Synthesizer("ctgan", epochs=40, batch_size=100, progress=progress)
        spinner = threading.Thread(target=spin)
        spinner.start()
        try:
            model.fit(df)
        finally:
            stop.set()
            spinner.join()
        self.assertIn(("begin", "training ctgan", 0, 40), events)
        updates = [e for e in events if e[0] == "update"]
        self.assertEqual(updates[-1][2:], (40, 40))
        # Another Python thread ran while the engine trained (the GIL was released).
        self.assertGreater(seen[-1] - seen[0], 1000)
        model.save(self.path("ctgan.medgen"))
        subprocess.run([CLI, "sample", self.path("ctgan.medgen"), "-n", "300", "--seed", "4",
                        "-o", self.path("cli.csv"), "-q"], check=True)
        medgen.load(self.path("ctgan.medgen")).sample_csv(self.path("py.csv"), 300, seed=4)
        self.assertEqual(read_bytes(self.path("py.csv")), read_bytes(self.path("cli.csv")))
        # And the reverse: the CLI's ctgan model sampled from Python.
        subprocess.run([CLI, "fit", PBC, "-s", "ctgan", "--epochs", "2", "-o", self.path("c2.medgen"), "-q"], check=True)
        subprocess.run([CLI, "sample", self.path("c2.medgen"), "-n", "200", "--seed", "2", "-c", "sex=m",
                        "-o", self.path("c2.csv"), "-q"], check=True)
        frame = medgen.load(self.path("c2.medgen")).sample(200, conditions={"sex": "m"}, seed=2)
        self.assertEqual(medgen.to_csv(frame, medgen.load(self.path("c2.medgen")).schema).encode(),
                         read_bytes(self.path("c2.csv")))

    def test_ctrl_c_stops_training_with_a_checkpoint(self):
        df = pbc()
        ckpt = self.path("run.ckpt")

        def interrupt(kind, task, done, total, detail, elapsed):
            if kind == "update" and done >= 2:
                os.kill(os.getpid(), signal.SIGINT)  # what a notebook's interrupt button sends

        model = medgen.Synthesizer("tvae", epochs=400, batch_size=100, checkpoint=ckpt, progress=interrupt)
        with self.assertRaises(KeyboardInterrupt) as caught:
            model.fit(df)
        self.assertIn("checkpoint", str(caught.exception))
        self.assertTrue(os.path.exists(ckpt))
        self.assertFalse(model.fitted)  # the interrupted fit left the model as it was
        # Resuming trains the epochs that were left (and Python's own Ctrl-C handling is back).
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
        other = medgen.Synthesizer("tvae", epochs=400, batch_size=50, checkpoint=ckpt, progress=False)
        with self.assertRaisesRegex(medgen.InvalidInput, "other options"):  # as --resume
            other.fit(df, resume=True)
        events = []
        model.progress = lambda *e: events.append(e)
        model.fit(df, resume=True)
        self.assertTrue(model.fitted)
        first = next(e for e in events if e[0] == "update")
        self.assertGreaterEqual(first[2], 3)  # started after the checkpoint's epochs
        self.assertEqual(len(model.sample(10)), 10)

    def test_another_torch_in_the_process_is_refused(self):
        import sys
        import types

        subprocess.run([CLI, "fit", PBC, "-s", "tvae", "--epochs", "1", "-o", self.path("t.medgen"), "-q"], check=True)
        fake = types.ModuleType("torch")
        fake.__file__ = "/opt/conda/lib/python3.11/site-packages/torch/__init__.py"
        sys.modules["torch"] = fake
        try:
            with self.assertRaisesRegex(RuntimeError, "not Debian's"):
                medgen.Synthesizer("tvae", epochs=1).fit(pbc())
            with self.assertRaisesRegex(RuntimeError, "not Debian's"):
                medgen.load(self.path("t.medgen"))
            medgen.Synthesizer("copula").fit(pbc())  # no LibTorch involved: fine
        finally:
            del sys.modules["torch"]
        self.assertEqual(medgen.load(self.path("t.medgen")).name, "tvae")


if __name__ == "__main__":
    unittest.main()
