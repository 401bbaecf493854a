#!/bin/sh
# Prediction against XGBoost (issue 4). Prints figures and ratios; asserts
# nothing. On ROWS rows (default 1,000,000) of 28 float features:
#   1. XGBoost (Debian's, /usr/bin/python3) trains a model: hist, 100
#      rounds, depth 6, eta 0.1, 2 threads; saved as JSON
#   2. XGBoost predicts every row, 2 threads, best of 3: Booster.predict on
#      a DMatrix built beforehand, the same with the DMatrix built inside the
#      timing, and inplace_predict on the NumPy array
#   3. predict_bench loads the same JSON model and CSV and predicts the same
#      rows (2 threads, best of 3), then one row at a time (1M calls)
#   4. rows/s of both, ratios, and the largest difference between outputs
# Targets: batch >= 2x XGBoost, one row < 2 us.
# Usage: sh tests/perf/predict.sh [BUILD_DIR] [ROWS]
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/${1:-build}
rows=${2:-1000000}
bench=$build/perf/predict_bench
PY=/usr/bin/python3
[ -x "$bench" ] || { echo "build the benchmark first (make perf-bins)"; exit 1; }
$PY -c 'import xgboost, pandas' 2>/dev/null ||
	{ echo "skipped: $PY lacks xgboost or pandas (apt-get install python3-xgboost python3-pandas)"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== data: $rows rows x 28 features"
if [ -f "$top/tests/perf/gen-data.py" ]; then
	$PY "$top/tests/perf/gen-data.py" "$rows" "$work/data.csv"
else
	# a stand-in until tests/perf/gen-data.py exists: 28 float features
	# and a binary label that depends on some of them
	$PY - "$rows" "$work/data.csv" <<'EOF'
import sys
import numpy as np
import pandas as pd
n = int(sys.argv[1])
rng = np.random.default_rng(42)
X = rng.normal(size=(n, 28)).astype(np.float32)
s = X[:, 0] + 0.5 * X[:, 1] * X[:, 2] - np.abs(X[:, 3]) + 0.3 * X[:, 4:10].sum(1)
y = (s + rng.normal(scale=0.5, size=n) > 0).astype(int)
df = pd.DataFrame(X, columns=["f%d" % j for j in range(28)])
df["label"] = y
df.to_csv(sys.argv[2], index=False, float_format="%.7g")
EOF
fi

$PY - "$work" "$bench" <<'EOF'
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

work, bench = sys.argv[1], sys.argv[2]
df = pd.read_csv(work + "/data.csv")
feats = ["f%d" % j for j in range(28)]
X = df[feats].to_numpy(dtype=np.float32)
y = df["label"].to_numpy()
ntrain = min(len(X), 200000)
t = time.perf_counter()
bst = xgb.train({"objective": "binary:logistic", "tree_method": "hist",
                 "max_depth": 6, "eta": 0.1, "nthread": 2},
                xgb.DMatrix(X[:ntrain], y[:ntrain], feature_names=feats,
                            nthread=2), 100)
print("xgboost %s trained 100 trees on %d rows in %.1f s" %
      (xgb.__version__, ntrain, time.perf_counter() - t))
bst.save_model(work + "/model.json")
bst.set_param({"nthread": 2})


def best(f, fresh=None):
    """Best of 3 wall and CPU (all threads) times of f(fresh())."""
    wall, cpu = [], []
    for _ in range(3):
        arg = fresh() if fresh else None
        t, c = time.perf_counter(), time.process_time()
        out = f(arg)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    return min(wall), min(cpu), out


# a new DMatrix for every run: XGBoost caches the predictions of one it
# has seen, and a second predict() on it costs nothing
def fresh():
    return xgb.DMatrix(X, feature_names=feats, nthread=2)


n = len(X)
w_pred, c_pred, p = best(lambda dm: bst.predict(dm), fresh)
w_full, c_full, _ = best(lambda _: bst.predict(fresh()))
w_inpl, c_inpl, pi = best(lambda _: bst.inplace_predict(X))
out = subprocess.run([bench, work + "/model.json", work + "/data.csv",
                      work + "/mlp.f64"], check=True, capture_output=True,
                     text=True).stdout
r = dict(line.split() for line in out.splitlines())
w_ours = n / float(r["batch_rows_per_s"])
c_ours = float(r["batch_cpu_ns_per_row"]) * n / 1e9
mp = np.fromfile(work + "/mlp.f64", dtype=np.float64)
print("%-46s %12s %14s" % ("", "rows/s", "CPU ns/row"))
for name, w, c in (
        ("xgboost predict(DMatrix), DMatrix built before", w_pred, c_pred),
        ("xgboost predict(DMatrix(X)), both timed", w_full, c_full),
        ("xgboost inplace_predict(X)", w_inpl, c_inpl),
        ("mlp batch predict", w_ours, c_ours)):
    print("%-46s %12.0f %14.1f" % (name, n / w, c * 1e9 / n))
print("mlp/xgboost, rows/s: %.2fx predict (DMatrix built before), %.2fx "
      "(DMatrix timed), %.2fx inplace_predict"
      % (w_pred / w_ours, w_full / w_ours, w_inpl / w_ours))
print("mlp/xgboost, CPU per row: %.2fx, %.2fx, %.2fx (same order)"
      % (c_pred / c_ours, c_full / c_ours, c_inpl / c_ours))
print("mlp one row: %s ns wall, %s ns CPU (target < 2000 ns)"
      % (r["row_ns"], r["row_cpu_ns"]))
print("max |mlp - xgboost|: %.3g (predict), %.3g (inplace_predict)"
      % (np.max(np.abs(mp - p)), np.max(np.abs(mp - pi))))
EOF
