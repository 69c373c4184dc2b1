"""Frames in and out of the engine: types, missing values, round trips, the library's CSV bytes."""

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


def mixed_frame(rows=40):
    rng = np.random.default_rng(3)
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), unit="D")
    stamps = pd.to_datetime("2021-03-04 05:06:07") + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s")
    df = pd.DataFrame(
        {
            "dose": np.round(rng.normal(5, 2, rows), 2),
            "count": pd.array(rng.integers(0, 9, rows), dtype="Int64"),
            "stage": pd.Categorical(rng.choice(["IV", "II", "I", "III"], rows), categories=["I", "II", "III", "IV"]),
            "smoker": pd.array(rng.random(rows) < 0.3, dtype="boolean"),
            "visit": days,
            "seen": stamps,
        }
    )
    # Missing values of every kind, in every column.
    df.loc[[1, 7], "dose"] = np.nan
    df.loc[[2, 9], "count"] = pd.NA
    df.loc[[3], "stage"] = np.nan
    df.loc[[4, 5], "smoker"] = pd.NA
    df.loc[[6], "visit"] = pd.NaT
    df.loc[[8, 11], "seen"] = pd.NaT
    return df


class Frames(unittest.TestCase):
    def test_infer_schema_follows_pandas_types(self):
        df = mixed_frame()
        schema = {c["name"]: c for c in medgen.infer_schema(df)["columns"]}
        self.assertEqual(schema["dose"]["type"], "numerical")
        self.assertEqual(schema["dose"]["decimals"], 2)
        self.assertEqual(schema["count"]["type"], "numerical")
        self.assertTrue(schema["count"]["integer"])
        self.assertEqual(schema["stage"]["type"], "categorical")
        self.assertEqual(schema["stage"]["values"], ["I", "II", "III", "IV"])  # the categories' order
        self.assertEqual(schema["smoker"]["type"], "boolean")
        self.assertEqual(schema["visit"]["type"], "datetime")
        self.assertEqual(schema["visit"]["format"], "%Y-%m-%d")
        self.assertEqual(schema["seen"]["format"], "%Y-%m-%dT%H:%M:%S")

    def test_round_trip_is_exact(self):
        df = mixed_frame()
        back = medgen._medgen._retype(df, None)
        self.assertEqual(list(back.columns), list(df.columns))
        self.assertEqual(str(back["dose"].dtype), "float64")
        self.assertEqual(str(back["count"].dtype), "Int64")
        self.assertEqual(str(back["smoker"].dtype), "boolean")
        self.assertEqual(str(back["visit"].dtype), "datetime64[ns]")
        self.assertIsInstance(back["stage"].dtype, pd.CategoricalDtype)
        self.assertEqual(list(back["stage"].cat.categories), ["I", "II", "III", "IV"])
        pd.testing.assert_frame_equal(back, df)
        # Missing values stay where they were, as the dtype's own missing value.
        self.assertTrue(back["count"].isna().tolist()[2])
        self.assertIs(back["smoker"][4], pd.NA)
        self.assertTrue(pd.isna(back["visit"][6]))

    def test_object_columns_and_plain_dtypes(self):
        df = pd.DataFrame(
            {
                "sex": ["m", "f", None, "f", "m", "NA"] * 5,  # "NA" is a label here, None is missing
                "flag": [True, False, True, True, False, False] * 5,
                "n": np.arange(30, dtype=np.int64),
                "x": [0.1, 2.5, np.nan, 1e-5, 3.0, -0.0] * 5,
            }
        )
        schema = medgen.infer_schema(df)
        cols = {c["name"]: c for c in schema["columns"]}
        self.assertEqual(cols["sex"]["values"], ["NA", "f", "m"])
        self.assertEqual(cols["flag"]["values"], ["False", "True"])
        back = medgen._medgen._retype(df, schema)
        self.assertEqual(back["sex"].isna().sum(), 5)
        self.assertEqual(back["sex"].astype(object).tolist()[:6], ["m", "f", np.nan, "f", "m", "NA"])
        self.assertEqual(back["flag"].tolist()[:3], [True, False, True])
        np.testing.assert_array_equal(back["x"].to_numpy(), df["x"].to_numpy())  # shortest text reads back exactly

    def test_tz_aware_datetimes_become_utc(self):
        df = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 12:00:00+02:00", "2024-06-01 00:30:00+02:00"] * 3)})
        back = medgen._medgen._retype(df, None)
        self.assertEqual(back["t"][0], pd.Timestamp("2024-01-01 10:00:00"))

    def test_bad_cells_are_located(self):
        schema = {"columns": [{"name": "x", "type": "numerical"}]}
        with self.assertRaisesRegex(medgen.InvalidInput, r"<DataFrame>:4:1: column 'x': 'abc' is not a number"):
            medgen._medgen._retype(pd.DataFrame({"x": ["1", "2", "abc"]}), schema)
        with self.assertRaisesRegex(medgen.InvalidInput, "missing column 'x'"):
            medgen._medgen._retype(pd.DataFrame({"y": [1.0]}), schema)
        with self.assertRaisesRegex(medgen.InvalidInput, "timedelta"):
            medgen.infer_schema(pd.DataFrame({"d": pd.to_timedelta([1, 2], unit="s")}))
        with self.assertRaises(medgen.InvalidInput):
            medgen.infer_schema([[1, 2]])

    def test_sampled_floats_are_zero_copy(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = pd.read_csv(PBC)
        model = medgen.Synthesizer("copula").fit(df)
        out = model.sample(50)
        bili = out["bili"].to_numpy()
        # The array is a view of the engine's buffer (owned by a capsule), not a NumPy copy.
        self.assertFalse(bili.flags.owndata)
        self.assertIsNotNone(bili.base)

    def test_cli_csv_reads_and_writes_back_byte_for_byte(self):
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "m.medgen")
            subprocess.run([CLI, "fit", PBC, "-o", model, "-q", "--reproducible"], check=True)
            out = os.path.join(d, "s.csv")
            subprocess.run([CLI, "sample", model, "-n", "120", "--seed", "3", "-o", out, "-q"], check=True)
            schema = medgen.load(model).schema
            df = medgen.read_csv(out, schema)
            with open(out, encoding="utf-8") as f:
                self.assertEqual(medgen.to_csv(df, schema), f.read())


if __name__ == "__main__":
    unittest.main()
