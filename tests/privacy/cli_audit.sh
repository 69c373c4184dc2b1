#!/usr/bin/env bash
# bench/privacy/audit_canaries.py: its statistics (Clopper-Pearson intervals, the epsilon bound)
# against known values, and a small audit in which the attack must tell inserted canaries apart
# for a model that copies rows (cart with leaves of one row) and must not for mst at epsilon 1.
set -u
medgen="$1"
src="$2"

. "$(dirname "$0")/../cli/lib.sh"

/usr/bin/python3 - "$src/bench/privacy/audit_canaries.py" <<'PY' || fails=$((fails + 1))
import importlib.util, math, sys
spec = importlib.util.spec_from_file_location("audit", sys.argv[1])
a = importlib.util.module_from_spec(spec)
spec.loader.exec_module(a)
# Clopper-Pearson 95%: 0 of 10 -> upper 0.3085; 10 of 10 -> lower 0.6915; 5 of 10 -> (0.1871, 0.8129).
assert abs(a.clopper_pearson(0, 10)[1] - 0.308497) < 1e-4, a.clopper_pearson(0, 10)
assert abs(a.clopper_pearson(10, 10)[0] - 0.691503) < 1e-4, a.clopper_pearson(10, 10)
lo, hi = a.clopper_pearson(5, 10)
assert abs(lo - 0.187086) < 1e-4 and abs(hi - 0.812914) < 1e-4, (lo, hi)
# The bound: TPR 0.9 at FPR 0.1 -> log 9; no separation -> 0.
assert abs(a.eps_bound(0.9, 0.1, 0.0) - math.log(9)) < 1e-12
assert a.eps_bound(0.5, 0.5, 0.0) == 0.0
# Mann-Whitney AUC with ties.
assert a.roc_auc([(1, True), (0, False)]) == 1.0
assert a.roc_auc([(1, True), (1, False), (0, False)]) == 0.75
# A threshold that separates the choosing half perfectly, tested on a perfectly separated half
# of 100 members and 100 non-members: log(0.9638 / 0.0362).
choose = [(1.0, True)] * 50 + [(0.0, False)] * 50
test = [(1.0, True)] * 100 + [(0.0, False)] * 100
eps, t = a.audit_bound(choose, test, 0.0)
assert t == 1.0 and abs(eps - math.log(a.clopper_pearson(100, 100)[0] / a.clopper_pearson(0, 100)[1])) < 1e-9, eps
print("ok   audit statistics")
PY

out=$(/usr/bin/python3 "$src/bench/privacy/audit_canaries.py" --medgen "$medgen" --table "$src/tests/data/nwtco.csv" \
      --models cart:1 mst:1 --canaries 20 --trials 16 --seed 3 2>"$tmp/stderr")
if [ $? -ne 0 ]; then
  echo "FAIL audit run: $(tail -3 "$tmp/stderr")"
  fails=$((fails + 1))
else
  /usr/bin/python3 - <<PY || fails=$((fails + 1))
import json
rows = {r["model"]: r for r in map(json.loads, """$out""".strip().splitlines())}
cart, mst = rows["cart:1"], rows["mst:1"]
assert cart["trials"] == 16 and cart["canaries"] == 20 and cart["claimed_epsilon"] is None, cart
assert mst["claimed_epsilon"] == 1.0 and mst["delta"] == 1e-9, mst
# Leaves of one row copy the canaries: the distance attack finds them (about 0.77 in larger runs).
assert cart["attacks"]["distance"]["auc"] > 0.6, cart
# mst at epsilon 1 must not let them be found, nor show a bound above its claim.
for k in ("distance", "marginals"):
    assert mst["attacks"][k]["auc"] < 0.62, mst
assert mst["epsilon_lower_bound_95"] <= 1.0, mst
print("ok   audit: cart:1 AUC %.3f, mst:1 AUC %.3f / %.3f" % (cart["attacks"]["distance"]["auc"],
      mst["attacks"]["distance"]["auc"], mst["attacks"]["marginals"]["auc"]))
PY
fi
exit $((fails > 0))
