#!/bin/sh
# The offline feature store against pandas, side by side on one
# deterministic set (tests/perf/feature_bench gen): 100,000 drivers,
# 5,000,000 feature rows of 5 float features over 30 days, a spine of
# 1,000,000 rows, a TTL of 7 days.
#   dataset: `mlp feature dataset` on ingested data (spine CSV in, training
#            set CSV out), best of 3, and its peak RSS, against pandas with
#            the feature table loaded and sorted in memory: read_csv of the
#            spine, sort, merge_asof by driver, backward, tolerance 7 days,
#            to_csv (tests/perf/feature_pandas.py)
#   join:    the join alone in process (feature_bench, lib/ directly), on
#            the threads lib/ picks and on one, against merge_asof alone
#   e2e:     `mlp feature ingest` + `mlp feature dataset` from the CSV files
#            against read_csv + sort + the dataset above
# then checks that both training sets hold the same values
# (tests/perf/feature_check.py). Prints figures and ratios; asserts
# nothing. Targets: dataset >= 10x and under 400 MiB, e2e >= 3x.
# Usage: sh tests/perf/feature.sh [BUILD_DIR]   (default build)
# MLP_PERF_DIR=DIR keeps the generated data (and the repository) in DIR,
# generating it when missing.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
MLP=$build/mlp
BENCH=$build/perf/feature_bench
PY=/usr/bin/python3
[ -x "$BENCH" ] && [ -x "$MLP" ] ||
    { echo "build mlp and the benchmarks first (make all perf-bins)"; exit 1; }
if [ -n "$MLP_PERF_DIR" ]; then
	work=$MLP_PERF_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
if [ ! -s "$work/features.csv" ] || [ ! -s "$work/spine.csv" ]; then
	echo "generating the data into $work"
	"$BENCH" gen "$work"
fi
echo "data: features.csv $(wc -c < "$work/features.csv") bytes," \
    "spine.csv $(wc -c < "$work/spine.csv") bytes"

# seconds and peak RSS (MiB) of a command, as "S M"
timed() {
	/usr/bin/time -f '%e %M' -o "$work/time.out" "$@" >/dev/null
	awk '{ printf "%s %.0f\n", $1, $2 / 1024 }' "$work/time.out"
}

# the repository: the spec, then an ingest from nothing
repo=$work/repo
rm -rf "$repo"
mkdir -p "$repo"
cat > "$repo/features.yaml" <<EOF
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: trips, path: $work/features.csv, timestamp: event_ts}
feature_views:
  - name: driver_stats
    entity: driver
    source: trips
    ttl: 7d
    features: [{name: f0, type: float}, {name: f1, type: float},
               {name: f2, type: float}, {name: f3, type: float},
               {name: f4, type: float}]
EOF
cd "$repo"
"$MLP" -q init
"$MLP" -q feature apply >/dev/null
sync
set -- $(timed "$MLP" feature ingest trips)
ingest=$1 ingest_rss=$2
refs=driver_stats:f0,driver_stats:f1,driver_stats:f2,driver_stats:f3,driver_stats:f4
best=1000000 rss=0
for i in 1 2 3; do
	set -- $(timed "$MLP" feature dataset --spine "$work/spine.csv" \
	    -f "$refs" -o "$work/mlp.csv")
	best=$(echo "$best $1" | awk '{ print ($2 < $1) ? $2 : $1 }')
	rss=$(echo "$rss $2" | awk '{ print ($2 > $1) ? $2 : $1 }')
done
join=$("$BENCH" dataset "$repo/.mlp" "$work/spine.csv" "$work/bench.csv" |
    sed -n 's/.*join \([0-9.]*\),.*/\1/p')
join1=$("$BENCH" dataset "$repo/.mlp" "$work/spine.csv" "$work/bench.csv" 1 |
    sed -n 's/.*join \([0-9.]*\),.*/\1/p')
echo "mlp: ingest $ingest s (peak RSS $ingest_rss MiB), dataset $best s" \
    "(peak RSS $rss MiB), join alone $join s ($join1 s on one thread)"

if ! "$PY" -c 'import pandas' 2>/dev/null; then
	echo "no pandas for $PY: no comparison"
	exit 0
fi
"$PY" "$top/tests/perf/feature_pandas.py" "$work/features.csv" \
    "$work/spine.csv" "$work/pandas.csv" 3 > "$work/pandas.out"
p_load=$(awk '$1 == "load" { print $2 }' "$work/pandas.out")
p_ds=$(awk '$1 == "dataset" { print $2 }' "$work/pandas.out")
p_join=$(awk '$1 == "join" { print $2 }' "$work/pandas.out")
p_e2e=$(awk '$1 == "e2e" { print $2 }' "$work/pandas.out")
p_rss=$(awk '$1 == "rss" { print $2 }' "$work/pandas.out")
echo "pandas: load $p_load s, dataset $p_ds s, merge_asof $p_join s," \
    "end to end $p_e2e s (peak RSS $p_rss MiB)"
ratio() {
	echo "$1 $2" | awk '{ printf "%.1f", $2 / $1 }'
}
e2e=$(echo "$ingest $best" | awk '{ printf "%.3f", $1 + $2 }')
echo "dataset: mlp $best s vs pandas $p_ds s: $(ratio "$best" "$p_ds")x" \
    "(target 10x), peak RSS $rss MiB (target < 400)"
echo "join alone: mlp $join s vs merge_asof $p_join s:" \
    "$(ratio "$join" "$p_join")x ($(ratio "$join1" "$p_join")x on one thread)"
echo "end to end: mlp $e2e s vs pandas $p_e2e s: $(ratio "$e2e" "$p_e2e")x" \
    "(target 3x)"
"$PY" "$top/tests/perf/feature_check.py" "$work/mlp.csv" "$work/pandas.csv" ||
    echo "the training sets differ"
