#!/bin/sh
# CSV loading: mlp_csv_read (tests/perf/csv_bench, 2 threads, best of 3)
# against pandas.read_csv (defaults, best of 3) on the same file of 1M rows
# by 29 columns from gen-data.py. Prints figures and the ratio; asserts
# nothing. The target: mlp at least 3x faster than pandas.
# Usage: sh tests/perf/csv.sh [BUILD_DIR]   (default build)
# MLP_PERF_DATA=FILE reuses FILE as the data, generating it when missing.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
BENCH=$build/perf/csv_bench
PY=/usr/bin/python3
ROWS=1000000
[ -x "$BENCH" ] || { echo "build the benchmarks first (make perf-bins)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

data=${MLP_PERF_DATA:-$work/data.csv}
if [ ! -s "$data" ]; then
	echo "generating $ROWS rows into $data"
	"$PY" "$top/tests/perf/gen-data.py" "$ROWS" "$data"
fi
echo "data: $data, $(wc -c < "$data") bytes"

mlp=$("$BENCH" "$data" 2 | awk '{ print $1 }')
if "$PY" -c 'import pandas' 2>/dev/null; then
	pandas=$("$PY" - "$data" <<'PYEOF'
import sys, time
import pandas as pd
best = None
for _ in range(3):
    t = time.perf_counter()
    pd.read_csv(sys.argv[1])
    t = time.perf_counter() - t
    best = t if best is None or t < best else best
print("%.3f" % best)
PYEOF
)
	ratio=$(echo "$mlp $pandas" | awk '{ printf "%.1f", $2 / $1 }')
	echo "csv load: mlp $mlp s, pandas $pandas s, ratio ${ratio}x"
else
	echo "csv load: mlp $mlp s (no pandas for $PY)"
fi
