#!/usr/bin/python3
"""Does the risk implied by a biomarker forecast rank patients better than the risk from the values
they have? docs/predict.md ("The risk implied by a forecast") quotes this script's output.

Usage: eval_forecast_risk.py MEDGEN [SOURCE_DIR]   (SOURCE_DIR default: the checkout holding this file)

The Mayo model is fitted on every pbc row (5 terms, Efron), then, at the landmark day 365, for the
patients alive and in follow-up then with a pbcseq visit by then, three risks are ranked against
death after the landmark (Harrell's c, 95% percentile bootstrap over patients, 200 resamples,
differences paired): from the entry values (pbc.csv), from the values at the latest visit by day
365, and implied by the forecast made at that visit (`predict forecast -m --at 365`). The model saw
these patients' outcomes when it was fitted on their entry values, so the figures are not out of
sample; they compare the three inputs to one fixed model.
"""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

W = 365.0


def harrell(rows, idx, k):
    num = den = 0.0
    for a in idx:
        ta, ea = rows[a][0], rows[a][1]
        if not ea:
            continue
        for b in idx:
            if rows[b][0] > ta:
                den += 1
                if rows[a][k] > rows[b][k]:
                    num += 1
                elif rows[a][k] == rows[b][k]:
                    num += 0.5
    return num / den


def ci(vals):
    v = sorted(vals)
    return v[int(0.025 * (len(v) - 1) + 0.5)], v[int(0.975 * (len(v) - 1) + 0.5)]


def main():
    medgen = os.path.abspath(sys.argv[1])
    src = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    pbc_path, seq_path = os.path.join(src, "data", "pbc.csv"), os.path.join(src, "data", "pbcseq.csv")
    with tempfile.TemporaryDirectory() as tmp:
        model, entry = os.path.join(tmp, "mayo.json"), os.path.join(tmp, "entry.csv")
        subprocess.run([medgen, "predict", "fit", pbc_path, "--time", "time", "--event", "status", "--event-value", "2",
                        "--horizon", "1826", "--features", "age, edema, log(bili), log(albumin), log(protime)",
                        "--bootstrap", "0", "-o", model, "-q"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([medgen, "predict", "apply", pbc_path, "-m", model, "-o", entry], check=True)
        pbc = list(csv.DictReader(open(pbc_path)))
        entry_risk = [r["risk"] for r in csv.DictReader(open(entry))]
        for markers in (["bili", "albumin"], ["bili", "albumin", "protime"]):
            cmd = [medgen, "predict", "forecast", seq_path, "--id", "id", "--visit-time", "day", "-m", model,
                   "--at", str(W), "--json", "--seed", "1"]
            for m in markers:
                cmd += ["--marker", m]
            points = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["risk"]["points"]
            by = {p["id"]: p for p in points}
            rows = []
            for i, r in enumerate(pbc):
                p = by.get(r["id"])
                if float(r["time"]) <= W or p is None or "risk" not in p or p["risk_observed"] is None or not entry_risk[i]:
                    continue
                rows.append((float(r["time"]) - W, int(r["status"] == "2"), float(entry_risk[i]), p["risk_observed"], p["risk"]))
            n = len(rows)
            c = [harrell(rows, range(n), k) for k in (2, 3, 4)]
            rng = random.Random(1)
            boots = []
            for _ in range(200):
                idx = [rng.randrange(n) for _ in range(n)]
                boots.append([harrell(rows, idx, k) for k in (2, 3, 4)])
            print(f"forecast of {', '.join(markers)}: {n} patients, {sum(r[1] for r in rows)} deaths after day {W:g}")
            for name, k in (("entry values", 0), ("values at the latest visit", 1), ("implied by the forecast", 2)):
                print("  %-28s c %.3f (%.3f-%.3f)" % ((name, c[k]) + ci([b[k] for b in boots])))
            for name, (a, b) in (("latest visit - entry", (1, 0)), ("forecast - latest visit", (2, 1))):
                print("  %-28s %+.3f (%+.3f to %+.3f)" % ((name, c[a] - c[b]) + ci([x[a] - x[b] for x in boots])))


if __name__ == "__main__":
    main()
