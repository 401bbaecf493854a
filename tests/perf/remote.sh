#!/bin/sh
# Remote benchmarks (push and pull of many small objects). Prints figures
# and ratios; asserts nothing. The target: batched, parallel transfers at
# least 5x faster than the same transfers one at a time.
#   1. file://: mlp push/pull of N objects, against -j 1 and against cp of
#      each object one by one
#   2. s3:// on a local s3rver (skipped without it): mlp push/pull, against
#      signed curl requests one object at a time (what a script does), and
#      against -j 1 with remote.NAME.batch=false (in-process, one
#      connection kept alive, a HEAD per object); existence checks alone.
#      s3rver is one Node.js process: it, not mlp, sets the ceiling here.
# Usage: sh tests/perf/remote.sh [BUILD_DIR] [N]   (default build, 10000)
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
MLP=$top/${1:-build}/mlp
N=${2:-10000}
[ -x "$MLP" ] || { echo "build mlp first (make)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
s3pid=
trap '[ -n "$s3pid" ] && kill "$s3pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export MLP_USER=perf

now() { date +%s%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", ($2 - $1) / 1e9 }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.1fx", $2 / $1 }'; }

# a repository with one version of N small files
mkdir src && cd src && "$MLP" -q init
mkdir d
i=0
while [ $i -lt "$N" ]; do
	echo "object $i $(date +%N)" > "d/f$i"
	i=$((i + 1))
done
"$MLP" -q register d -n many >/dev/null
cd ..

# timed REPO CMD...: runs CMD in REPO, prints seconds
timed() {
	dir=$1; shift
	t0=$(now)
	(cd "$dir" && "$@" >/dev/null)
	t1=$(now)
	secs "$t0" "$t1"
}

fresh() {
	rm -rf "$1" && mkdir "$1" && (cd "$1" && "$MLP" -q init &&
	    "$MLP" remote add origin "$2" &&
	    { [ -z "$3" ] || "$MLP" config remote.origin.endpoint "$3"; })
}

echo "== 1. file:// with $N objects"
(cd src && "$MLP" remote add fast "file://$work/r1" &&
    "$MLP" remote add slow "file://$work/r2")
p_fast=$(timed src "$MLP" -q push fast)
p_slow=$(timed src "$MLP" -q push -j 1 slow)
mkdir -p r3/objects
t0=$(now)
for f in src/.mlp/objects/*/*; do
	dir=r3/objects/$(basename "$(dirname "$f")")
	mkdir -p "$dir" && cp "$f" "$dir/"
done
t1=$(now)
p_cp=$(secs "$t0" "$t1")
# existence checks alone: a second model of the same files, so every
# object is there already and only the checks and one document remain
(cd src && "$MLP" -q register d -n same >/dev/null)
p_again=$(timed src "$MLP" -q push fast models:/same/1)
fresh b1 "file://$work/r1"
l_fast=$(timed b1 "$MLP" -q pull)
fresh b2 "file://$work/r1"
l_slow=$(timed b2 "$MLP" -q pull -j 1)
t0=$(now)
mkdir -p b3
for f in r1/objects/*/*; do cp "$f" b3/; done
t1=$(now)
l_cp=$(secs "$t0" "$t1")
printf '%-34s %8s s\n' "push (16 at once)" "$p_fast" \
    "push -j 1" "$p_slow" "cp one by one" "$p_cp" \
    "check $N objects there" "$p_again" \
    "pull (16 at once)" "$l_fast" "pull -j 1" "$l_slow" \
    "cp one by one (pull side)" "$l_cp"
echo "push speed-up over -j 1: $(ratio "$p_fast" "$p_slow"), over cp: $(ratio "$p_fast" "$p_cp")"
echo "pull speed-up over -j 1: $(ratio "$l_fast" "$l_slow"), over cp: $(ratio "$l_fast" "$l_cp")"

echo "== 2. s3:// (s3rver on 127.0.0.1) with $N objects"
s3rver=${S3RVER:-$top/build/s3rver/node_modules/.bin/s3rver}
if ! command -v node >/dev/null || [ ! -x "$s3rver" ]; then
	echo "skipped: no s3rver (npm install s3rver into build/s3rver)"
	exit 0
fi
port=$((20000 + $$ % 20000))
mkdir s3
"$s3rver" -d "$work/s3" -p "$port" -a 127.0.0.1 -s --configure-bucket mlp \
    >/dev/null 2>&1 &
s3pid=$!
i=0
until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "s3rver did not start"; exit 1; }
	sleep 0.1
done 2>/dev/null
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
ep=http://127.0.0.1:$port
(cd src && "$MLP" remote add s3fast s3://mlp/fast &&
    "$MLP" config remote.s3fast.endpoint "$ep" &&
    "$MLP" remote add s3slow s3://mlp/slow &&
    "$MLP" config remote.s3slow.endpoint "$ep" &&
    "$MLP" config remote.s3slow.batch false)
p_fast=$(timed src "$MLP" -q push s3fast models:/many/1)
p_slow=$(timed src "$MLP" -q push -j 1 s3slow models:/many/1)
p_again=$(timed src "$MLP" -q push s3fast models:/same/1)
p_again_slow=$(timed src "$MLP" -q push -j 1 s3slow models:/same/1)
fresh c1 s3://mlp/fast "$ep"
l_fast=$(timed c1 "$MLP" -q pull)
fresh c2 s3://mlp/fast "$ep"
l_slow=$(timed c2 "$MLP" -q pull -j 1)
# what a script does without mlp: one signed curl per object, one after
# the other (timed on a sample, scaled to N: the requests are independent)
S=${CURL_SAMPLE:-1000}
ls src/.mlp/objects/*/* | head -n "$S" > sample
S=$(wc -l < sample)
sig="aws:amz:us-east-1:s3"
t0=$(now)
while read -r f; do
	h=$(basename "$(dirname "$f")")$(basename "$f")
	curl -sf -T "$f" --aws-sigv4 "$sig" --user S3RVER:S3RVER \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	    "$ep/mlp/curl/objects/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
done < sample
t1=$(now)
p_curl=$(echo "$t0 $t1 $S $N" | awk '{ printf "%.2f", ($2 - $1) / 1e9 * $4 / $3 }')
mkdir curl-pull
t0=$(now)
while read -r f; do
	h=$(basename "$(dirname "$f")")$(basename "$f")
	curl -sf --aws-sigv4 "$sig" --user S3RVER:S3RVER \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -o "curl-pull/$h" \
	    "$ep/mlp/fast/objects/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)"
done < sample
t1=$(now)
l_curl=$(echo "$t0 $t1 $S $N" | awk '{ printf "%.2f", ($2 - $1) / 1e9 * $4 / $3 }')
printf '%-40s %8s s\n' "push (16 at once, listed)" "$p_fast" \
    "push -j 1, a HEAD per object" "$p_slow" \
    "curl one by one ($S timed, x $N/$S)" "$p_curl" \
    "check $N objects there (listed)" "$p_again" \
    "check $N objects there (a HEAD each)" "$p_again_slow" \
    "pull (16 at once)" "$l_fast" "pull -j 1" "$l_slow" \
    "curl one by one ($S timed, x $N/$S)" "$l_curl"
echo "push speed-up over curl one by one: $(ratio "$p_fast" "$p_curl"), over -j 1: $(ratio "$p_fast" "$p_slow")"
echo "pull speed-up over curl one by one: $(ratio "$l_fast" "$l_curl"), over -j 1: $(ratio "$l_fast" "$l_slow")"
echo "existence check speed-up (listing over HEADs): $(ratio "$p_again" "$p_again_slow")"
