#!/usr/bin/env bash
# A table larger than memory, fitted from a streamed pass (issue 20 item 6):
#  1. fits a copula on a real table (default tests/data/pbc.csv),
#  2. samples ROWS rows from it to a CSV file in DIR (`medgen sample`, written in chunks),
#  3. shows that the in-memory fit refuses the file (above its 2 GiB read bound),
#  4. fits a copula on the file with `fit --stream`,
#  5. compares the recovered latent correlation matrix with the generating model's.
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

# The generating model's latent correlation against the recovered one (same latents when the
# columns keep their kinds).
/usr/bin/python3 - "$work/source.medgen" "$work/streamed.medgen" <<'PY'
import json, struct, sys
def state(path):
    with open(path, "rb") as f:
        b = f.read(20)
        (hlen,) = struct.unpack("<Q", b[12:20])
        return json.loads(f.read(hlen))["state"]
a, b = state(sys.argv[1]), state(sys.argv[2])
ka = [(l["column"], l["kind"]) for l in a["latents"]]
kb = [(l["column"], l["kind"]) for l in b["latents"]]
out = {"bench": "stream_fit", "step": "correlation_recovered", "latents": len(ka), "same_latents": ka == kb}
if ka == kb:
    d = len(ka)
    diffs = [abs(x - y) for x, y in zip(a["correlation"], b["correlation"])]
    out["max_abs_diff"] = round(max(diffs), 5)
    out["mean_abs_diff"] = round(sum(diffs) / max(1, d * d - d), 5)
print(json.dumps(out))
PY
