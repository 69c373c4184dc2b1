#!/bin/bash
# Learned records against the independent-visits baseline on the PBC trial, over several
# random splits: for each seed, `medgen split` holds out 20% of the patients, both sequence
# models are fitted on the rest (copula parents), as many synthetic patients are sampled as
# there are training patients (or N), and `medgen evaluate` scores them against the training
# patients with the holdout as the ceiling. Prints one JSON line per run and a summary table
# (mean and standard error over the seeds).
#
#   bench/records/compare_pbc.sh [-n N] [-f FIT_OPTIONS] [-g GRU_PARAMS] [SEEDS...]   (default seeds: 42 7 13 21 1 2 3 4)
#
# FIT_OPTIONS go to both fits (e.g. "-s copula" for the patients' synthesizer); GRU_PARAMS is
# the gru's --sequence-params (e.g. '{"lengths":"given"}').
#
# Environment: MEDGEN (default build/medgen), WORK (a scratch folder; default a fresh mktemp).
set -euo pipefail
B=${MEDGEN:-build/medgen}
N=""
FIT=""
GRU="{}"
while getopts "n:f:g:" o; do
  case $o in
    n) N=$OPTARG ;;
    f) FIT=$OPTARG ;;
    g) GRU=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
SEEDS=${*:-42 7 13 21 1 2 3 4}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
DATA=$(cd "$(dirname "$0")/../.." && pwd)/data/records/pbc
for s in $SEEDS; do
  d=$WORK/split$s
  [ -d "$d/train" ] || $B split "$DATA" --fraction 0.2 --seed "$s" --train "$d/train" --holdout "$d/holdout" -q
  n=${N:-$(($(wc -l < "$d/train/pbc.csv") - 1))}
  for m in independent gru; do
    o=$WORK/$m-$s
    rm -rf "$o"
    mkdir -p "$o"
    seq=()
    [ "$m" = gru ] && seq=(--sequence-params "$GRU")
    # shellcheck disable=SC2086
    $B fit "$d/train" --sequence-model $m "${seq[@]}" -o "$o/m.medgen" -q --seed "$s" $FIT
    $B sample "$o/m.medgen" -n "$n" -o "$o/syn" --seed "$s" -q
    $B evaluate --real "$d/train" --synthetic "$o/syn" --holdout "$d/holdout" --target status --json-out "$o/ev.json" -q > /dev/null
    /usr/bin/python3 - "$o/ev.json" "$m" "$s" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(json.dumps({"model": sys.argv[2], "seed": int(sys.argv[3]), "summary": s}))
EOF
  done
done | tee "$WORK/runs.jsonl"
/usr/bin/python3 - "$WORK/runs.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = ["table_quality", "child_count_tvd", "gap_ks", "trajectory_error", "autocorrelation_error",
        "parent_child_error", "detection_auc"]
def cell(v):
    return "%.3f ± %.3f" % (statistics.mean(v), statistics.stdev(v) / len(v) ** 0.5) if len(v) > 1 else "%.3f" % v[0]
print("| metric | independent | gru | holdout |")
print("|---|---|---|---|")
for k in keys + ["utility", "summary_dcr_ratio", "sequence_dcr_ratio", "membership_auc"]:
    line = [k]
    for m in ["independent", "gru"]:
        r = [x["summary"] for x in rows if x["model"] == m]
        v = [x[k]["ratio"] if k == "utility" else (x[k]["synthetic"] if isinstance(x[k], dict) else x[k]) for x in r]
        line.append(cell(v))
    r = [x["summary"] for x in rows if x["model"] == "gru"]
    line.append("%.3f" % statistics.mean(x[k]["holdout"] for x in r) if k in keys else "")
    print("| " + " | ".join(line) + " |")
EOF
