#!/usr/bin/env python3
"""Summarises Nsight Compute CSV output (`ncu --csv --metrics gpu__time_duration.sum`, as
scripts/gpu/jobs-ctgan-ncu.sh writes it): kernels, their GPU time, and the time per kernel family
(template arguments dropped), as JSON on stdout.

    python3 scripts/gpu/ncu_summary.py ncu-adult.csv [more.csv ...]
"""
import collections
import csv
import json
import os
import re
import statistics
import sys

SCALE = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}


def summarise(path):
    with open(path) as f:
        lines = [line for line in f if line.startswith('"')]  # the program's own output is not quoted
    times, families = [], collections.defaultdict(lambda: [0, 0.0])
    for row in csv.DictReader(lines):
        us = float(row["Metric Value"].replace(",", "")) * SCALE[row["Metric Unit"]]
        name = row["Kernel Name"].replace("(anonymous namespace)::", "")
        family = re.sub(r"[<(].*", "", name).replace("void ", "").strip()
        times.append(us)
        families[family][0] += 1
        families[family][1] += us
    total = sum(times)
    top = sorted(families.items(), key=lambda kv: -kv[1][1])
    return {
        "file": os.path.basename(path),
        "kernels": len(times),
        "gpu_us": round(total, 1),
        "median_kernel_us": round(statistics.median(times), 2) if times else None,
        "families": [{"name": k, "kernels": c, "gpu_us": round(t, 1), "share": round(t / total, 3)} for k, (c, t) in top],
    }


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(json.dumps([summarise(p) for p in sys.argv[1:]], indent=1))
