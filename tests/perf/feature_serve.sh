#!/bin/sh
# mlp serve's Feast endpoint against the machine's HTTP floor: POST
# /get-online-features for one driver and a service of 7 features (2
# views, aggregations and a derived feature; share/examples/features
# materialized into the sqlite: online store) against nginx serving a
# 100-byte static file, both under wrk -t2 -c64 -d10s on 127.0.0.1, RUNS
# (3) interleaved rounds, medians. Target (issue 11): at least 0.5x nginx's
# requests/s. Prints figures; asserts nothing.
# Usage: sh tests/perf/feature_serve.sh [BUILD_DIR]   (default build)
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
MLP=$top/${1:-build}/mlp
perf=$top/tests/perf
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$MLP" ] || { echo "build mlp first (make)"; exit 1; }
command -v wrk >/dev/null || { echo "skipped: no wrk"; exit 0; }
[ -x "$NGINX" ] || NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { echo "skipped: no nginx (apt-get install nginx-light)"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-fserve.XXXXXX")
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ready() {
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$@" && return 0
		sleep 0.1
	done
	echo "did not start: $*"; exit 1
}

cd "$work"
"$MLP" -q init
sh "$top/share/examples/features/make-data.sh"
cp "$top/share/examples/features/features.yaml" .
"$MLP" -q feature apply >/dev/null
"$MLP" -q feature ingest trips >/dev/null
"$MLP" -q feature ingest profiles >/dev/null
"$MLP" -q feature materialize --end 2024-02-05T00:00:00Z >/dev/null
mport=$(free_port)
"$MLP" serve -p "$mport" > serve.log 2>&1 &
pids="$pids $!"
body='{"entities": {"driver_id": [1001]}, "feature_service": "churn_features"}'
printf '%s' "$body" > body.json
ready "http://127.0.0.1:$mport/get-online-features" -d "$body"

mkdir -p ng/www ng/tmp
printf '{"model_name":"m","model_version":"1","outputs":[{"name":"predict","datatype":"FP64","shape":[1],"data":[0.5]}]}' |
    head -c 100 > ng/www/r.json
nport=$(free_port)
user=
[ "$(id -u)" != 0 ] || user="user $(id -un) $(id -gn);"
sed -e "s|@USER@|$user|" -e "s|@DIR@|$work/ng|g" -e "s|@PORT@|$nport|" \
    "$perf/serve_nginx.conf" > ng/nginx.conf
"$NGINX" -c "$work/ng/nginx.conf" -p "$work/ng" -g 'daemon off;' > ng/out.log 2>&1 &
pids="$pids $!"
ready "http://127.0.0.1:$nport/r.json"

run() {
	sleep 2
	BODY=$2 wrk -t2 -c64 -d"$DURATION" --timeout 10s --latency \
	    -s "$perf/serve_wrk.lua" "$1" | awk '/^RESULT/ { printf "%.0f %d\n", $2 / $3, $5 }'
}
: > ng.res
: > mlp.res
r=1
while [ $r -le "$RUNS" ]; do
	run "http://127.0.0.1:$nport/r.json" "" >> ng.res
	run "http://127.0.0.1:$mport/get-online-features" "$work/body.json" >> mlp.res
	r=$((r + 1))
done
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ng=$(cut -d' ' -f1 ng.res | med)
ml=$(cut -d' ' -f1 mlp.res | med)
ngp=$(cut -d' ' -f2 ng.res | med)
mlpp=$(cut -d' ' -f2 mlp.res | med)
echo "nginx static 100 B: $ng req/s (p99 ${ngp} us); runs: $(cut -d' ' -f1 ng.res | tr '\n' ' ')"
echo "mlp serve /get-online-features (1 driver, 7 features, sqlite:): $ml req/s (p99 ${mlpp} us); runs: $(cut -d' ' -f1 mlp.res | tr '\n' ' ')"
echo "$ml $ng" | awk '{ printf "ratio: %.2fx nginx (target 0.5x)\n", $1 / $2 }'
