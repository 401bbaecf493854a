#!/bin/sh
# Object store benchmarks (issue 3). Prints figures and ratios; asserts
# nothing.
#   1. `mlp register` of a new 1 GiB file against `openssl dgst -sha256` on
#      the same cached file, side by side (target: at most 1.2x)
#   2. registering the same content again: no object bytes written
#      (target: at least 10x faster than the first time)
# Usage: sh tests/perf/store.sh [BUILD_DIR]   (default build)
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
MLP=$top/${1:-build}/mlp
[ -x "$MLP" ] || { echo "build mlp first (make)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

now() { date +%s%N; }
ms() { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) / 1e6 }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
min() { echo "$1 $2" | awk '{ print ($1 < $2) ? $1 : $2 }'; }

echo "== 1. mlp register of a new 1 GiB file vs openssl dgst -sha256"
head -c 1073741824 /dev/urandom > big
sync	# no writeback of big competes with what is measured
cat big > /dev/null
# the stat cache trusts a file only 2 s after its last change (racy git)
sleep 2

best_ssl=999999
best_put=999999
for i in 1 2 3; do
	t0=$(now)
	openssl dgst -sha256 big > ssl.out
	t1=$(now)
	best_ssl=$(min "$(ms "$t0" "$t1")" "$best_ssl")
	# a fresh repository each round, so every round writes the object
	rm -rf repo && "$MLP" -q init repo
	sync
	t0=$(now)
	"$MLP" -q -C repo register ../big -n big > /dev/null
	t1=$(now)
	best_put=$(min "$(ms "$t0" "$t1")" "$best_put")
done
echo "openssl dgst -sha256: best of 3 $best_ssl ms"
echo "mlp register (new):  best of 3 $best_put ms  ratio mlp/openssl: $(ratio "$best_put" "$best_ssl") (target <= 1.2)"

echo
echo "== 2. registering the same content again"
best_again=999999
for i in 1 2 3; do
	t0=$(now)
	"$MLP" -C repo register ../big -n big --json > again.json
	t1=$(now)
	best_again=$(min "$(ms "$t0" "$t1")" "$best_again")
done
echo "mlp register (again): best of 3 $best_again ms  $(sed 's/.*\("bytes_written":[0-9]*\).*/\1/' again.json)"
echo "first / again: $(ratio "$best_put" "$best_again")x (target >= 10x)"
