#!/bin/sh
# The online feature store, on the set tests/perf/feature.sh uses
# (feature_bench gen: 100,000 drivers, 5,000,000 rows of 5 float features
# over 30 days, TTL 7 days), and against Redis itself:
#   materialize: `mlp feature materialize` of the 5 features (a record per
#            driver) into sqlite: and into a redis-server started here, and
#            of a view of 6 windowed aggregations (1d and 7d windows: each
#            record holds a driver's rows of the last 7 days); records/s
#            and offline rows read/s; and Redis's own write floor for the
#            same hashes (a bare pipeline of HSET and PEXPIRE)
#   get:     one driver's 5 features at a time from sqlite:, in process
#            (feature_online_bench get): mean, p50, p99 (target p99 < 100
#            us); the same from Redis
#   reads:   512 random drivers a call from Redis (one pipelined batch,
#            decoded), entities/s, against redis-benchmark's HGETALL of
#            random hashes of the same size (copies of the records, which
#            hold both views), 1 connection, pipelining 512 (target >=
#            0.8x); its HMGET of the fields mlp asks for (the same
#            command); and HGETALL of one hash read again and again
#            (which Redis serves from its caches)
# Prints figures and ratios; asserts nothing. The machine may be shared:
# run it when it is quiet. Usage: sh tests/perf/feature_online.sh
# [BUILD_DIR]; MLP_PERF_DIR=DIR keeps the data (and the repository) there.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
MLP=$build/mlp
GEN=$build/perf/feature_bench
BENCH=$build/perf/feature_online_bench
[ -x "$BENCH" ] && [ -x "$GEN" ] && [ -x "$MLP" ] ||
    { echo "build mlp and the benchmarks first (make all perf-bins)"; exit 1; }
if [ -n "$MLP_PERF_DIR" ]; then
	work=$MLP_PERF_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
fi
redis_pid=
cleanup() {
	[ -z "$redis_pid" ] || { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true; }
	[ -n "$MLP_PERF_DIR" ] || rm -rf "$work"
}
trap cleanup EXIT
if [ ! -s "$work/features.csv" ]; then
	echo "generating the data into $work"
	"$GEN" gen "$work"
fi

# seconds of a command
timed() {
	/usr/bin/time -f '%e' -o "$work/time.out" "$@" >/dev/null
	cat "$work/time.out"
}
rate() {
	echo "$1 $2" | awk '{ printf "%.0f", $1 / $2 }'
}

repo=$work/online-repo
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
  - name: driver_aggs
    entity: driver
    source: trips
    ttl: 7d
    aggregations: [{column: f0, op: sum, windows: [1d, 7d]},
                   {column: f0, op: count, windows: [1d, 7d]},
                   {column: f1, op: avg, windows: [1d, 7d]}]
EOF
cd "$repo"
"$MLP" -q init
"$MLP" -q feature apply >/dev/null
"$MLP" -q feature ingest trips >/dev/null
end=2021-01-31T00:00:00Z
rows=$(($(wc -l < "$work/features.csv") - 1))
ents=100000

s=$(timed "$MLP" feature materialize driver_stats --end $end)
echo "materialize driver_stats into sqlite: $s s, $(rate $ents "$s")" \
    "records/s, $(rate $rows "$s") rows read/s"
s=$(timed "$MLP" feature materialize driver_aggs --end $end)
echo "materialize driver_aggs into sqlite: $s s, $(rate $ents "$s")" \
    "records/s, $(rate $rows "$s") rows read/s"
"$BENCH" get "$repo" sqlite: driver_stats 200000 | sed 's/^/sqlite: /'
"$BENCH" get "$repo" sqlite: driver_aggs 100000 | sed 's/^/sqlite aggregations: /'

if [ ! -x /usr/bin/redis-server ]; then
	echo "no redis-server: no Redis figures"
	exit 0
fi
port=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$work" >/dev/null 2>&1 &
redis_pid=$!
for i in $(seq 100); do
	redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
	sleep 0.05
done
uri=redis://127.0.0.1:$port/0
s=$(timed "$MLP" feature materialize driver_stats --end $end --online "$uri")
m_stats=$(rate $ents "$s")
echo "materialize driver_stats into Redis: $s s, $m_stats records/s," \
    "$(rate $rows "$s") rows read/s (target 300,000 rows/s)"
s=$(timed "$MLP" feature materialize driver_aggs --end $end --online "$uri")
echo "materialize driver_aggs into Redis: $s s, $(rate $ents "$s")" \
    "records/s, $(rate $rows "$s") rows read/s"
# Redis's own write floor: as many hashes written by a bare pipeline of
# HSET and PEXPIRE (redis-cli --pipe), values of the records' size, with
# no newer-only check: what any client of this layout could reach here
vlen=$(redis-cli -p "$port" hstrlen mlp:driver:1000 driver_stats)
/usr/bin/python3 - "$ents" "$vlen" > "$work/floor.resp" <<'EOF'
import sys
n, vlen = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*a):
    return b"*%d\r\n" % len(a) + b"".join(
        b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
v, ts = b"x" * vlen, b"0" * 32
for i in range(n):
    k = b"floor:driver:%d" % (1000 + i)
    out.write(cmd(b"HSET", k, b"driver_stats", v, b"_ts:driver_stats", ts))
    out.write(cmd(b"PEXPIRE", k, b"604800000"))
EOF
s=$(timed sh -c "redis-cli -p $port --pipe < '$work/floor.resp'")
echo "Redis's write floor: bare pipelined HSET + PEXPIRE of $ents hashes" \
    "(no newer-only check): $s s, $(rate $ents "$s") records/s; mlp's" \
    "atomic newer-only write: $m_stats records/s"
"$BENCH" get "$repo" "$uri" driver_stats 100000 | sed 's/^/Redis: /'
ours=$("$BENCH" batch "$repo" "$uri" driver_stats 2000000 512 |
    sed -n 's/.*s, \([0-9]*\) entities.*/\1/p')
# redis-benchmark reads keys of 12 digits (-r): copies of the records
# there, so that it reads as many hashes of the same size at random
redis-cli -p "$port" eval "for i = 0, 99999 do
  local d = redis.call('DUMP', 'mlp:driver:' .. (1000 + i))
  if d then redis.call('RESTORE', string.format('bench:%012d', i), 0, d,
    'REPLACE') end
end return 1" 0 >/dev/null
bench() {
	redis-benchmark -p "$port" -c 1 -P 512 -n 2000000 -q "$@" 2>&1 |
	    tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' |
	    tail -n 1
}
theirs=$(bench -r 100000 HGETALL bench:__rand_int__)
same=$(bench -r 100000 HMGET bench:__rand_int__ driver_stats _ts:driver_stats)
hot=$(bench HGETALL mlp:driver:1000)
x() {
	echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'
}
echo "Redis reads, 512 a batch: mlp $ours entities/s; redis-benchmark:" \
    "HGETALL of random hashes (both views' fields) $theirs requests/s:" \
    "$(x "$ours" "$theirs")x (target 0.8x); HMGET of the one view's fields," \
    "mlp's command, $same: $(x "$ours" "$same")x; HGETALL of one hash again" \
    "and again $hot: $(x "$ours" "$hot")x"
