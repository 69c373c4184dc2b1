#!/usr/bin/env bash
# A table larger than memory, fitted from a streamed pass (issue 20 item 6):
#  1. fits a copula on a real table (default tests/data/pbc.csv),
#  2. samples ROWS rows from it to a CSV file in DIR (`medgen sample`, written in chunks),
#  3. shows that the in-memory fit refuses the file (above its 2 GiB read bound),
#  4. fits a copula on the file with `fit --stream`,
#  5. fits the first million rows in memory and with --stream, and compares the latent
#     correlation matrices: those two, and the generating model's with the streamed fit's.
# One JSON line per step: wall seconds and peak resident memory (/usr/bin/time -v), the file's
# size, and the streamed fit's own report. The generated file is deleted at the end.
#   bench/stream/bench_stream_fit.sh [ROWS] [DIR] [CSV] [CHUNK_MB]
# Defaults: 50,000,000 rows, /tmp, pbc, 8 MiB blocks.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
B=${MEDGEN:-$here/build/medgen}
rows=${1:-50000000}
dir=${2:-/tmp}
csv=${3:-$here/tests/data/pbc.csv}
chunk_mb=${4:-8}
work=$(mktemp -d "$dir/medgen-stream-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
big="$work/big.csv"

# Runs a command under /usr/bin/time -v; prints "wall_s max_rss_kb exit_status".
timed() {
  local log="$work/time.log" status=0
  /usr/bin/time -v "$@" 2>"$log" >"$work/out.json" || status=$?
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  echo "$wall $rss $status"
}

read -r wall rss st < <(timed "$B" fit "$csv" -s copula -o "$work/source.medgen" --seed 1 --reproducible -q)
echo "{\"bench\":\"stream_fit\",\"step\":\"fit_source\",\"table\":\"$(basename "$csv")\",\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st}"

read -r wall rss st < <(timed "$B" sample "$work/source.medgen" -n "$rows" -o "$big" --seed 2 -q)
bytes=$(stat -c %s "$big")
echo "{\"bench\":\"stream_fit\",\"step\":\"sample\",\"rows\":$rows,\"bytes\":$bytes,\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st}"

read -r wall rss st < <(timed "$B" fit "$big" -s copula -o "$work/whole.medgen" -q)
msg=$(grep -m1 'medgen:' "$work/time.log" | sed 's/"/\\"/g' || true)
echo "{\"bench\":\"stream_fit\",\"step\":\"fit_in_memory\",\"bytes\":$bytes,\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st,\"message\":\"$msg\"}"

read -r wall rss st < <(timed "$B" fit "$big" -s copula --stream --chunk-mb "$chunk_mb" -o "$work/streamed.medgen" --seed 1 --json)
report=$(cat "$work/out.json")
echo "{\"bench\":\"stream_fit\",\"step\":\"fit_stream\",\"rows\":$rows,\"bytes\":$bytes,\"chunk_mb\":$chunk_mb,\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st,\"report\":${report:-null}}"

# The first million rows fitted both ways: what the reservoir (100,000 values per column)
# changes against the in-memory fit of the same rows.
head -n 1000001 "$big" >"$work/head.csv"
read -r wall rss st < <(timed "$B" fit "$work/head.csv" -s copula -o "$work/head_whole.medgen" --seed 1 -q)
echo "{\"bench\":\"stream_fit\",\"step\":\"fit_in_memory_1m\",\"rows\":1000000,\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st}"
read -r wall rss st < <(timed "$B" fit "$work/head.csv" -s copula --stream --chunk-mb "$chunk_mb" -o "$work/head_streamed.medgen" --seed 1 -q)
echo "{\"bench\":\"stream_fit\",\"step\":\"fit_stream_1m\",\"rows\":1000000,\"seconds\":$wall,\"max_rss_kb\":$rss,\"status\":$st}"
rm -f "$work/head.csv"

# Latent correlation matrices compared: the 1M-row fits with each other, and the generating
# model with the streamed fit of all rows (the copula's own estimator error: discrete pairs
# and missingness latents differ most, in memory too). Max and mean absolute differences over
# all pairs, and over pairs of continuous latents.
/usr/bin/python3 - "$work" <<'PY'
import json, struct, sys
def state(path):
    with open(path, "rb") as f:
        b = f.read(20)
        (hlen,) = struct.unpack("<Q", b[12:20])
        return json.loads(f.read(hlen))["state"]
def compare(step, pa, pb):
    a, b = state(pa), state(pb)
    ka = [(l["column"], l["kind"]) for l in a["latents"]]
    kb = [(l["column"], l["kind"]) for l in b["latents"]]
    out = {"bench": "stream_fit", "step": step, "latents": len(ka), "same_latents": ka == kb}
    if ka == kb:
        d = len(ka)
        pairs = [(i, j) for i in range(d) for j in range(i + 1, d)]
        cont = [(i, j) for i, j in pairs if ka[i][1] == "continuous" and ka[j][1] == "continuous"]
        diff = lambda i, j: abs(a["correlation"][i * d + j] - b["correlation"][i * d + j])
        for name, ps in (("all", pairs), ("continuous", cont)):
            if ps:
                out[name + "_pairs"] = len(ps)
                out[name + "_max_abs_diff"] = round(max(diff(i, j) for i, j in ps), 5)
                out[name + "_mean_abs_diff"] = round(sum(diff(i, j) for i, j in ps) / len(ps), 5)
    print(json.dumps(out))
w = sys.argv[1]
compare("correlation_1m_stream_vs_in_memory", w + "/head_whole.medgen", w + "/head_streamed.medgen")
compare("correlation_recovered_vs_generating_model", w + "/source.medgen", w + "/streamed.medgen")
PY
