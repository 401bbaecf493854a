#!/bin/sh
# End to end, as a user runs it (issue 4): `mlp train` on a CSV file
# against a Python script doing the same with pandas and XGBoost 1.7
# (Debian's, /usr/bin/python3), 2 threads each, on ROWS rows x 28 floats
# from gen-data.py, the last 20% held out; hist, 100 rounds, depth 6,
# eta 0.1, binary:logistic. Both sides load the file, train, compute
# train and valid logloss, AUC and error every round and save the model;
# mlp also digests the file, logs every point and stores the artifacts.
# XGBoost is also timed without per-round metrics. Prints figures and
# ratios; asserts nothing.
# Usage: sh tests/perf/train-e2e.sh [BUILD_DIR] [ROWS]
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/${1:-build}
ROWS=${2:-1000000}
PY=/usr/bin/python3
[ -x "$build/mlp" ] || { echo "build mlp first (make)"; exit 1; }
$PY -c 'import xgboost, pandas' 2>/dev/null ||
	{ echo "skipped: $PY lacks xgboost or pandas (apt-get install python3-xgboost python3-pandas)"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "== data: $ROWS rows x 28 features"
$PY "$top/tests/perf/gen-data.py" "$ROWS" all.csv
cat > xgb.py <<'PYEOF'
import sys, time
t0 = time.time()
import pandas as pd, xgboost as xgb
df = pd.read_csv(sys.argv[1])
k = int(len(df) * 0.8)
X, y = df.drop(columns=["label"]), df["label"]
dtr = xgb.DMatrix(X[:k], label=y[:k], nthread=2)
dva = xgb.DMatrix(X[k:], label=y[k:], nthread=2)
p = {"tree_method": "hist", "max_depth": 6, "eta": 0.1, "max_bin": 256,
     "objective": "binary:logistic", "nthread": 2,
     "eval_metric": ["logloss", "auc", "error"]}
ev = [(dtr, "train"), (dva, "valid")] if sys.argv[2] == "1" else []
b = xgb.train(p, dtr, 100, evals=ev, verbose_eval=False)
b.save_model("m.json")
print("%.2f" % (time.time() - t0))
PYEOF
"$build/mlp" -q init
t() { s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
mlp=$(t "$build/mlp" -q train --data all.csv --target label --valid-fraction 0.2 \
    -p rounds=100 -p max_depth=6 -p learning_rate=0.1 -p objective=binary:logistic)
# XGBoost's OpenMP spins by default; passive waiting is faster on a busy
# machine: the better of the two
x1=$($PY xgb.py all.csv 1); x2=$(OMP_WAIT_POLICY=PASSIVE $PY xgb.py all.csv 1)
xe=$(min "$x1" "$x2")
n1=$($PY xgb.py all.csv 0); n2=$(OMP_WAIT_POLICY=PASSIVE $PY xgb.py all.csv 0)
xn=$(min "$n1" "$n2")
printf '%-52s %8.2f s\n' "mlp train (load, digest, train, log, store)" "$mlp"
printf '%-52s %8.2f s  (%sx mlp)\n' "pandas + XGBoost, metrics every round" "$xe" \
    "$(ratio "$xe" "$mlp")"
printf '%-52s %8.2f s  (%sx mlp)\n' "pandas + XGBoost, no metrics" "$xn" \
    "$(ratio "$xn" "$mlp")"
