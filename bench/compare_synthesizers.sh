#!/bin/bash
# Every synthesizer on several real tables, side by side (issue 23's honest comparison): each
# table is split 80/20 by `medgen split` (by patient where rows repeat a patient) before
# anything is fitted; each synthesizer is fitted on the training part, samples as many rows,
# and `medgen evaluate` scores them against the training part with the holdout as the
# ceiling. Prints one JSON line per (table, synthesizer) and a Markdown table: XGBoost
# detection AUC beside the holdout's, quality, utility, DCR against the holdout's, the share of
# synthetic rows closer to a training row than to any holdout row, membership-inference AUC,
# fit seconds and sampling rows/s (wall clock, one thread, 20,000 rows written as CSV, process
# start included).
#
#   bench/compare_synthesizers.sh [-s "copula cart tvae ..."] [-t "table:target ..."] [-p 'JSON params per synth, e.g. tvae={"epochs":100}'] [-r SEED]
#
# Environment: MEDGEN (default build/medgen), DATASETS (default ../shared/datasets: the CSVs),
# WORK (scratch folder; default a fresh mktemp).
set -euo pipefail
B=${MEDGEN:-build/medgen}
DATASETS=${DATASETS:-../shared/datasets}
SYNTHS="copula cart tvae ctgan diffusion autoregressive"
TABLES="nwtco:rel aids2:status colon:status mgus2:death pima2:diabetes gbsg2:cens pbc:status"
SEED=1
declare -A PARAMS=()
while getopts "s:t:p:r:" o; do
  case $o in
    s) SYNTHS=$OPTARG ;;
    t) TABLES=$OPTARG ;;
    p) PARAMS[${OPTARG%%=*}]=${OPTARG#*=} ;;
    r) SEED=$OPTARG ;;
    *) exit 2 ;;
  esac
done
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
now() { date +%s.%N; }
for tt in $TABLES; do
  t=${tt%%:*}
  target=${tt#*:}
  d=$WORK/$t
  if [ ! -d "$d/train" ]; then
    mkdir -p "$d/in"
    cp "$DATASETS/$t.csv" "$d/in/"
    $B split "$d/in" --fraction 0.2 --seed "$SEED" --train "$d/train" --holdout "$d/holdout" -q
  fi
  rows=$(($(wc -l < "$d/train/$t.csv") - 1))
  for s in $SYNTHS; do
    o=$WORK/$t-$s
    mkdir -p "$o"
    p=${PARAMS[$s]:-"{}"}
    t0=$(now)
    $B fit "$d/train/$t.csv" -s "$s" --params "$p" --seed "$SEED" -o "$o/m.medgen" -q
    t1=$(now)
    $B sample "$o/m.medgen" -n "$rows" --seed "$SEED" -o "$o/syn.csv" -q
    t2=$(now)
    $B sample "$o/m.medgen" -n 20000 --seed "$SEED" -o "$o/speed.csv" -q  # sampling speed: 20,000 rows
    t3=$(now)
    rm -f "$o/speed.csv"
    $B evaluate --real "$d/train/$t.csv" --synthetic "$o/syn.csv" --holdout "$d/holdout/$t.csv" --target "$target" \
      --seed "$SEED" --json-out "$o/ev.json" -q > /dev/null
    /usr/bin/python3 - "$o/ev.json" "$t" "$s" "$rows" "$t0" "$t1" "$t2" "$t3" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
rows, t0, t1, t2, t3 = int(sys.argv[4]), *map(float, sys.argv[5:9])
print(json.dumps({"table": sys.argv[2], "synthesizer": sys.argv[3], "rows": rows, "fit_seconds": round(t1 - t0, 2),
                  "sample_rows_per_second": round(20000 / max(t3 - t2, 1e-9)), "summary": s}))
EOF
  done
done | tee "$WORK/runs.jsonl"
/usr/bin/python3 - "$WORK/runs.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| table | synthesizer | detection AUC (holdout) | margin | quality (holdout) | utility | DCR median (holdout) | closer to train | membership AUC | fit s | sample rows/s |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
f = lambda v: "–" if v is None else "%.3f" % v
for r in rows:
    s = r["summary"]
    print("| %s | %s | %s (%s) | %+.3f | %s (%s) | %s | %s (%s) | %s | %s | %.1f | %d |" % (
        r["table"], r["synthesizer"], f(s.get("detection_auc")), f(s.get("detection_auc_holdout")),
        s.get("detection_auc_margin") or 0, f(s.get("quality")), f(s.get("quality_ceiling")), f(s.get("utility_ratio")),
        f(s.get("dcr_median_synthetic")), f(s.get("dcr_median_holdout")), f(s.get("share_closer_to_train")),
        f(s.get("membership_auc")), r["fit_seconds"], r["sample_rows_per_second"]))
EOF
