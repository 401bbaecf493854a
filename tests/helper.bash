# Shared set-up for the bats tests: a fresh temporary repository per test,
# HOME pointed away from the user's, and the binary under test on $MLP.

MLP=${MLP:-$BATS_TEST_DIRNAME/../build/mlp}
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac
export MLP

setup_home() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_CONFIG_HOME=
	mkdir -p "$HOME"
	unset MLP_DIR MLP_RUN_ID NO_COLOR
	export MLP_USER=tester
	cd "$BATS_TEST_TMPDIR"
}

setup_repo() {
	setup_home
	mkdir -p "$BATS_TEST_TMPDIR/repo"
	cd "$BATS_TEST_TMPDIR/repo"
	"$MLP" -q init
}

mlp() {
	"$MLP" "$@"
}

# run_id NAME: starts a run and prints its id
new_run() {
	"$MLP" track start -n "$1"
}

# The commands and verbs of the table, one a line ("track", "track runs",
# "register alias rm"): the commands as `mlp __complete` reports them, the
# verbs as `mlp help COMMAND` lists them. Tests that hold a rule for every
# command walk this, not a list written in the test.
mlp_targets() {
	local c

	for c in $("$MLP" __complete '' | cut -f1); do
		echo "$c"
		"$MLP" help "$c" | awk -v c="$c" '
		    /^verbs:/ { on = 1; next }
		    on && /^$/ { exit }
		    on { v = substr($0, 3, 20); sub(/ +$/, "", v); print c " " v }'
	done
}

# Servers a test starts (mlp serve, prometheus, ...): their pids go in
# BG_PIDS, and stop_background (in teardown) kills and reaps them.
BG_PIDS=()
stop_background() {
	local p

	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=()
}

# serve_in DIR ARGS...: mlp serve --json on a free port, started in DIR;
# URL and PID set once it listens (its output in $BATS_TEST_TMPDIR/serve.out
# and serve.err).
serve_in() {
	local dir=$1 i

	shift
	# made before the server starts, so that reading it never fails
	: > "$BATS_TEST_TMPDIR/serve.out"
	(cd "$dir" && exec "$MLP" serve --json -p 0 "$@") \
	    > "$BATS_TEST_TMPDIR/serve.out" 2> "$BATS_TEST_TMPDIR/serve.err" &
	PID=$!
	BG_PIDS+=("$PID")
	for i in $(seq 100); do
		URL=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' \
		    "$BATS_TEST_TMPDIR/serve.out")
		[ -n "$URL" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/serve.err"
	return 1
}

# req METHOD PATH [curl args...]: a request to $URL; the status in CODE,
# the body in BODY.
req() {
	local method=$1 path=$2

	shift 2
	CODE=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' \
	    -X "$method" "$@" "$URL$path")
	BODY=$(cat "$BATS_TEST_TMPDIR/body")
}

# json KEY...: the value at that path of the JSON on stdin (strings bare,
# the rest as compact JSON); list indices are numbers.
json() {
	/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1:]:
    d = d[int(k)] if isinstance(d, list) else d[k]
print(json.dumps(d, separators=(",", ":")) if not isinstance(d, str) else d)' "$@"
}

# pyj EXPR: EXPR evaluated by python3 on $output parsed as JSON (as d).
pyj() {
	/usr/bin/python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$output" "$1"
}
