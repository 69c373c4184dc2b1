#!/usr/bin/python3
"""medgen's ctgan against the Python CTGAN (sdv-dev/CTGAN) on the same table, side by side in one
run, one thread each (issue 13 item 6).

The Python reference is not part of medgen: fetch sdv-dev/CTGAN, sdv-dev/RDT and joke2k/faker into a
scratch folder and install Debian's python3-torch, python3-sklearn and python3-scipy (the bench
never installs anything). The table defaults to CTGAN's own examples/csv/adult.csv.

For each epoch count (default 2 and 6) and repetition, alternating the two:
  - medgen: `medgen fit TABLE -s ctgan --epochs E --threads 1` timed as a whole process (CSV reading,
    schema inference, LibTorch loading, the transformer's fit and the epochs);
  - Python: `CTGAN(epochs=E, batch_size=500).fit(frame, discrete_columns)` in a fresh
    /usr/bin/python3 with torch.set_num_threads(1), timed from before the fit (imports and the
    CSV reading excluded, which favours the reference), the object columns as its discrete ones.
Both use CTGAN's default architecture and batch (500 rows, pac 10, 256-256 residual generator and
discriminator). Seconds per epoch are the slope between the two epoch counts (medians over the
repetitions), which takes the fixed costs out of both sides; for the reference also its epochs as
its own loop times them (python_s_per_epoch_timed, the median epoch: its transformer's fit varies
by seconds from run to run and blurs the slope). One JSON line per run, then a summary.

  bench/compare_ctgan_python.py --peers /tmp/peers [--medgen build/medgen] [--table adult.csv]
      [--epochs 2 6] [--reps 2]

--peers holds the three checkouts as sdv-dev+CTGAN, sdv-dev+RDT and joke2k+faker (the layout `fetch`
gives), or pass --pythonpath yourself.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PY_FIT = r"""
import json, sys, time
import pandas as pd
import torch
torch.set_num_threads(1)
import ctgan.synthesizers.ctgan as reference
from ctgan import CTGAN
# The reference loops over tqdm(range(epochs)): a stand-in records when each epoch starts and the
# last ends, so its epochs are timed without its transformer's fit (which varies by seconds).
stamps = []
class EpochClock:
    def __init__(self, iterable, disable=True):
        self.iterable = iterable
    def __iter__(self):
        for item in self.iterable:
            stamps.append(time.perf_counter())
            yield item
        stamps.append(time.perf_counter())
    def set_description(self, *args, **kwargs):
        pass
reference.tqdm = EpochClock
table, epochs = sys.argv[1], int(sys.argv[2])
df = pd.read_csv(table)
discrete = [c for c in df.columns if df[c].dtype == object]
model = CTGAN(epochs=epochs, batch_size=500, verbose=False)
t0 = time.perf_counter()
model.fit(df, discrete)
fit = time.perf_counter() - t0
epoch_s = [b - a for a, b in zip(stamps, stamps[1:])]
print(json.dumps({"seconds": fit, "epoch_seconds": epoch_s, "torch": torch.__version__, "rows": len(df),
                  "discrete": len(discrete)}))
"""


def run_medgen(medgen, table, epochs, work):
    model = os.path.join(work, "m.medgen")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    t0 = time.perf_counter()
    subprocess.run([medgen, "fit", table, "-s", "ctgan", "--epochs", str(epochs), "--threads", "1", "-o", model, "-q"],
                   check=True, env=env)
    return time.perf_counter() - t0


def run_python(pythonpath, table, epochs):
    env = dict(os.environ, PYTHONPATH=pythonpath, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(["/usr/bin/python3", "-c", PY_FIT, table, str(epochs)], check=True, env=env,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--medgen", default="build/medgen")
    ap.add_argument("--peers", help="folder with sdv-dev+CTGAN, sdv-dev+RDT, joke2k+faker")
    ap.add_argument("--pythonpath", help="PYTHONPATH for the reference (instead of --peers)")
    ap.add_argument("--table", help="CSV (default: the CTGAN checkout's examples/csv/adult.csv)")
    ap.add_argument("--epochs", type=int, nargs=2, default=[2, 6])
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    if not a.pythonpath and not a.peers:
        sys.exit("compare_ctgan_python: give --peers or --pythonpath")
    pythonpath = a.pythonpath or os.pathsep.join(
        os.path.join(a.peers, d) for d in ("sdv-dev+CTGAN", "sdv-dev+RDT", "joke2k+faker"))
    table = a.table or os.path.join(a.peers, "sdv-dev+CTGAN", "examples", "csv", "adult.csv")
    lo, hi = sorted(a.epochs)
    if lo < 1 or hi <= lo:
        sys.exit("compare_ctgan_python: --epochs needs two different counts >= 1")
    times = {("medgen", lo): [], ("medgen", hi): [], ("python", lo): [], ("python", hi): []}
    python_epochs = []  # every epoch the reference ran, timed by its own loop
    torch_version = None
    with tempfile.TemporaryDirectory() as work:
        for rep in range(a.reps):
            for epochs in (lo, hi):
                m = run_medgen(a.medgen, table, epochs, work)
                p = run_python(pythonpath, table, epochs)
                torch_version = p["torch"]
                times[("medgen", epochs)].append(m)
                times[("python", epochs)].append(p["seconds"])
                python_epochs += p["epoch_seconds"]
                print(json.dumps({"bench": "ctgan_vs_python_run", "rep": rep, "epochs": epochs, "medgen_s": m,
                                  "python_s": p["seconds"], "python_epoch_s": p["epoch_seconds"], "rows": p["rows"],
                                  "discrete": p["discrete"]}), flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    per_epoch = {side: (med[(side, hi)] - med[(side, lo)]) / (hi - lo) for side in ("medgen", "python")}
    print(json.dumps({"bench": "ctgan_vs_python", "table": os.path.basename(table), "threads": 1,
                      "python_torch": torch_version, "epochs": [lo, hi],
                      "medgen_s": {str(lo): med[("medgen", lo)], str(hi): med[("medgen", hi)]},
                      "python_s": {str(lo): med[("python", lo)], str(hi): med[("python", hi)]},
                      "medgen_s_per_epoch": per_epoch["medgen"], "python_s_per_epoch": per_epoch["python"],
                      "python_s_per_epoch_timed": statistics.median(python_epochs),
                      "ratio_per_epoch": per_epoch["python"] / per_epoch["medgen"],
                      "ratio_per_epoch_timed": statistics.median(python_epochs) / per_epoch["medgen"],
                      "ratio_end_to_end": {str(e): med[("python", e)] / med[("medgen", e)] for e in (lo, hi)}}))


if __name__ == "__main__":
    main()
