#!/usr/bin/python3
"""The Python package against the CLI on the same table: fit (to a model file) and sample (to a CSV
file and to a DataFrame), each in fresh processes (the Python side timed from after its imports,
the CLI's as a whole process), and the calling overhead of sample() beyond the engine's own call.
One JSON line per figure. docs/python.md has the results and the machine.

Usage: PYTHONPATH=build/python bench/python/bench_python.py [--cli build/medgen] [--reps 5]
       [--table data/pbc.csv] [--rows 30000] [--epochs 30]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def wall(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def py(code, env):
    """Runs code in a fresh /usr/bin/python3; the code prints the seconds it measured."""
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def emit(**fields):
    print(json.dumps(fields), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(SRC, "build", "medgen"))
    ap.add_argument("--table", default=os.path.join(SRC, "data", "pbc.csv"))
    ap.add_argument("--rows", type=int, default=30000, help="rows of the larger table (sampled from a copula of --table)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    env = dict(os.environ)
    import medgen  # noqa: F401  (fails early when PYTHONPATH is not set)

    tmp = tempfile.mkdtemp(prefix="bench-python-")
    big = os.path.join(tmp, "big.csv")
    subprocess.run([a.cli, "fit", a.table, "-o", os.path.join(tmp, "seed.medgen"), "-q"], check=True)
    subprocess.run([a.cli, "sample", os.path.join(tmp, "seed.medgen"), "-n", str(a.rows), "-o", big, "-q"], check=True)

    cases = [
        ("copula", big, []),
        ("ctgan", a.table, ["--epochs", str(a.epochs), "--batch-size", "100"]),
    ]
    for synth, table, flags in cases:
        params = {"epochs": a.epochs, "batch_size": 100} if synth == "ctgan" else {}
        model = os.path.join(tmp, synth + ".medgen")
        pymodel = os.path.join(tmp, synth + "-py.medgen")
        cli_fit, py_fit = [], []
        fit_code = (
            "import time, pandas as pd, medgen\n"
            f"df = pd.read_csv({table!r})\n"
            "t0 = time.perf_counter()\n"
            f"medgen.Synthesizer({synth!r}, progress=False, **{params!r}).fit(df).save({pymodel!r})\n"
            "print(time.perf_counter() - t0)\n"
        )
        for _ in range(a.reps):
            cli_fit.append(wall([a.cli, "fit", table, "-s", synth, *flags, "-o", model, "-q"]))
            py_fit.append(py(fit_code, env))
        emit(bench="python_fit", synthesizer=synth, table=os.path.basename(table), reps=a.reps,
             cli_s=statistics.median(cli_fit), python_s=statistics.median(py_fit),
             ratio=statistics.median(py_fit) / statistics.median(cli_fit))

        n = a.rows
        out = os.path.join(tmp, "out.csv")
        cli_s, csv_s, frame_s = [], [], []
        for _ in range(a.reps):
            cli_s.append(wall([a.cli, "sample", model, "-n", str(n), "-o", out, "-q"]))
            csv_s.append(py("import time, medgen\nt0 = time.perf_counter()\n"
                            f"medgen.load({model!r}).sample_csv({out!r}, {n})\nprint(time.perf_counter() - t0)\n", env))
            frame_s.append(py("import time, pandas, medgen\nt0 = time.perf_counter()\n"
                              f"medgen.load({model!r}).sample({n})\nprint(time.perf_counter() - t0)\n", env))
        emit(bench="python_sample", synthesizer=synth, rows=n, reps=a.reps, cli_s=statistics.median(cli_s),
             python_csv_s=statistics.median(csv_s), python_frame_s=statistics.median(frame_s),
             ratio_csv=statistics.median(csv_s) / statistics.median(cli_s),
             ratio_frame=statistics.median(frame_s) / statistics.median(cli_s))

        # Overhead per call: sample()'s wall time minus the engine's own call (last_call_seconds),
        # on a warm model, for small requests where it matters most.
        m = medgen.load(model, progress=False)
        for rows in (1, 100, 10000):
            over = []
            for i in range(200 if rows < 10000 else 20):
                t0 = time.perf_counter()
                m.sample(rows, seed=i)
                over.append(time.perf_counter() - t0 - m._impl.last_call_seconds)
            emit(bench="python_sample_overhead", synthesizer=synth, rows=rows, columns=len(m.schema["columns"]),
                 calls=len(over), median_ms=1e3 * statistics.median(over), p90_ms=1e3 * sorted(over)[int(0.9 * len(over))])


if __name__ == "__main__":
    main()
