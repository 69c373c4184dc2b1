#!/usr/bin/python3
"""Empirical privacy audit of a synthesizer with canaries (issue 20 item 4).

A canary is a made-up patient: each categorical value drawn uniformly from the schema's levels,
each number uniformly between the schema's bounds (within the public schema, far from the real
rows' joint distribution). Each trial inserts a random half of K canaries into the training
table, fits the synthesizer through the medgen CLI with the table's schema fixed, samples as
many rows as the table has, and scores every canary by minus its distance to the closest
synthetic row (the mean over columns of |difference| / range for numbers, 0/1 for categories,
1 against a missing value). Inserted canaries are members, the others non-members.

From the scores, the attack's ROC AUC and a lower bound on the epsilon that the model can
actually have spent (Jagielski, Ullman and Oprea, NeurIPS 2020; Nasr et al., IEEE S&P 2021):
for a threshold t, TPR and FPR of "score >= t means member" bound epsilon by
    eps >= max(log((TPR - delta) / FPR), log((1 - FPR - delta) / (1 - TPR))).
The threshold is chosen on the odd trials (rates smoothed by half a count) and the bound computed
on the even ones, with
Clopper-Pearson 95% intervals (TPR's lower and FPR's upper end), so the figure is a lower bound
that holds with 95% confidence. A model whose claimed epsilon is below the measured bound would
be broken; a bound far below the claim says the attack (or the model's slack) leaves room.
With n members and n non-members per half, the largest bound the audit can show is about
log(n / 3.7) (every canary told apart): the audit can refute a claim, never prove one.

Prints one JSON line per model and table; --markdown adds a table.

  bench/privacy/audit_canaries.py --medgen build/medgen --table tests/data/nwtco.csv \\
      --models mst:1 mst:3 mst:10 mst:1000 copula cart:1 --canaries 50 --trials 60 --markdown

Model specs: mst:EPS (--epsilon EPS --delta 1e-9), tvae-dp:EPS (tvae under DP-SGD), ctgan-dp:EPS (ctgan's discriminator under DP-SGD), NAME (any
synthesizer with its defaults), cart:LEAF (cart with min_leaf LEAF).
"""
import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np


def read_table(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def parse_number(s):
    try:
        v = float(s)
        return v if math.isfinite(v) else None
    except ValueError:
        return None


def make_canaries(schema, header, k, rng):
    cols = schema["columns"]
    by_name = {c["name"]: c for c in cols}
    canaries = []
    for i in range(k):
        row = []
        for name in header:
            c = by_name.get(name)
            if c is None or c["type"] in ("text",):
                row.append("")
            elif c["type"] in ("categorical", "boolean"):
                row.append(rng.choice(c.get("values", ["true", "false"])))
            elif c["type"] == "identifier":
                row.append("canary%d" % i)
            else:
                lo, hi = c["min"], c["max"]
                v = rng.uniform(lo, hi)
                if c.get("integer"):
                    row.append(str(int(round(v))))
                else:
                    row.append(repr(round(v, int(c.get("decimals", 6)))))
        canaries.append(row)
    return canaries


def encoder(schema, header):
    """Column i -> (kind, range) for the distance; identifiers and text are left out."""
    by_name = {c["name"]: c for c in schema["columns"]}
    enc, lows = [], {}
    for i, name in enumerate(header):
        c = by_name.get(name)
        if c is None or c["type"] in ("text", "identifier"):
            continue
        if c["type"] in ("categorical", "boolean"):
            enc.append((i, "cat", 1.0))
        else:
            enc.append((i, "num", max(c["max"] - c["min"], 1e-12)))
            lows[i] = c["min"]
    return enc, [lows.get(i, 0.0) for i, _, _ in enc]


def columns_of(rows, enc):
    """The synthetic rows as one array per encoded column (numbers: NaN for missing)."""
    out = []
    for i, kind, _ in enc:
        vals = [r[i] if i < len(r) else "" for r in rows]
        if kind == "cat":
            out.append(np.array(vals, dtype=object))
        else:
            out.append(np.array([np.nan if (x := parse_number(v)) is None else x for v in vals]))
    return out


def closest_distance(canary, cols, enc):
    d = np.zeros(len(cols[0]) if cols else 0)
    for (i, kind, span), col in zip(enc, cols):
        if kind == "cat":
            d += col != canary[i]
        else:
            x = parse_number(canary[i])
            d += 1.0 if x is None else np.where(np.isnan(col), 1.0, np.minimum(np.abs(col - x) / span, 1.0))
    return float(d.min()) / len(enc) if len(d) else 1.0


def bin_of(x, lo, span, bins=10):
    return np.where(np.isnan(x), -1, np.clip(np.floor((x - lo) / span * bins), 0, bins - 1))


def pair_score(canary, cols, enc, lows):
    """The marginal attack: over every pair of columns, log(1 + the number of synthetic rows in
    the canary's cell of that pair's 2-way table). A marginal-based synthesizer (mst) releases
    noisy low-order marginals, so this is where a canary's one extra count would show."""
    hits = []
    for (i, kind, span), col, lo in zip(enc, cols, lows):
        if kind == "cat":
            hits.append(col == canary[i])
        else:
            x = parse_number(canary[i])
            if x is None:
                hits.append(np.isnan(col))
            else:
                hits.append(bin_of(col, lo, span) == bin_of(np.array([x]), lo, span)[0])
    score = 0.0
    for a in range(len(hits)):
        for b in range(a + 1, len(hits)):
            score += math.log1p(int(np.count_nonzero(hits[a] & hits[b])))
    return score


def log_binom_pmf(k, n, p):
    if p <= 0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p)
            + (n - k) * math.log1p(-p))


def binom_tail_ge(k, n, p):
    return sum(math.exp(log_binom_pmf(j, n, p)) for j in range(k, n + 1))


def clopper_pearson(k, n, alpha=0.05):
    """Two-sided (1 - alpha) interval for a binomial proportion k / n."""
    def bisect(f, lo=0.0, hi=1.0):
        for _ in range(60):
            mid = (lo + hi) / 2
            if f(mid):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2
    lower = 0.0 if k == 0 else bisect(lambda p: binom_tail_ge(k, n, p) >= alpha / 2)
    upper = 1.0 if k == n else bisect(lambda p: 1 - binom_tail_ge(k + 1, n, p) <= alpha / 2)
    return lower, upper


def eps_bound(tpr, fpr, delta):
    """The bound at point estimates (infinite where a rate is 0 and the other side positive)."""
    out = 0.0
    if tpr - delta > 0:
        out = max(out, math.log((tpr - delta) / fpr) if fpr > 0 else math.inf)
    if 1 - fpr - delta > 0:
        out = max(out, math.log((1 - fpr - delta) / (1 - tpr)) if tpr < 1 else math.inf)
    return out


def rates(obs, t):
    mem = [s for s, m in obs if m]
    non = [s for s, m in obs if not m]
    return sum(s >= t for s in mem), len(mem), sum(s >= t for s in non), len(non)


def audit_bound(obs_choose, obs_test, delta):
    """Threshold chosen on obs_choose (smoothed point estimates), the 95% bound on obs_test."""
    best_t, best_eps = None, -1.0
    for t in sorted({s for s, _ in obs_choose}):
        tp, n_m, fp, n_n = rates(obs_choose, t)
        # Rates smoothed by half a count (Jeffreys), so that a far tail with a handful of members
        # and no non-members does not look infinitely telling.
        e = eps_bound((tp + 0.5) / (n_m + 1), (fp + 0.5) / (n_n + 1), delta) if n_m and n_n else 0.0
        if e > best_eps:
            best_t, best_eps = t, e
    if best_t is None:
        return 0.0, None
    tp, n_m, fp, n_n = rates(obs_test, best_t)
    tpr_lo, tpr_hi = clopper_pearson(tp, n_m)
    fpr_lo, fpr_hi = clopper_pearson(fp, n_n)
    # The conservative end of each interval for each of the two ratios.
    e1 = math.log((tpr_lo - delta) / fpr_hi) if tpr_lo - delta > 0 and fpr_hi > 0 else 0.0
    e2 = math.log((1 - fpr_hi - delta) / (1 - tpr_lo)) if 1 - fpr_hi - delta > 0 and tpr_lo < 1 else 0.0
    return max(0.0, e1, e2), best_t


def roc_auc(obs):
    """P(a member's score > a non-member's), ties counting one half (Mann-Whitney)."""
    scores = np.array([s for s, _ in obs])
    member = np.array([m for _, m in obs], dtype=bool)
    n_m, n_n = int(member.sum()), int((~member).sum())
    if n_m == 0 or n_n == 0:
        return float("nan")
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[member].sum() - n_m * (n_m + 1) / 2) / (n_m * n_n))


def fit_args(spec):
    name, _, arg = spec.partition(":")
    if name == "mst":
        return ["-s", "mst", "--epsilon", arg, "--delta", "1e-9"], float(arg), 1e-9
    if name == "tvae-dp":
        return ["-s", "tvae", "--epsilon", arg, "--delta", "1e-6"], float(arg), 1e-6
    if name == "ctgan-dp":
        return ["-s", "ctgan", "--epsilon", arg, "--delta", "1e-6"], float(arg), 1e-6
    if name == "cart" and arg:
        return ["-s", "cart", "--params", json.dumps({"min_leaf": int(arg)})], math.inf, 0.0
    return ["-s", name], math.inf, 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--medgen", default="build/medgen")
    ap.add_argument("--table", required=True)
    ap.add_argument("--models", nargs="+", default=["mst:1", "mst:3", "mst:10", "mst:1000", "copula", "cart:1"])
    ap.add_argument("--canaries", type=int, default=50)
    ap.add_argument("--trials", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    if a.canaries < 2 or a.trials < 4:
        sys.exit("audit_canaries: at least 2 canaries and 4 trials")
    header, base = read_table(a.table)
    results = []
    with tempfile.TemporaryDirectory() as work:
        schema_path = os.path.join(work, "schema.json")
        subprocess.run([a.medgen, "schema", a.table, "-o", schema_path, "-q"], check=True)
        schema = json.load(open(schema_path))
        enc, lows = encoder(schema, header)
        for spec in a.models:
            rng = random.Random(a.seed)  # the same canaries and draws for every model
            canaries = make_canaries(schema, header, a.canaries, rng)
            args, claimed, delta = fit_args(spec)
            obs_by_trial = {"distance": [], "marginals": []}
            t0 = time.time()
            for trial in range(a.trials):
                inserted = [rng.random() < 0.5 for _ in canaries]
                rows = base + [c for c, m in zip(canaries, inserted) if m]
                rng.shuffle(rows)
                train = os.path.join(work, "train.csv")
                with open(train, "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow(header)
                    w.writerows(rows)
                model, syn = os.path.join(work, "m.medgen"), os.path.join(work, "syn.csv")
                seed = str(a.seed * 1000 + trial)
                subprocess.run([a.medgen, "fit", train, "--schema", schema_path, "-o", model, "-q", "--seed", seed]
                               + args, check=True)
                subprocess.run([a.medgen, "sample", model, "-n", str(len(base)), "-o", syn, "-q", "--seed", seed],
                               check=True)
                syn_header, syn_rows = read_table(syn)
                index = [syn_header.index(h) if h in syn_header else -1 for h in header]
                cols = columns_of([[r[j] if j >= 0 else "" for j in index] for r in syn_rows], enc)
                obs_by_trial["distance"].append([(-closest_distance(c, cols, enc), m) for c, m in zip(canaries, inserted)])
                obs_by_trial["marginals"].append([(pair_score(c, cols, enc, lows), m) for c, m in zip(canaries, inserted)])
            attacks = {}
            for attack, trials in obs_by_trial.items():
                # Canaries differ more from one another than one insertion moves any of them: each
                # canary's score is taken relative to its median over the odd trials (no labels used).
                centre = [float(np.median([t[k][0] for i, t in enumerate(trials) if i % 2])) for k in range(len(canaries))]
                trials = [[(sc - centre[k], m) for k, (sc, m) in enumerate(t)] for t in trials]
                odd = [o for i, t in enumerate(trials) if i % 2 for o in t]
                even = [o for i, t in enumerate(trials) if i % 2 == 0 for o in t]
                attacks[attack] = {"auc": roc_auc(odd + even), "epsilon_lower_bound_95": audit_bound(odd, even, delta)[0]}
            # Perfect separation on the test half: the most this audit could show.
            n_m = sum(m for _, m in even)
            n_n = len(even) - n_m
            ceiling = math.log((clopper_pearson(n_m, n_m)[0] - delta) / clopper_pearson(0, n_n)[1])
            r = {"bench": "privacy_audit_canaries", "table": os.path.basename(a.table), "model": spec,
                 "claimed_epsilon": None if math.isinf(claimed) else claimed, "delta": delta,
                 "canaries": a.canaries, "trials": a.trials, "members": sum(m for t in obs_by_trial["distance"] for _, m in t),
                 "attacks": attacks, "epsilon_lower_bound_95": max(x["epsilon_lower_bound_95"] for x in attacks.values()),
                 "largest_bound_possible": ceiling, "seconds": time.time() - t0}
            print(json.dumps(r), flush=True)
            results.append(r)
    if a.markdown:
        print("\n| table | model | claimed epsilon | AUC: distance / marginals | epsilon lower bound (95%): distance / marginals | largest the audit can show |")
        print("|---|---|---|---|---|---|")
        for r in results:
            claim = "none (not private)" if r["claimed_epsilon"] is None else "%g" % r["claimed_epsilon"]
            d, m = r["attacks"]["distance"], r["attacks"]["marginals"]
            print("| %s | %s | %s | %.3f / %.3f | %.2f / %.2f | %.2f |" % (
                r["table"], r["model"], claim, d["auc"], m["auc"], d["epsilon_lower_bound_95"],
                m["epsilon_lower_bound_95"], r["largest_bound_possible"]))


if __name__ == "__main__":
    main()
