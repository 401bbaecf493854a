#!/usr/bin/env bats
# mlp deploy: deployments and their history, canaries, gates, locks,
# --wait with rollback, the local and kserve targets, and every exit code.
# Servers are stood in for by heartbeat rows that a background loop keeps
# fresh and answers as mlp serve would.

load helper

setup() {
	setup_repo
	EX="$BATS_TEST_DIRNAME/../share/examples/train"
	KS="$BATS_TEST_DIRNAME/data/kserve"
	cp "$EX"/churn.csv .
	DB=.mlp/mlp.db
	HOST=$(hostname)
	BG=()
}

# Whatever a test started in the background, by pid.
teardown() {
	local p

	for p in "${BG[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# Three versions of churn, trained with 3, 5 and 7 rounds (their runs log
# train_auc and the params).
models() {
	local r

	for r in 3 5 7; do
		mlp -q train --data churn.csv --target churned -p rounds=$r \
		    --register churn >/dev/null
	done
}

sql() {
	sqlite3 -cmd '.timeout 10000' "$DB" "$@"
}

# What identifies a process, as mlp records it: its start time in clock
# ticks since boot (field 22 of /proc/PID/stat) and the boot's id.
pid_start() {
	echo "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20) $(cat /proc/sys/kernel/random/boot_id)"
}

# A process that lives until teardown; its pid in $LIVE.
live_process() {
	sleep 600 &
	LIVE=$!
	BG+=("$LIVE")
}

# A pid no process has.
dead_pid() {
	local p

	sh -c 'exit 0' &
	p=$!
	wait "$p"
	echo "$p"
}

# fake_server MODE: a heartbeat row for a live process of this host,
# rewritten every 100 ms as mlp serve rewrites its own: "ready" routes
# every deployment as it is now, with its stable version loaded and 7
# requests answered by it; "fail" reports the newest version of each
# deployment failed to load; "stuck" routes nothing. Returns once the row
# is live.
fake_server() {
	local mode=$1 id state

	live_process
	id=$(sql "INSERT INTO server (host, pid, pid_start, url, deployments,
	    started, seen) VALUES ('$HOST', $LIVE, '$(pid_start "$LIVE")',
	    'http://127.0.0.1:$((9000 + ${#BG[@]}))', 1, 0, 0) RETURNING id")
	case $mode in
	ready) state="(SELECT json_object('routes', json_group_object(name,
	    json_object('generation', generation, 'stable', stable, 'canary',
	    canary, 'canary_pct', canary_pct)), 'loaded',
	    json_group_object(name, json_array(stable)), 'requests',
	    json_group_object(name, json_object(CAST(stable AS TEXT), 7)))
	    FROM deployment)" ;;
	fail) state="(SELECT json_object('routes', json_object(), 'failed',
	    json_group_object(name, json_object('version', coalesce(canary,
	    stable), 'generation', generation, 'error',
	    'cannot load model.json: out of memory'))) FROM deployment)" ;;
	stuck) state="'{}'" ;;
	esac
	(
		while :; do
			sql "UPDATE server SET seen = CAST((julianday('now') -
			    2440587.5) * 86400000 AS INTEGER), state = $state
			    WHERE id = $id"
			sleep 0.1
		done
	) >/dev/null 2>&1 3>&- &
	BG+=("$!")
	until [ "$(sql "SELECT seen > 0 FROM server WHERE id = $id")" = 1 ]; do
		sleep 0.05
	done
}

# lock_row PID START HOST: a lock of churn as another deploy holds it.
lock_row() {
	sql "INSERT INTO deployment_lock (deployment, user, host, pid,
	    pid_start, since) VALUES ('churn', 'bob', '$3', $1, '$2',
	    1796313600000)"
}

# wait_for SQL: until the query prints 1 (at most 20 s).
wait_for() {
	local i

	for i in $(seq 200); do
		[ "$(sql "$1")" = 1 ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1"
	return 1
}

@test "deploy -h anywhere; outside a repository it says so" {
	mkdir -p "$BATS_TEST_TMPDIR/empty" && cd "$BATS_TEST_TMPDIR/empty"
	for v in "" create list status history promote rollback rm; do
		run mlp deploy $v -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: mlp deploy"* ]]
	done
	run mlp deploy list
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy: not an mlp repository"* ]]
	[[ "${lines[1]}" == "hint: run 'mlp init'"* ]]
	run mlp deploy
	[ "$status" -eq 2 ]
}

@test "a first deploy, a second: stable, previous, generation, who" {
	models
	run mlp deploy models:/churn/1
	[ "$status" -eq 0 ]
	[[ "$output" == "deployment 'churn' now serves models:/churn/1 (generation 1)" ]]
	MLP_USER=alice run mlp deploy create models:/churn@champion
	[ "$status" -eq 1 ]
	[[ "$output" == *"alias 'champion'"* ]]
	MLP_USER=alice run mlp deploy models:/churn/latest --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["name"], d["model"], d["target"], d["stable"], d["previous"], d["canary"], d["canary_pct"], d["generation"], d["updated_by"], d["action"], d["changed"], d["servers"], d["rolled_back"], d["reason"]')" = \
	    "('churn', 'churn', 'local', 3, 1, None, 0, 2, 'alice', 'deploy', True, None, False, None)" ]
	run mlp deploy list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NAME\ +MODEL\ +STABLE\ +CANARY\ +PREVIOUS\ +TARGET\ +GEN\ +UPDATED$ ]]
	[[ "${lines[1]}" =~ ^churn\ +churn\ +3\ +-\ +1\ +local\ +2\  ]]
	run mlp deploy status churn
	[ "$status" -eq 0 ]
	[[ "$output" == *"stable      models:/churn/3"* ]]
	[[ "$output" == *"previous    models:/churn/1"* ]]
	[[ "$output" == *"by alice"* ]]
	[[ "$output" == *"servers     none running"* ]]
}

@test "--name picks the deployment; names follow the model-name rules" {
	models
	run mlp deploy models:/churn/1 --name churn-eu
	[ "$status" -eq 0 ]
	run mlp deploy models:/churn/2 -n "churn us"
	[ "$status" -eq 0 ]
	run mlp deploy list --json
	[ "$(pyj '[x["name"] for x in d]')" = "['churn us', 'churn-eu']" ]
	for bad in "a/b" "a@b" "a:b" "" "123" " x"; do
		run mlp deploy models:/churn/1 --name "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"deployment name"* ]]
	done
	run mlp deploy models:/churn/1 --name $'bad\xff'
	[ "$status" -eq 2 ]
	[[ "$output" == *"not valid UTF-8"* ]]
	[ "$(sql 'SELECT count(*) FROM deployment')" = 2 ]
}

@test "canary: the stable stays; promote; rollback drops a canary, then swaps stable and previous" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2
	run mlp deploy models:/churn/3 --canary 2.5 --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["stable"], d["canary"], d["canary_pct"], d["previous"], d["action"]')" = "(2, 3, 2.5, 1, 'canary')" ]
	run mlp deploy status churn
	[[ "$output" == *"canary      models:/churn/3, 2.5% of requests"* ]]
	run mlp deploy models:/churn/3 --canary 10%
	[ "$status" -eq 0 ]
	[ "$(sql "SELECT canary, canary_pct, generation FROM deployment")" = "3|10.0|4" ]
	run mlp deploy promote churn --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["stable"], d["canary"], d["previous"], d["action"]')" = "(3, None, 2, 'promote')" ]
	mlp -q deploy models:/churn/1 --canary 50
	run mlp deploy rollback churn --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["stable"], d["canary"], d["previous"]')" = "(3, None, 2)" ]
	run mlp deploy rollback churn --json
	[ "$(pyj 'd["stable"], d["canary"], d["previous"]')" = "(2, None, 3)" ]
	run mlp deploy rollback churn --json
	[ "$(pyj 'd["stable"], d["canary"], d["previous"]')" = "(3, None, 2)" ]
	run mlp deploy history churn --json
	[ "$(pyj '[(e["action"], e["stable"], e["canary"], e["previous"], e["generation"]) for e in d]')" = \
	    "[('deploy', 1, None, None, 1), ('deploy', 2, None, 1, 2), ('canary', 2, 3, 1, 3), ('canary', 2, 3, 1, 4), ('promote', 3, None, 2, 5), ('canary', 3, 1, 2, 6), ('rollback', 3, None, 2, 7), ('rollback', 2, None, 3, 8), ('rollback', 3, None, 2, 9)]" ]
}

@test "history: oldest first, who, where, what was asked for" {
	models
	MLP_USER=ann mlp -q deploy models:/churn/1
	MLP_USER=bob mlp -q deploy models:/churn/latest -r "metrics.train_auc > 0.5"
	run mlp deploy history churn
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^WHEN\ +ACTION\ +STABLE\ +CANARY\ +PREVIOUS\ +GEN\ +WHO\ +DETAIL$ ]]
	[[ "${lines[1]}" =~ \ deploy\ +1\ +-\ +-\ +1\ +ann@$HOST\ +models:/churn/1$ ]]
	[[ "${lines[2]}" =~ \ deploy\ +3\ +-\ +1\ +2\ +bob@$HOST\ +models:/churn/latest\;\ require\ metrics.train_auc\ \>\ 0.5$ ]]
	[ "${#lines[@]}" -eq 3 ]
	run mlp deploy history churn --json
	[ "$(pyj '[sorted(e) for e in d][0]')" = \
	    "['action', 'canary', 'canary_pct', 'deployment', 'detail', 'generation', 'host', 'id', 'model', 'previous', 'stable', 'target', 'timestamp', 'user']" ]
	[ "$(pyj 'd[1]["user"], d[1]["host"] == "'"$HOST"'", d[1]["timestamp"] > 1.7e12')" = "('bob', True, True)" ]
}

@test "--canary must be a share strictly between 0 and 100" {
	models
	mlp -q deploy models:/churn/1
	for bad in 0 100 -1 abc 1e400 nan inf 150 '' 10%% 0x10; do
		run mlp deploy models:/churn/2 --canary "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--canary '$bad': expected a share"* ]]
	done
	[ "$(sql 'SELECT generation FROM deployment')" = 1 ]
	run mlp deploy models:/churn/2 --canary 1e-3
	[ "$status" -eq 0 ]
	run mlp deploy models:/churn/2 --canary 99.99
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT canary_pct FROM deployment')" = 99.99 ]
}

@test "changes the state does not allow: exit 1, nothing recorded" {
	models
	run mlp deploy models:/churn/2 --canary 10
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: no deployment 'churn' to add a canary to" ]]
	[[ "${lines[1]}" == "hint: deploy a stable version first: mlp deploy models:/churn/VERSION" ]]
	mlp -q deploy models:/churn/1
	run mlp deploy promote churn
	[ "$status" -eq 1 ]
	[[ "$output" == *"deployment 'churn' has no canary to promote"* ]]
	run mlp deploy rollback churn
	[ "$status" -eq 1 ]
	[[ "$output" == *"no canary and no previous version to roll back to"* ]]
	run mlp deploy models:/churn/1 --canary 5
	[ "$status" -eq 1 ]
	[[ "$output" == *"version 1 is the stable version"* ]]
	echo x > notes.txt
	mlp -q register notes.txt -n other
	run mlp deploy models:/other/1 --name churn
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"deployment 'churn' serves model 'churn', not 'other'" ]]
	[[ "${lines[1]}" == "hint: give another --name, or remove it first (mlp deploy rm churn)" ]]
	[ "$(sql 'SELECT count(*) FROM deployment_event')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}

@test "deploying the stable version again changes nothing; it ends a canary" {
	models
	mlp -q deploy models:/churn/1
	run mlp deploy models:/churn/1 --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["changed"], d["generation"]')" = "(False, 1)" ]
	run mlp deploy models:/churn/1
	[[ "$output" == "deployment 'churn' already serves models:/churn/1: nothing to change" ]]
	mlp -q deploy models:/churn/2 --canary 10
	run mlp deploy models:/churn/1 --json
	[ "$(pyj 'd["changed"], d["stable"], d["canary"], d["previous"], d["generation"]')" = "(True, 1, None, None, 3)" ]
	[ "$(sql 'SELECT count(*) FROM deployment_event')" = 3 ]
}

@test "rm removes the deployment and keeps its history; made again, it goes on from its generation" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2 --canary 10
	run mlp deploy rm churn --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["name"], d["stable"], d["action"], d["generation"]')" = "('churn', None, 'rm', 3)" ]
	[ "$(sql 'SELECT count(*) FROM deployment')" = 0 ]
	run mlp deploy status churn
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy status: no deployment 'churn'" ]]
	run mlp deploy rm churn
	[ "$status" -eq 1 ]
	run mlp deploy history churn
	[ "$status" -eq 0 ]
	[[ "${lines[3]}" =~ \ rm\ +-\ +-\ +-\ +3\  ]]
	run mlp deploy models:/churn/3 --json
	[ "$(pyj 'd["generation"], d["previous"]')" = "(4, None)" ]
	run mlp deploy list --json
	[ "$(pyj 'len(d)')" = 1 ]
}

@test "gates: pass, fail with the run's values (exit 3, nothing changed), bad syntax (exit 2)" {
	models
	mlp -q deploy models:/churn/1
	run mlp deploy models:/churn/2 -r "metrics.train_auc > 0.5" \
	    --require "params.rounds = '5'" --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["stable"]')" = 2 ]
	run mlp deploy models:/churn/3 -r "metrics.train_auc > 0.5" \
	    -r "metrics.train_auc > 0.999 AND params.rounds = '3'"
	[ "$status" -eq 3 ]
	[[ "$output" =~ ^mlp:\ deploy\ create:\ models:/churn/3:\ gate\ \'metrics.train_auc\ \>\ 0.999\ AND\ params.rounds\ =\ \'3\'\'\ failed\ for\ run\ [0-9a-f]{8}:\ metrics.train_auc\ =\ 0\.[0-9]+,\ params.rounds\ =\ \'7\'$ ]]
	run mlp deploy models:/churn/3 -r "metrics.valid_auc >= 0.85"
	[ "$status" -eq 3 ]
	[[ "$output" == *"metrics.valid_auc is not set"* ]]
	run mlp deploy models:/churn/3 --canary 10 -r "tags.reviewed = 'yes'"
	[ "$status" -eq 3 ]
	[[ "$output" == *"tags.reviewed is not set"* ]]
	[ "$(sql 'SELECT stable, generation FROM deployment')" = "2|2" ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
	for bad in "metrics.train_auc >> 1" "metrics.x > 'a'" "nosuch = 1" "(" " "; do
		run mlp deploy models:/churn/3 -r "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == "mlp: deploy create: gate '$bad'"* ]]
	done
	[ "$(sql 'SELECT count(*) FROM deployment_event')" = 2 ]
}

@test "gates: a version without a run fails every gate; with none it deploys" {
	models
	mlp -q register checkout models:/churn/1 copy
	mlp -q register copy -n pathmodel
	run mlp deploy models:/pathmodel/1 -r "metrics.train_auc > 0"
	[ "$status" -eq 3 ]
	[[ "$output" == *"gate 'metrics.train_auc > 0' failed: the version has no training run"* ]]
	run mlp deploy models:/pathmodel/1
	[ "$status" -eq 0 ]
}

@test "a version that cannot be served is refused before anything changes (exit 1)" {
	echo hello > notes.txt
	mlp -q register notes.txt -n junk
	run mlp deploy models:/junk/1
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: models:/junk/1 cannot be served: "* ]]
	[[ "${lines[1]}" == "hint: 'mlp predict models:/junk/1' shows the same error" ]]
	[ "$(sql 'SELECT count(*) FROM deployment')" = 0 ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}

@test "a deleted version is refused" {
	models
	mlp -q register rm models:/churn/2
	run mlp deploy models:/churn/2
	[ "$status" -eq 1 ]
	[[ "$output" == *"models:/churn/2 is deleted"* ]]
}

@test "bad input: one line, exit 1 or 2, nothing changed" {
	models
	mlp -q deploy models:/churn/1
	run mlp deploy bad
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bad' is not a models:/ URI"* ]]
	run mlp deploy models:/churn
	[ "$status" -eq 2 ]
	run mlp deploy models:/nope/1
	[ "$status" -eq 1 ]
	run mlp deploy models:/churn/9
	[ "$status" -eq 1 ]
	[[ "$output" == *"no version 9"* ]]
	run mlp deploy models:/churn/1 models:/churn/2
	[ "$status" -eq 2 ]
	[[ "$output" == *"too many arguments"* ]]
	run mlp deploy models:/churn/2 --target nowhere
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown target 'nowhere' (known targets: local, kserve, http://HOST:PORT)"* ]]
	run mlp deploy models:/churn/2 --name far --target http://127.0.0.1:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"target http://127.0.0.1:1: cannot reach mlp serve"* ]]
	run mlp deploy models:/churn/2 --target kserve
	[ "$status" -eq 2 ]
	[[ "$output" == *"deployment 'churn' has target 'local', not 'kserve'"* ]]
	run mlp deploy models:/churn/2 --timeout 5
	[ "$status" -eq 2 ]
	[[ "$output" == *"--timeout is for --wait and --wait-lock"* ]]
	for t in 0 -1 abc 1e400; do
		run mlp deploy models:/churn/2 --wait --timeout "$t"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--timeout '$t': expected seconds"* ]]
	done
	run mlp deploy models:/churn/2 -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"-o is for target kserve, not local"* ]]
	run mlp deploy models:/churn/2 --bogus
	[ "$status" -eq 2 ]
	for v in status history promote rollback rm; do
		run mlp deploy $v nope
		[ "$status" -eq 1 ]
		[[ "$output" == *"no deployment 'nope'"* ]]
	done
	run mlp deploy promote
	[ "$status" -eq 2 ]
	run mlp deploy history a/b
	[ "$status" -eq 1 ]
	run mlp deploy rm a/b
	[ "$status" -eq 2 ]
	[ "$(sql 'SELECT generation FROM deployment')" = 1 ]
	[ ! -e x.yaml ]
}

@test "a lock held by a live process: exit 4 naming the holder; --wait-lock gives up after --timeout" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/3 --canary 10
	live_process
	lock_row "$LIVE" "$(pid_start "$LIVE")" "$HOST"
	run mlp deploy models:/churn/2
	[ "$status" -eq 4 ]
	[[ "${lines[0]}" =~ ^mlp:\ deploy\ create:\ deployment\ \'churn\'\ is\ locked\ by\ bob@$HOST\ pid\ $LIVE\ since\ 20[0-9-]+\ [0-9:]+$ ]]
	[[ "${lines[1]}" == "hint: --wait-lock waits until it is free" ]]
	for v in promote rollback rm; do
		run mlp deploy $v churn
		[ "$status" -eq 4 ]
	done
	run mlp deploy models:/churn/2 --wait-lock --timeout 0.5
	[ "$status" -eq 4 ]
	[[ "${lines[1]}" == "hint: it is still held after --timeout" ]]
	[ "$(sql 'SELECT stable, generation FROM deployment')" = "1|2" ]
	[ "$(sql 'SELECT pid FROM deployment_lock')" = "$LIVE" ]
	# once free, --wait-lock goes on
	(sleep 1; sql "DELETE FROM deployment_lock") &
	BG+=("$!")
	run mlp deploy models:/churn/2 --wait-lock
	[ "$status" -eq 0 ]
	[ "$(sql 'SELECT stable FROM deployment')" = 2 ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}

@test "a lock whose holder on this host is gone is taken over; one on another host is not" {
	models
	mlp -q deploy models:/churn/1
	pid=$(dead_pid)
	lock_row "$pid" "123 boot" "$HOST"
	run mlp deploy models:/churn/2
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "took over the lock of deployment 'churn' from bob@$HOST pid $pid, which is gone" ]]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
	# a reused pid: alive, but not the process that took the lock
	live_process
	lock_row "$LIVE" "1 $(cat /proc/sys/kernel/random/boot_id)" "$HOST"
	run mlp deploy promote churn 2>&1
	[[ "$output" != *"is locked"* ]]
	sql "DELETE FROM deployment_lock"
	lock_row 1 "1 x" other-host
	run mlp deploy models:/churn/3
	[ "$status" -eq 4 ]
	[[ "$output" == *"locked by bob@other-host pid 1"* ]]
	[ "$(sql 'SELECT stable FROM deployment')" = 2 ]
}

@test "two deploys at once: the second fails with 4 while the first waits; --wait-lock goes after it" {
	models
	mlp -q deploy models:/churn/1
	fake_server stuck
	"$MLP" deploy models:/churn/2 --wait --timeout 3 > first.out 2>&1 &
	first=$!
	BG+=("$first")
	wait_for "SELECT count(*) FROM deployment_lock WHERE pid = $first"
	run mlp deploy models:/churn/3
	[ "$status" -eq 4 ]
	[[ "$output" == *"deployment 'churn' is locked by tester@$HOST pid $first since"* ]]
	run mlp deploy models:/churn/3 --wait-lock
	[ "$status" -eq 0 ]
	rc=0
	wait "$first" || rc=$?
	[ "$rc" -eq 5 ]
	grep -q "rolled back deployment 'churn' to its state before: timed out after 3.0s" first.out
	run mlp deploy history churn --json
	[ "$(pyj '[(e["action"], e["stable"]) for e in d]')" = "[('deploy', 1), ('deploy', 2), ('auto-rollback', 1), ('deploy', 3)]" ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}

@test "--wait with no live server returns at once, saying so" {
	models
	pid=$(dead_pid)
	# a server of this host whose process is gone, one not seen for a
	# minute, one that serves only -m models: none is waited for
	sql "INSERT INTO server (host, pid, pid_start, url, deployments, started,
	    seen) VALUES ('$HOST', $pid, '1 x', 'http://a', 1, 0,
	    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
	    ('elsewhere', 1, 'x', 'http://b', 1, 0, 1000),
	    ('elsewhere', 1, 'x', 'http://c', 0, 0,
	    CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) + 60000)"
	run mlp deploy models:/churn/1 --wait --json
	[ "$status" -eq 0 ]
	[[ "$output" == *"no server is running: nothing to wait for"* ]]
	output=${lines[-1]}
	[ "$(pyj 'd["servers"], d["stable"]')" = "(0, 1)" ]
	run mlp deploy status churn --json
	[ "$(pyj 'd["servers"]')" = "[]" ]
}

@test "--wait: servers that switch to the new version; status shows what they serve" {
	models
	mlp -q deploy models:/churn/1
	fake_server ready
	fake_server ready
	run mlp deploy models:/churn/2 --wait --timeout 20
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 servers serve generation 2"* ]]
	run mlp deploy models:/churn/3 --canary 25 --wait --json
	[ "$status" -eq 0 ]
	output=${lines[-1]}
	[ "$(pyj 'd["servers"], d["canary"], d["rolled_back"]')" = "(2, 3, False)" ]
	run mlp deploy status churn
	[ "$status" -eq 0 ]
	[[ "$output" == *"servers     2 live"* ]]
	[[ "$output" =~ http://127.0.0.1:[0-9]+\ +$HOST\ +[0-9]+\ +3\ +2,\ 3\ \(25%\)\ +2\ +2:7\ +ready ]]
	run mlp deploy status churn --json
	[ "$(pyj 'len(d["servers"]), d["servers"][0]["state"], d["servers"][0]["routes"], d["servers"][0]["loaded"], d["servers"][0]["requests"], d["servers"][0]["failed"], d["servers"][0]["host"] == "'"$HOST"'"')" = \
	    "(2, 'ready', {'generation': 3, 'stable': 2, 'canary': 3, 'canary_pct': 25}, [2], {'2': 7}, None, True)" ]
	run mlp deploy status --json
	[ "$(pyj 'd[0]["name"], d[0]["state"], len(d[0]["servers"])')" = "('churn', 'canary', 2)" ]
}

@test "--wait: a server that cannot load the version rolls the deployment back (exit 5)" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2
	fake_server ready
	fake_server fail
	run mlp deploy models:/churn/3 --wait --timeout 20 --json
	[ "$status" -eq 5 ]
	[[ "${lines[0]}" =~ ^mlp:\ deploy\ create:\ rolled\ back\ deployment\ \'churn\'\ to\ its\ state\ before:\ server\ http://127.0.0.1:[0-9]+\ \($HOST\ pid\ [0-9]+\)\ could\ not\ load\ version\ 3:\ cannot\ load\ model.json:\ out\ of\ memory$ ]]
	output=${lines[-1]}
	[ "$(pyj 'd["stable"], d["previous"], d["generation"], d["action"], d["rolled_back"], "out of memory" in d["reason"]')" = "(2, 1, 4, 'auto-rollback', True, True)" ]
	run mlp deploy history churn
	[[ "${lines[4]}" =~ \ auto-rollback\ +2\ +-\ +1\ +4\ +tester@$HOST\ +server\ http.*out\ of\ memory$ ]]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
	# a canary too
	run mlp deploy models:/churn/3 --canary 10 --wait --timeout 20
	[ "$status" -eq 5 ]
	[ "$(sql 'SELECT stable, canary IS NULL, generation FROM deployment')" = "2|1|6" ]
}

@test "promote --wait and rollback --wait wait for the servers; one that cannot load the version undoes the change (exit 5)" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2 --canary 10
	fake_server ready
	run mlp deploy promote churn --wait --timeout 20
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 server serves generation 3"* ]]
	run mlp deploy rollback churn --wait --timeout 20 --json
	[ "$status" -eq 0 ]
	output=${lines[-1]}
	[ "$(pyj 'd["stable"], d["servers"]')" = "(1, 1)" ]
	teardown
	BG=()
	sql "DELETE FROM server"
	fake_server fail
	run mlp deploy rollback churn --wait --timeout 20
	[ "$status" -eq 5 ]
	[[ "$output" == *"rolled back deployment 'churn' to its state before: server http://127.0.0.1:"*"could not load version 2"* ]]
	[ "$(sql 'SELECT stable, previous FROM deployment')" = "1|2" ]
	run mlp deploy promote churn --timeout 3
	[ "$status" -eq 2 ]
	[[ "$output" == *"--timeout is for --wait and --wait-lock"* ]]
}

@test "--wait: the time runs out; a deployment that was new is removed again" {
	models
	fake_server stuck
	run mlp deploy models:/churn/1 --wait --timeout 0.5
	[ "$status" -eq 5 ]
	[[ "$output" == *"rolled back deployment 'churn' to nothing (it was new): timed out after 500ms waiting for 1 server to load version 1: http://127.0.0.1:"* ]]
	[ "$(sql 'SELECT count(*) FROM deployment')" = 0 ]
	run mlp deploy history churn --json
	[ "$(pyj '[(e["action"], e["stable"], e["generation"]) for e in d]')" = "[('deploy', 1, 1), ('auto-rollback', None, 2)]" ]
}

@test "SIGTERM while waiting rolls back and releases the lock; after SIGKILL the next deploy takes the lock over" {
	models
	mlp -q deploy models:/churn/1
	fake_server stuck
	"$MLP" deploy models:/churn/2 --wait --timeout 60 > out 2>&1 &
	d=$!
	BG+=("$d")
	wait_for "SELECT stable = 2 FROM deployment"
	kill -TERM "$d"
	rc=0
	wait "$d" || rc=$?
	[ "$rc" -eq 143 ]
	grep -q "rolled back deployment 'churn' to its state before: stopped by signal 15" out
	[ "$(sql 'SELECT stable FROM deployment')" = 1 ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
	"$MLP" deploy models:/churn/2 --wait --timeout 60 > out 2>&1 &
	d=$!
	BG+=("$d")
	wait_for "SELECT stable = 2 FROM deployment"
	kill -KILL "$d"
	wait "$d" || true
	[ "$(sql 'SELECT pid FROM deployment_lock')" = "$d" ]
	run mlp deploy rollback churn
	[ "$status" -eq 0 ]
	[[ "$output" == *"took over the lock of deployment 'churn' from tester@$HOST pid $d, which is gone"* ]]
	[ "$(sql 'SELECT stable, previous FROM deployment')" = "1|2" ]
}

@test "what servers read: the routes, with the versions' objects" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2 --canary 12.5
	[ "$(sql "SELECT d.name, d.generation, d.stable, s.oid = (SELECT oid
	    FROM model_version WHERE version = 1), d.canary, c.oid = (SELECT oid
	    FROM model_version WHERE version = 2), d.canary_pct FROM deployment
	    d JOIN model_version s ON s.model = d.model AND s.version = d.stable
	    JOIN model_version c ON c.model = d.model AND c.version =
	    d.canary")" = "churn|2|1|1|2|1|12.5" ]
	[ "$(sql "SELECT target, config FROM deployment")" = "local|{}" ]
}

# kserve

# check_isvc FILE VERSION: FILE is one InferenceService whose fields are
# those of KServe VERSION's CRD (its schema, pruned to what mlp renders,
# in tests/data/kserve), with what the assertions after it print.
check_isvc() {
	/usr/bin/python3 - "$1" "$KS/inferenceservice-$2.json" <<'EOF'
import json, sys, yaml, jsonschema
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert len(docs) == 1, docs
d = docs[0]
jsonschema.validate(d, json.load(open(sys.argv[2])))
assert d["apiVersion"] == "serving.kserve.io/v1beta1" and d["kind"] == "InferenceService"
p = d["spec"]["predictor"]
print(d["metadata"]["name"], d["metadata"]["annotations"]["serving.kserve.io/deploymentMode"],
      p.get("name"), p.get("canaryTrafficPercent"), p["model"]["modelFormat"]["name"],
      p["model"]["protocolVersion"], p["model"]["storageUri"],
      [(c["predictor"]["name"], c["predictor"]["model"]["storageUri"], c["trafficPercent"])
       for c in d["spec"].get("canary", [])])
EOF
}

@test "kserve: an InferenceService checked against KServe's schema; a serverless canary; promote and rollback render again" {
	/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	    skip "python3-yaml and python3-jsonschema are not installed"
	models
	run mlp deploy models:/churn/1 --target kserve --kserve-version 0.11 \
	    --storage-uri s3://models/churn/1 -o isvc.yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *"wrote the InferenceService 'churn' to isvc.yaml"* ]]
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn Serverless None None mlp v2 s3://models/churn/1 []" ]
	grep -qx '# mlp deploy: deployment churn, generation 1: models:/churn/1' isvc.yaml
	run mlp deploy models:/churn/2 --canary 10 --storage-uri gs://m/2 -o isvc.yaml
	[ "$status" -eq 0 ]
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn Serverless None 10 mlp v2 gs://m/2 []" ]
	run mlp deploy promote churn -o isvc.yaml
	[ "$status" -eq 0 ]
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn Serverless None None mlp v2 gs://m/2 []" ]
	# the storage URI of each version is recorded: rollback needs none
	run mlp deploy rollback churn -o isvc.yaml
	[ "$status" -eq 0 ]
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn Serverless None None mlp v2 s3://models/churn/1 []" ]
	run mlp deploy status churn --json
	[ "$(pyj 'd["target"], d["stable"], d["config"] == {"kserve_version": "0.11", "mode": "serverless", "storage": {"1": "s3://models/churn/1", "2": "gs://m/2"}}, d["servers"]')" = \
	    "('kserve', 1, True, [])" ]
	run mlp deploy status churn
	[[ "$output" == *"servers     - (target kserve)"* ]]
	run mlp deploy history churn --json
	[ "$(pyj '[(e["action"], e["target"]) for e in d]')" = "[('deploy', 'kserve'), ('canary', 'kserve'), ('promote', 'kserve'), ('rollback', 'kserve')]" ]
	# 0.16 spells the modes Knative and Standard
	run mlp deploy models:/churn/3 --kserve-version v0.16.1 --storage-uri pvc://m/3 -o isvc.yaml
	[ "$status" -eq 0 ]
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn Knative None None mlp v2 pvc://m/3 []" ]
	run mlp deploy rm churn
	[ "$status" -eq 0 ]
	[[ "$output" == *"the InferenceService 'churn' stays in the cluster: remove it with 'kubectl delete inferenceservice churn'"* ]]
}

@test "kserve: raw mode refuses a canary before KServe 0.20 (kserve#5335); from 0.20 it is spec.canary" {
	/usr/bin/python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	    skip "python3-yaml and python3-jsonschema are not installed"
	models
	mlp -q deploy models:/churn/1 -t kserve --kserve-version 0.15 \
	    --kserve-mode raw --storage-uri s3://m/1 -o isvc.yaml
	run check_isvc isvc.yaml 0.11
	[ "$output" = "churn RawDeployment None None mlp v2 s3://m/1 []" ]
	cp isvc.yaml before.yaml
	run mlp deploy models:/churn/2 --canary 10 --storage-uri s3://m/2 -o isvc.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"KServe 0.15 in RawDeployment mode ignores canaryTrafficPercent (kserve#5335): a canary cannot be honoured there; use --kserve-mode serverless, or KServe 0.20 or later (spec.canary)"* ]]
	cmp isvc.yaml before.yaml
	[ "$(sql 'SELECT stable, canary IS NULL, generation FROM deployment')" = "1|1|1" ]
	run mlp deploy models:/churn/2 --canary 10 --storage-uri s3://m/2 \
	    --kserve-version 0.20 -o isvc.yaml
	[ "$status" -eq 0 ]
	run check_isvc isvc.yaml 0.20
	[ "$output" = "churn Standard v1 None mlp v2 s3://m/1 [('v2', 's3://m/2', 10)]" ]
	# promoting names the canary's predictor the stable one
	mlp -q deploy promote churn -o isvc.yaml
	run check_isvc isvc.yaml 0.20
	[ "$output" = "churn Standard v2 None mlp v2 s3://m/2 []" ]
	# the old schema has no spec.canary: the check would catch it
	mlp -q deploy models:/churn/3 --canary 10 --storage-uri s3://m/3 -o isvc.yaml
	run check_isvc isvc.yaml 0.11
	[ "$status" -ne 0 ]
	[[ "$output" == *"'canary' was unexpected"* ]]
}

@test "kserve: what it cannot honour or lacks is refused before anything changes" {
	models
	run mlp deploy models:/churn/1 -t kserve --storage-uri s3://m/1 -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"target kserve needs --kserve-version"* ]]
	run mlp deploy models:/churn/1 -t kserve --kserve-version 0.11 -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"target kserve needs --storage-uri: no storage URI is recorded for models:/churn/1"* ]]
	for v in 0.7 abc 1 0.x 0.11.; do
		run mlp deploy models:/churn/1 -t kserve --kserve-version "$v" \
		    --storage-uri s3://m/1 -o x.yaml
		[ "$status" -ne 0 ]
		[[ "$output" == *"KServe"* || "$output" == *"--kserve-version '$v'"* ]]
	done
	run mlp deploy models:/churn/1 -t kserve --kserve-version 0.11 \
	    --kserve-mode turbo --storage-uri s3://m/1 -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--kserve-mode 'turbo': expected serverless"* ]]
	run mlp deploy models:/churn/1 -t kserve --kserve-version 0.11 \
	    --storage-uri "not a uri" -o x.yaml
	[ "$status" -eq 2 ]
	run mlp deploy models:/churn/1 -t kserve --kserve-version 0.11 \
	    --storage-uri s3://m/1 -o x.yaml --wait
	[ "$status" -eq 2 ]
	[[ "$output" == *"--wait watches this repository's servers: target kserve has none"* ]]
	run mlp deploy models:/churn/1 -t kserve --kserve-version 0.11 \
	    --storage-uri s3://m/1 -n Churn_EU -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"deployment name 'Churn_EU' cannot name an InferenceService"* ]]
	mlp -q deploy models:/churn/1 -t kserve --kserve-version 0.11 \
	    --storage-uri s3://m/1 -o x.yaml
	run mlp deploy models:/churn/2 --canary 12.5 --storage-uri s3://m/2 -o x.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"KServe takes a whole percentage: a canary of 12.5% cannot be honoured (give --canary 12 or 13)"* ]]
	# no -o and no kubectl on PATH
	PATH=/nonexistent run "$MLP" deploy models:/churn/2 --storage-uri s3://m/2
	[ "$status" -eq 2 ]
	[[ "$output" == *"target kserve writes the InferenceService to -o FILE, or applies it with kubectl, which is not on PATH"* ]]
	[ "$(sql 'SELECT stable, generation FROM deployment')" = "1|1" ]
}

@test "kserve: without -o the InferenceService goes to kubectl apply -f -; its failure changes nothing" {
	models
	mkdir bin
	printf '#!/bin/sh\n[ "$*" = "apply -f -" ] || exit 9\ncat > "%s/applied.yaml"\necho "inferenceservice.serving.kserve.io/churn configured"\n' \
	    "$PWD" > bin/kubectl
	chmod +x bin/kubectl
	PATH=$PWD/bin:$PATH run mlp deploy models:/churn/1 -t kserve \
	    --kserve-version 0.11 --storage-uri s3://m/1
	[ "$status" -eq 0 ]
	[[ "$output" == *"inferenceservice.serving.kserve.io/churn configured"* ]]
	grep -q '^kind: InferenceService$' applied.yaml
	grep -q 'storageUri: "s3://m/1"' applied.yaml
	printf '#!/bin/sh\necho "error: the server could not find the requested resource" >&2\nexit 1\n' > bin/kubectl
	PATH=$PWD/bin:$PATH run mlp deploy models:/churn/2 --storage-uri s3://m/2
	[ "$status" -eq 1 ]
	[[ "$output" == *"kubectl apply failed: error: the server could not find the requested resource"* ]]
	[ "$(sql 'SELECT stable, generation FROM deployment')" = "1|1" ]
	[ "$(sql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}

@test "completion: deployment names, removed ones for history, targets" {
	models
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/1 -n churn-eu
	mlp -q deploy models:/churn/1 -n gone
	mlp -q deploy rm gone
	run mlp __complete deploy status ''
	[ "$output" = "$(printf 'churn\nchurn-eu')" ]
	run mlp __complete deploy promote churn-
	[ "$output" = churn-eu ]
	run mlp __complete deploy history ''
	[ "$output" = "$(printf 'churn\nchurn-eu\ngone')" ]
	run mlp __complete deploy models:/churn/1 --target ''
	[ "$(printf '%s\n' "$output" | cut -f1 | tr '\n' ' ')" = "local kserve http:// " ]
	run mlp __complete deploy models:/churn/1 --kserve-mode ''
	[ "$output" = "$(printf 'serverless\nraw')" ]
	run mlp __complete deploy models:/ch
	[[ "$output" == *models:/churn/* ]]
}

@test "every exit status mlp-deploy(1) documents is one these tests reach" {
	local page="$BATS_TEST_DIRNAME/../man/mlp-deploy.1"

	[ "$(awk '/^\.SH EXIT STATUS/ { on = 1; next } /^\.SH/ { on = 0 }
	    on && prev ~ /^\.TP/ { print $2 } { prev = $0 }' "$page" |
	    tr '\n' ' ')" = "0 1 2 3 4 5 " ]
	for c in 0 1 2 3 4 5; do
		grep -q "\"\$status\" -eq $c \]\|rc\" -eq $c \]" "$BATS_TEST_FILENAME"
	done
}
