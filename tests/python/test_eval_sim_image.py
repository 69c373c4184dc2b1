"""medgen.evaluate against `medgen evaluate`, the simulator from Python, images as arrays."""

import json
import os
import subprocess
import tempfile
import unittest
import warnings

import numpy as np
import pandas as pd

import medgen

SRC = os.environ.get("MEDGEN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("MEDGEN_CLI", os.path.join(SRC, "build", "medgen"))
PBC = os.path.join(SRC, "data", "pbc.csv")
# python3-pydicom (scripts/setup.sh) ships it.
CT_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"


@unittest.skipUnless(hasattr(medgen._medgen, "_evaluate"), "this build leaves out the eval module")
class Evaluate(unittest.TestCase):
    def test_report_matches_the_cli(self):
        warnings.simplefilter("ignore")
        with tempfile.TemporaryDirectory() as d:
            df = pd.read_csv(PBC)
            train, holdout = df.iloc[::2].reset_index(drop=True), df.iloc[1::2].reset_index(drop=True)
            synthetic = medgen.Synthesizer("copula").fit(train).sample(300)
            paths = {}
            for name, frame in (("train", train), ("synthetic", synthetic), ("holdout", holdout)):
                paths[name] = os.path.join(d, name + ".csv")
                with open(paths[name], "w", encoding="utf-8") as f:
                    f.write(medgen.to_csv(frame, None if name == "train" else medgen.infer_schema(train)))
            html = os.path.join(d, "report.html")
            report = medgen.evaluate(train, synthetic, holdout, target="status", html=html)
            self.assertTrue(os.path.getsize(html) > 1000)
            self.assertEqual(list(report)[0], "medgen_version")  # the report's own key order
            cli = subprocess.run([CLI, "evaluate", "--real", paths["train"], "--synthetic", paths["synthetic"],
                                  "--holdout", paths["holdout"], "--target", "status", "--json"],
                                 check=True, capture_output=True, text=True)
            self.assertEqual(report["summary"], json.loads(cli.stdout)["summary"])
            gated = medgen.evaluate(train, synthetic, detection=False, gate={"min_quality": 0.99})
            self.assertIn("gate", gated)
            with self.assertRaisesRegex(medgen.InvalidInput, "--target needs --holdout"):
                medgen.evaluate(train, synthetic, target="status")


@unittest.skipUnless(hasattr(medgen._medgen, "sim"), "this build leaves out the sim module")
class Simulator(unittest.TestCase):
    def test_session_steps_and_scores(self):
        names = [c["name"] for c in medgen.sim.conditions()]
        self.assertIn("septic_shock", names)
        s = medgen.sim.Session("septic_shock", seed=7, severity="severe")
        self.assertIn("septic", s.briefing.lower() + s.condition)
        before = s.vitals
        replies = s.act("give 30 ml/kg crystalloid")
        self.assertTrue(any(e["kind"] == "action" for e in replies))
        s.advance(900)
        self.assertAlmostEqual(s.time_s, 900.0)
        self.assertIn("map", s.vitals)
        self.assertNotEqual(before["map"], s.vitals["map"])
        samples = s.samples()
        self.assertIn("t_s", samples.columns)
        self.assertGreater(len(samples), 2)
        record = s.record()
        self.assertIn("score", record)
        self.assertIn("<html", s.debrief_html().lower())
        self.assertIn("septic", json.dumps(s.case))
        with self.assertRaises(medgen.InvalidInput):
            medgen.sim.Session("no_such_condition")
        with self.assertRaises(medgen.InvalidInput):
            s.advance(-1)


@unittest.skipUnless(hasattr(medgen._medgen, "image"), "this build leaves out the imaging module")
class Images(unittest.TestCase):
    def test_write_read_geometry_and_zero_copy(self):
        rng = np.random.default_rng(1)
        vox = rng.integers(-1000, 2000, size=(5, 4, 3)).astype(np.float32)
        direction = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, -1]])
        img = medgen.image.Image(vox, spacing=(0.5, 0.75, 2.0), origin=(10.0, -20.0, 30.0), direction=direction)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "v.nii.gz")
            medgen.image.write(path, img)
            back = medgen.image.read(path)
        self.assertEqual(back.array.shape, (5, 4, 3))
        self.assertEqual(back.array.dtype, np.float32)
        np.testing.assert_array_equal(back.array, vox)
        np.testing.assert_allclose(back.spacing, (0.5, 0.75, 2.0), rtol=1e-6)
        np.testing.assert_allclose(back.origin, (10.0, -20.0, 30.0), atol=1e-4)
        np.testing.assert_allclose(back.direction, direction, atol=1e-6)
        np.testing.assert_allclose(back.affine[:3, 3], (10.0, -20.0, 30.0), atol=1e-4)
        self.assertFalse(back.array.flags.owndata)  # the reader's buffer, not a copy
        self.assertTrue(back.array.flags.f_contiguous)
        self.assertEqual(back.format, "NIfTI-1")

    def test_reads_dicom(self):
        img = medgen.image.read(CT_SMALL)
        self.assertEqual(img.modality, "CT")
        self.assertEqual(img.array.shape, (128, 128, 1))
        with self.assertRaises(medgen.IoError):
            medgen.image.read("/no/such/file.nii")


if __name__ == "__main__":
    unittest.main()
