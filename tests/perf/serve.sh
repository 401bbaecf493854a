#!/bin/sh
# The prediction server against its peers (issue 10). Prints figures and
# ratios; asserts nothing. Side by side in one run on 127.0.0.1, each
# measured with wrk -t2 -c64 -d10s --latency (and --timeout 10s, so that
# slow answers count in the latencies; wrk and the servers share this
# machine's cores: that is the method), RUNS (3) rounds interleaved
# (nginx, Flask, mlp, then again), medians reported:
#   nginx   Debian's nginx serving a 100-byte static JSON file, tuned
#           (a worker per core, keep-alive with no request cap, no access
#           log, sendfile, open file cache; tests/perf/serve_nginx.conf):
#           the machine's HTTP floor
#   Flask   tests/perf/serve_flask.py under gunicorn, 2 sync workers (its
#           default; gthread workers were slower here), the
#           same XGBoost model with python3-xgboost (1 thread a worker)
#   mlp     mlp serve -m model.json=m (skipped while 'mlp serve' does not
#           exist)
# on three requests: OIP v2 infer of one 28-feature row, /invocations with
# a one-row dataframe_split, and /invocations with 1000 rows (rows/s). The
# model: 100 trees of depth 6 on 28 features, trained by XGBoost and saved
# as JSON (tests/perf/serve_model.py). Then memory (VmRSS): mlp serve with
# DEPLOYS (100) deployments not yet loaded (needs mlp deploy), the cost of
# each loaded model (COPIES distinct copies served with -m, against one),
# IDLE (10,000) idle keep-alive connections (tests/perf/serve_idle.py); and
# wrk's p99 while 20 deploys alternate two versions, against steady state.
# Targets (issue 10): OIP and /invocations >= 0.9x nginx's requests/s with
# p99 <= 2x nginx's and >= 20x Flask's requests/s; 1000-row rows/s >= 10x
# Flask's; p99 during hot swaps <= 2x steady state; idle with 100
# deployments < 30 MiB; < 2 MiB per loaded model; 10,000 idle connections
# < 200 MiB.
# Usage: sh tests/perf/serve.sh [BUILD_DIR]   (default build)
# Environment: RUNS (3), DURATION (10s), COPIES (100), DEPLOYS (100),
# IDLE (10000), SERVE_THREADS (mlp serve --threads; default: its own).
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
MLP=$top/${1:-build}/mlp
perf=$top/tests/perf
PY=/usr/bin/python3
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
COPIES=${COPIES:-100}
DEPLOYS=${DEPLOYS:-100}
IDLE=${IDLE:-10000}
[ -x "$MLP" ] || { echo "build mlp first (make)"; exit 1; }
command -v wrk >/dev/null ||
	{ echo "skipped: no wrk (apt-get install wrk)"; exit 0; }
command -v curl >/dev/null ||
	{ echo "skipped: no curl (apt-get install curl)"; exit 0; }
$PY -c 'import numpy, xgboost' 2>/dev/null ||
	{ echo "skipped: $PY lacks numpy or xgboost (apt-get install python3-numpy python3-xgboost)"; exit 0; }

# the peers and mlp serve: each is left out, with a note, when missing
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || NGINX=$(command -v nginx || true)
have_nginx=1 have_flask=1 have_mlp=1 have_deploy=1
[ -n "$NGINX" ] || { have_nginx=; echo "note: no nginx (apt-get install nginx-light): nginx left out"; }
$PY -c 'import flask, gunicorn' 2>/dev/null ||
	{ have_flask=; echo "note: $PY lacks flask or gunicorn (apt-get install python3-flask gunicorn): Flask left out"; }
"$MLP" serve -h >/dev/null 2>&1 ||
	{ have_mlp=; echo "note: this mlp has no 'mlp serve': mlp left out"; }
"$MLP" deploy -h >/dev/null 2>&1 || have_deploy=
[ -n "$have_mlp" ] || have_deploy=

# the idle connections need file descriptors in the servers and the client
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/mlp-perf.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export MLP_USER=perf

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop PID: terminates one process started here and waits for it;
# forget PID: one that has ended and been waited for
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget "$1"
}
forget() {
	rest=
	for p in $pids; do [ "$p" = "$1" ] || rest="$rest $p"; done
	pids=$rest
}

# ready URL PID LOG: waits (up to 60 s) until URL answers 2xx; fails when
# the process dies first, showing its log
ready() {
	i=0
	until curl -sf -o /dev/null "$1"; do
		if ! kill -0 "$2" 2>/dev/null || [ $i -ge 600 ]; then
			echo "server for $1 did not start:"; tail -n 20 "$3"
			return 1
		fi
		i=$((i + 1))
		sleep 0.1
	done
}

# rss_kib PID...: the sum of the processes' VmRSS
rss_kib() {
	for p in "$@"; do cat "/proc/$p/status"; done |
	    awk '/^VmRSS:/ { s += $2 } END { print s + 0 }'
}
mib() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

# post URL BODY OUT: POSTs BODY as JSON, the answer in OUT; prints the
# status code
post() {
	curl -s -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary "@$2" "$1" || echo 000
}

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine skews the figures)"
echo "== model: 100 trees, depth 6, 28 features (XGBoost $($PY -c 'import xgboost; print(xgboost.__version__)'))"
$PY "$perf/serve_model.py" "$work" "$COPIES"
expected=$(cat "$work/expected.txt")
# nginx's file: 100 bytes of JSON, the size of a one-row OIP answer
$PY -c 'import sys; s = "{\"model_name\":\"m\",\"model_version\":\"1\",\"predictions\":[%s],\"pad\":\"" % sys.argv[1]; sys.stdout.write(s + "x" * (98 - len(s)) + "\"}")' \
    "$expected" > "$work/static.json"

# the servers; the cases measured, SERVER:CASE:URL, in the order they run
cases=
if [ -n "$have_nginx" ]; then
	ng=$work/nginx
	mkdir -p "$ng/www" "$ng/tmp"
	cp "$work/static.json" "$ng/www/r.json"
	ngport=$(free_port)
	user=
	[ "$(id -u)" != 0 ] || user="user $(id -un) $(id -gn);"
	sed -e "s|@USER@|$user|" -e "s|@DIR@|$ng|g" -e "s|@PORT@|$ngport|" \
	    "$perf/serve_nginx.conf" > "$ng/nginx.conf"
	"$NGINX" -c "$ng/nginx.conf" -p "$ng" -g 'daemon off;' \
	    >"$ng/out.log" 2>&1 &
	ngpid=$!
	pids="$pids $ngpid"
	ready "http://127.0.0.1:$ngport/r.json" "$ngpid" "$ng/out.log"
	cases="$cases nginx:static:http://127.0.0.1:$ngport/r.json"
fi
if [ -n "$have_flask" ]; then
	flport=$(free_port)
	MODEL=$work/model.json MODEL_NAME=m $PY -m gunicorn -w 2 \
	    -b "127.0.0.1:$flport" --chdir "$perf" serve_flask:app \
	    >"$work/flask.log" 2>&1 &
	flpid=$!
	pids="$pids $flpid"
	ready "http://127.0.0.1:$flport/v2/health/ready" "$flpid" "$work/flask.log"
fi
if [ -n "$have_mlp" ]; then
	mlport=$(free_port)
	"$MLP" serve --host 127.0.0.1 --port "$mlport" -m "$work/model.json=m" \
	    ${SERVE_THREADS:+--threads "$SERVE_THREADS"} >"$work/mlp.log" 2>&1 &
	mlpid=$!
	pids="$pids $mlpid"
	if ! ready "http://127.0.0.1:$mlport/v2/health/ready" "$mlpid" "$work/mlp.log"; then
		have_mlp= have_deploy=
		echo "note: mlp serve did not start: mlp left out"
	fi
fi

# each endpoint answers once, checked, before it is measured: a case that
# fails is left out with a note
echo "== one request each (XGBoost's prediction of the row: $expected)"
for s in flask mlp; do
	case $s in
	flask) port=${flport:-} on=$have_flask ;;
	mlp) port=${mlport:-} on=$have_mlp ;;
	esac
	[ -n "$on" ] || continue
	base=http://127.0.0.1:$port
	for c in oip1:/v2/models/m/infer inv1:/invocations inv1000:/invocations; do
		name=${c%%:*} path=${c#*:}
		code=$(post "$base$path" "$work/$name.json" "$work/answer")
		if [ "${code#2}" = "$code" ]; then
			echo "note: $s $name answered $code: $(head -c 200 "$work/answer"): left out"
			continue
		fi
		[ "$name" = inv1000 ] ||
			printf '%-6s %-8s %s\n' "$s" "$name" "$(head -c 160 "$work/answer")"
		cases="$cases $s:$name:$base$path"
	done
done

# bench NAME URL [BODY]: one wrk run, its line appended to res/NAME:
# requests/s p50_us p99_us socket_errors non_2xx
mkdir "$work/res"
bench() {
	# the server measured before may still be answering what its wrk
	# left queued (Flask: 64 requests of 1000 rows, a quarter second)
	sleep 2
	BODY=${3:-} wrk -t2 -c64 -d"$DURATION" --timeout 10s --latency \
	    -s "$perf/serve_wrk.lua" "$2" > "$work/wrk.out" 2>&1 ||
	    { cat "$work/wrk.out"; return 1; }
	awk '/^RESULT/ { printf "%.1f %d %d %d %d\n", $2 / $3, $4, $5, $6, $7 }' \
	    "$work/wrk.out" >> "$work/res/$1"
}

echo "== wrk -t2 -c64 -d$DURATION --latency, $RUNS interleaved rounds"
r=1
while [ $r -le "$RUNS" ]; do
	for c in $cases; do
		s=${c%%:*} rest=${c#*:}
		name=${rest%%:*} url=${rest#*:}
		body=
		[ "$name" = static ] || body=$work/$name.json
		bench "$s.$name" "$url" "$body"
	done
	printf '%s' "round $r done; "
	r=$((r + 1))
done
echo

# med FILE COLUMN: the median of a column ("" when FILE is missing)
med() {
	[ -f "$1" ] || return 0
	awk -v c="$2" '{ print $c }' "$1" | sort -g |
	    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
sum() { [ -f "$1" ] && awk -v c="$2" '{ s += $c } END { print s }' "$1"; }
# x A B: A / B as a ratio, "-" when either is missing
x() {
	if [ -n "$1" ] && [ -n "$2" ]; then
		echo "$1 $2" | awk '{ printf($2 > 0 ? "%.2fx" : "-", $1 / $2) }'
	else
		echo "-"
	fi
}
ms() { [ -n "$1" ] && echo "$1" | awk '{ printf "%.2f", $1 / 1000 }' || echo "-"; }

ng_rps=$(med "$work/res/nginx.static" 1)
ng_p99=$(med "$work/res/nginx.static" 3)
echo
echo "== requests (medians of $RUNS; x nginx and p99/nginx against the static file)"
printf '%-26s %-6s %9s %8s %8s %8s %9s %8s %6s  %s\n' case server req/s "p50 ms" \
    "p99 ms" "x nginx" p99/nginx "x flask" errors "runs, req/s"
for c in nginx.static flask.oip1 mlp.oip1 flask.inv1 mlp.inv1 flask.inv1000 mlp.inv1000; do
	f=$work/res/$c
	s=${c%%.*} name=${c#*.}
	case $name in
	static) label="static 100-byte JSON" ;;
	oip1) label="OIP infer, 1 row" ;;
	inv1) label="/invocations, 1 row" ;;
	inv1000) label="/invocations, 1000 rows" ;;
	esac
	if [ ! -f "$f" ]; then
		printf '%-26s %-6s %9s\n' "$label" "$s" "(not run)"
		continue
	fi
	rps=$(med "$f" 1) p50=$(med "$f" 2) p99=$(med "$f" 3)
	errs=$(($(sum "$f" 4) + $(sum "$f" 5)))
	eval "${s}_${name}_rps=$rps ${s}_${name}_p99=$p99"
	vn=- pn=- vf=-
	# against a static file, a 1000-row request's figures mean nothing
	if [ "$s" != nginx ] && [ "$name" != inv1000 ]; then
		vn=$(x "$rps" "$ng_rps") pn=$(x "$p99" "$ng_p99")
	fi
	[ "$s" != mlp ] || vf=$(x "$rps" "$(med "$work/res/flask.$name" 1)")
	printf '%-26s %-6s %9.0f %8s %8s %8s %9s %8s %6s  %s\n' "$label" "$s" "$rps" \
	    "$(ms "$p50")" "$(ms "$p99")" "$vn" "$pn" "$vf" "$errs" \
	    "$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$f")"
done
fl_rows=${flask_inv1000_rps:+$(echo "$flask_inv1000_rps" | awk '{ printf "%.0f", $1 * 1000 }')}
ml_rows=${mlp_inv1000_rps:+$(echo "$mlp_inv1000_rps" | awk '{ printf "%.0f", $1 * 1000 }')}
echo "1000-row dataframe_split, rows/s through HTTP: flask ${fl_rows:--}, mlp ${ml_rows:--} ($(x "$ml_rows" "$fl_rows") flask's)"

# memory of the servers measured above, after their runs
echo
echo "== memory (VmRSS)"
mem_flask= mem_nginx= mem_one=
if [ -n "$have_flask" ]; then
	mem_flask=$(rss_kib "$flpid" $(pgrep -P "$flpid" || true))
	echo "flask + gunicorn, master and 2 workers, one model: $(mib "$mem_flask") MiB"
fi
if [ -n "$have_nginx" ]; then
	mem_nginx=$(rss_kib "$ngpid" $(pgrep -P "$ngpid" || true))
	echo "nginx, master and workers: $(mib "$mem_nginx") MiB"
fi
[ -z "$have_nginx" ] || stop "$ngpid"
[ -z "$have_flask" ] || stop "$flpid"

idle_conn= idle_note=
if [ -n "$have_mlp" ]; then
	mem_one=$(rss_kib "$mlpid")
	echo "mlp serve, one model, after the runs: $(mib "$mem_one") MiB"
	# idle keep-alive connections: each asked once, then left open
	before=$(rss_kib "$mlpid")
	line=$($PY "$perf/serve_idle.py" "$mlport" "$mlpid" "$IDLE")
	# shellcheck disable=SC2086
	set -- $line
	[ $# -eq 8 ] || set -- held 0 open 0 rss_kib 0 fresh_ms -
	held=$2 open=$4 idle_kib=$6 fresh=$8
	idle_conn=$idle_kib
	echo "mlp serve with $held idle keep-alive connections ($open still open after 1 s): $(mib "$idle_kib") MiB ($(mib "$((idle_kib - before))") MiB more than before them, $(echo "$idle_kib $before $held" | awk '{ printf "%.1f", $3 ? ($1 - $2) / $3 : 0 }') KiB a connection); a new request meanwhile took $fresh ms"
	[ "$open" = "$held" ] ||
		echo "note: the server closed $((held - open)) of them within a second"
	[ "$held" -ge "$IDLE" ] ||
		idle_note=" (only $held held: the server's connection limit or the open-file limit, $(ulimit -n))"
	[ -z "$idle_note" ] || echo "note: asked for $IDLE connections$idle_note"
	stop "$mlpid"

	# the cost of a loaded model: COPIES distinct copies served and asked
	# once each, against one
	mem_bad=
	set -- -m "$work/model.json=m0"
	k=1
	while [ $k -le "$COPIES" ]; do
		set -- "$@" -m "$work/copies/m$k.json=m$k"
		k=$((k + 1))
	done
	for n in 0 "$COPIES"; do
		port=$(free_port)
		if [ "$n" = 0 ]; then
			"$MLP" serve --host 127.0.0.1 --port "$port" -m "$work/model.json=m0" \
			    >"$work/mlp-mem.log" 2>&1 &
		else
			"$MLP" serve --host 127.0.0.1 --port "$port" "$@" \
			    >"$work/mlp-mem.log" 2>&1 &
		fi
		p=$!
		pids="$pids $p"
		ready "http://127.0.0.1:$port/v2/health/ready" "$p" "$work/mlp-mem.log"
		k=0
		while [ $k -le "$n" ]; do
			code=$(post "http://127.0.0.1:$port/v2/models/m$k/infer" \
			    "$work/oip1.json" "$work/answer")
			if [ "${code#2}" = "$code" ]; then
				echo "note: model m$k answered $code: $(head -c 200 "$work/answer")"
				mem_bad=1
			fi
			k=$((k + 1))
		done
		sleep 0.5
		eval "mem_$n=$(rss_kib "$p")"
		stop "$p"
	done
	eval "mem_n=\$mem_$COPIES"
	per_model=$(echo "$mem_0 $mem_n $COPIES" | awk '{ printf "%.0f", ($2 - $1) / $3 }')
	echo "mlp serve, one model loaded: $(mib "$mem_0") MiB; $((COPIES + 1)) models loaded: $(mib "$mem_n") MiB; $(mib "$per_model") MiB a model"
	[ -z "$mem_bad" ] || { per_model=; echo "note: some models did not answer: no figure a model"; }
fi

idle_deploy= swap_ratio=
if [ -n "$have_deploy" ]; then
	# DEPLOYS deployments, each of its own version, none asked for yet
	mkdir "$work/repo"
	(
		cd "$work/repo"
		"$MLP" -q init
		k=1
		while [ $k -le "$DEPLOYS" ]; do
			f=$work/copies/m$(( (k - 1) % COPIES + 1 )).json
			"$MLP" -q register --flavor xgboost -n m "$f" >/dev/null
			"$MLP" -q deploy "models:/m/$k" --name "d$k" >/dev/null
			k=$((k + 1))
		done
	)
	port=$(free_port)
	(cd "$work/repo" && exec "$MLP" serve --host 127.0.0.1 --port "$port" \
	    >"$work/mlp-deploy.log" 2>&1) &
	p=$!
	pids="$pids $p"
	ready "http://127.0.0.1:$port/v2/health/ready" "$p" "$work/mlp-deploy.log"
	sleep 1
	idle_deploy=$(rss_kib "$p")
	echo "mlp serve, $DEPLOYS deployments, none loaded: $(mib "$idle_deploy") MiB"

	# hot swaps under load: d1 alternates versions 1 and 2, 20 deploys
	# spread over a wrk run, against the same run without them
	echo "== hot swap: wrk on deployment d1 while 20 deploys alternate versions 1 and 2"
	url=http://127.0.0.1:$port/v2/models/d1/infer
	post "$url" "$work/oip1.json" "$work/answer" >/dev/null
	dur=$(echo "$DURATION" | awk '{ print $1 + 0 }')
	r=1
	while [ $r -le "$RUNS" ]; do
		bench steady "$url" "$work/oip1.json"
		(
			cd "$work/repo"
			t0=$(date +%s%N)
			i=1
			while [ $i -le 20 ]; do
				# the i-th deploy i/21 of the way through the run
				sleep "$(echo "$t0 $(date +%s%N) $i $dur" | awk '{
				    w = ($1 + $3 * $4 * 1e9 / 21 - $2) / 1e9
				    printf "%.3f", (w > 0 ? w : 0) }')"
				"$MLP" -q deploy "models:/m/$((1 + i % 2))" --name d1 \
				    >/dev/null || echo "note: deploy $i failed"
				i=$((i + 1))
			done
			echo "$t0 $(date +%s%N)" |
			    awk '{ printf "%.1f\n", ($2 - $1) / 1e9 }' >> "$work/res/deploys"
		) &
		dp=$!
		pids="$pids $dp"
		bench swap "$url" "$work/oip1.json"
		wait "$dp" || true
		forget "$dp"
		r=$((r + 1))
	done
	st_p99=$(med "$work/res/steady" 3) sw_p99=$(med "$work/res/swap" 3)
	swap_ratio=$(x "$sw_p99" "$st_p99")
	printf '%-22s %9s %8s %8s %s\n' "" req/s "p50 ms" "p99 ms" "errors"
	for f in steady swap; do
		printf '%-22s %9.0f %8s %8s %s\n' "$f" "$(med "$work/res/$f" 1)" \
		    "$(ms "$(med "$work/res/$f" 2)")" "$(ms "$(med "$work/res/$f" 3)")" \
		    "$(($(sum "$work/res/$f" 4) + $(sum "$work/res/$f" 5)))"
	done
	echo "p99 during swaps / steady: $swap_ratio; the 20 deploys took $(tr '\n' ' ' < "$work/res/deploys")s (wrk: $DURATION each)"
	stop "$p"
elif [ -n "$have_mlp" ]; then
	echo "note: this mlp has no 'mlp deploy': the idle server with $DEPLOYS deployments and the hot swaps left out"
fi

# target FIGURE_LABEL VALUE TARGET_TEXT OP LIMIT: one line of the summary
target() {
	met=-
	if [ -n "$2" ] && [ "$2" != - ]; then
		met=$(echo "${2%x} $5" | awk -v op="$4" '{
			ok = op == ">=" ? $1 >= $2 : op == "<" ? $1 < $2 : $1 <= $2
			print ok ? "yes" : "no" }')
	fi
	printf '%-44s %10s %12s %5s\n' "$1" "${2:--}" "$3" "$met"
}
echo
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== against the targets of issue 10"
printf '%-44s %10s %12s %5s\n' "" figure target met
for name in oip1 inv1; do
	[ "$name" = oip1 ] && label="OIP infer, 1 row" || label="/invocations, 1 row"
	eval "rps=\${mlp_${name}_rps:-} p99=\${mlp_${name}_p99:-} frps=\${flask_${name}_rps:-}"
	target "$label: req/s, x nginx" "$(x "$rps" "$ng_rps")" ">= 0.9x" ">=" 0.9
	target "$label: p99, x nginx" "$(x "$p99" "$ng_p99")" "<= 2x" "<=" 2
	target "$label: req/s, x flask" "$(x "$rps" "$frps")" ">= 20x" ">=" 20
done
target "1000 rows: rows/s, x flask" "$(x "$ml_rows" "$fl_rows")" ">= 10x" ">=" 10
target "hot swaps: p99, x steady state" "$swap_ratio" "<= 2x" "<=" 2
target "idle, $DEPLOYS deployments not loaded, MiB" \
    "${idle_deploy:+$(mib "$idle_deploy")}" "< 30" "<" 30
target "each loaded 100-tree model, MiB" \
    "${per_model:+$(mib "$per_model")}" "< 2" "<" 2
target "$IDLE idle keep-alive connections, MiB" \
    "${idle_conn:+$(mib "$idle_conn")}" "< 200" "<" 200
