#!/bin/sh
# Linear learners against scikit-learn on the same synthetic data (default
# 1,000,000 x 28): logistic regression (mlp: Newton; scikit-learn:
# LogisticRegression newton-cg and lbfgs with C = 1 / (lambda n)) and ridge
# (Ridge(alpha = lambda n)) on standardised inputs. Prints times and the
# largest difference between the weights; asserts nothing.
# Usage: sh tests/perf/linear.sh [BUILD_DIR] [ROWS] [THREADS]
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
bench=$top/${1:-build}/perf/linear_bench
rows=${2:-1000000}
threads=${3:-0}
lambda=1e-4
[ -x "$bench" ] || { echo "build the benchmark first (make perf-bins)"; exit 1; }
py=/usr/bin/python3
if ! $py -c 'import sklearn' 2>/dev/null; then
	echo "scikit-learn missing (apt-get install python3-sklearn): mlp only"
	"$bench" -n "$rows" -t "$threads" -l "$lambda" | grep -v weights
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bench" -n "$rows" -t "$threads" -l "$lambda" -o "$work/data.f32" >"$work/mlp.out"
grep -v -e weights -e bias "$work/mlp.out"
$py - "$work/data.f32" "$work/mlp.out" "$rows" "$lambda" <<'EOF'
import sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
warnings.simplefilter("ignore")
path, out, n, lam = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
a = np.fromfile(path, dtype=np.float32).reshape(n, -1).astype(np.float64)
X, y, yr = a[:, :-2], a[:, -2], a[:, -1]
Z = (X - X.mean(0)) / X.std(0)
mine = {}
for line in open(out):
    k, _, v = line.partition(":")
    if k.endswith("weights") or k.endswith("bias"):
        mine[k] = np.array(v.split(), dtype=float)
for solver in ("newton-cg", "lbfgs"):
    t0 = time.perf_counter()
    clf = LogisticRegression(C=1 / (lam * n), solver=solver, tol=1e-8,
                             max_iter=1000).fit(Z, y)
    t = time.perf_counter() - t0
    d = max(np.abs(clf.coef_[0] - mine["logistic weights"]).max(),
            abs(clf.intercept_[0] - mine["logistic bias"][0]))
    print(f"scikit-learn LogisticRegression({solver}): {t:.3f} s, "
          f"{clf.n_iter_[0]} iterations, max |weight difference| {d:.2e}")
t0 = time.perf_counter()
r = Ridge(alpha=lam * n, solver="cholesky").fit(Z, yr)
t = time.perf_counter() - t0
d = max(np.abs(r.coef_ - mine["linear weights"]).max(),
        abs(r.intercept_ - mine["linear bias"][0]))
print(f"scikit-learn Ridge(cholesky): {t:.3f} s, "
      f"max |weight difference| {d:.2e}")
print("(scikit-learn fits standardised inputs prepared beforehand; "
      "mlp's time includes standardising)")
EOF
