#!/usr/bin/env bats
# mlp feature materialize|get|push: the online store's records from the
# offline store, values at a time with Feast's statuses, events pushed into
# both stores; after a push the online values equal what dataset computes,
# window edges included. Each with sqlite: and with a real redis-server.

load helper

T=2021-04-12T12:00:00Z

setup() {
	setup_repo
	mkdir -p data
	cat > features.yaml <<'EOF'
entities:
  - {name: driver, join_keys: [driver_id]}
  - {name: pair, join_keys: [city, driver_id], types: [string, int]}
sources:
  - {name: trips, path: data/trips.csv, timestamp: event_ts}
  - {name: profiles, path: data/profiles.csv, timestamp: event_ts, created_timestamp: created_ts}
  - {name: scores, path: data/scores.jsonl, timestamp: ts, timestamp_format: epoch_s}
feature_views:
  - name: driver_profile
    entity: driver
    source: profiles
    ttl: 7d
    features: [{name: rating, type: float}, {name: car, type: string}]
    derived: [{name: rating_x2, expr: "rating * 2"}]
  - name: driver_trips
    entity: driver
    source: trips
    ttl: 30d
    aggregations: [{column: fare, op: sum, windows: [1d, 7d]}, {column: fare, op: count, windows: [7d]}, {column: fare, op: stddev, windows: [7d]}]
  - name: pair_scores
    entity: pair
    source: scores
    features: [{name: score, type: float}]
feature_services:
  - {name: eta, features: ["driver_profile:rating", "driver_trips:fare_sum_7d"]}
EOF
	# 1001's trips: one exactly at T - 7d (outside its 7d window), one
	# a second later, one exactly at T - 1d (outside 1d, inside 7d)
	cat > data/trips.csv <<'EOF'
driver_id,event_ts,fare
1001,2021-04-05T12:00:00Z,100
1001,2021-04-05T12:00:01Z,0.1
1001,2021-04-11T12:00:00Z,0.2
1001,2021-04-11T13:00:00Z,0.7
1002,2021-04-12T08:00:00Z,
EOF
	cat > data/profiles.csv <<'EOF'
driver_id,event_ts,created_ts,rating,car
1001,2021-04-12T10:00:00Z,2021-04-12T10:00:01Z,4.7,prius
1001,2021-04-12T10:00:00Z,2021-04-12T10:00:05Z,4.8,"model 3, red"
1002,2021-04-01T00:00:00Z,2021-04-01T00:00:00Z,3.9,golf
EOF
	cat > data/scores.jsonl <<'EOF'
{"city": "sf", "driver_id": 1001, "ts": 1618221600, "score": 0.5}
{"city": "la", "driver_id": 1001, "ts": 1618221600, "score": 0.25}
EOF
	mlp -q feature apply >/dev/null
	for s in trips profiles scores; do
		mlp -q feature ingest "$s" >/dev/null
	done
	ONLINE=sqlite:
}

teardown() {
	stop_background
}

# start_redis [ARGS...]: a redis-server on a free port of 127.0.0.1, its
# URI in ONLINE; skips the test without one.
start_redis() {
	local i

	[ -x /usr/bin/redis-server ] || skip "no redis-server"
	REDIS_PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	/usr/bin/redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
	    --save '' --appendonly no --dir "$BATS_TEST_TMPDIR" "$@" \
	    >/dev/null 2>&1 &
	BG_PIDS+=("$!")
	for i in $(seq 100); do
		redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG &&
		    break
		sleep 0.05
	done
	ONLINE=redis://127.0.0.1:$REDIS_PORT/3
}

# online_vs_dataset KEYS... : get --at $T --json against dataset for a
# spine of those driver keys at $T, for every output of driver_profile
# and driver_trips; the values compared as text, exactly.
online_vs_dataset() {
	local refs=driver_profile:rating,driver_profile:car,driver_profile:rating_x2,driver_trips:fare_sum_1d,driver_trips:fare_sum_7d,driver_trips:fare_count_7d,driver_trips:fare_stddev_7d
	local k keys=

	{
		echo driver_id,event_ts
		for k in "$@"; do echo "$k,$T"; done
	} > spine.csv
	mlp feature dataset --spine spine.csv -f "$refs" > ds.csv
	keys=$(IFS=,; echo "$*")
	mlp feature get driver_profile driver_trips --key "driver_id=$keys" \
	    --at "$T" --json --online "$ONLINE" > got.json
	/usr/bin/python3 - <<'EOF'
import csv, json, sys
got = json.load(open("got.json"))
names = got["metadata"]["feature_names"]
rows = list(csv.DictReader(open("ds.csv")))
bad = 0
for i, row in enumerate(rows):
    for f in names[1:]:
        v = got["results"][names.index(f)]["values"][i]
        on = "" if v is None else (repr(v) if isinstance(v, float) else str(v))
        if on != row[f]:
            print(f"{row['driver_id']} {f}: online {on!r} dataset {row[f]!r}")
            bad += 1
sys.exit(1 if bad else 0)
EOF
}

@test "materialize, get and push -h work anywhere" {
	cd "$BATS_TEST_TMPDIR"
	for v in materialize get push; do
		run mlp feature "$v" -h
		[ "$status" -eq 0 ]
		[[ "$output" == *"mlp feature $v"* ]]
	done
}

@test "materialize and get outside a repository say so" {
	cd "$BATS_TEST_TMPDIR"
	run mlp feature get eta --key driver_id=1
	[ "$status" -eq 1 ]
	[[ "$output" == *"not in an mlp repository"* || "$output" == *"no .mlp"* || "$output" == *"repository"* ]]
}

@test "materialize writes each view's latest values and is recorded" {
	run mlp feature materialize --end "$T"
	[ "$status" -eq 0 ]
	[[ "$output" == *"driver_trips (version 1): 2 entities"* ]]
	[[ "$output" == *"driver_profile (version 1): 2 entities"* ]]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_materialization')" -eq 3 ]
	run mlp feature get eta --key driver_id=1001,1002,1003 --at "$T"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *1001*rating*4.8*PRESENT*2021-04-12T10:00:00Z* ]]
	[[ "${lines[2]}" == *1001*fare_sum_7d*1*PRESENT* ]]
	# 1002's profile is 11 days old, its ttl 7d
	[[ "${lines[3]}" == *1002*rating*null*OUTSIDE_MAX_AGE*2021-04-01T00:00:00Z* ]]
	[[ "${lines[4]}" == *1002*fare_sum_7d*null*NULL_VALUE* ]]
	[[ "${lines[5]}" == *1003*rating*null*NOT_FOUND*-* ]]
}

@test "get --json answers as Feast's /get-online-features" {
	mlp -q feature materialize --end "$T" >/dev/null
	run mlp feature get driver_profile --key driver_id=1001,1003 --at "$T" --json --full-names
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["metadata"]["feature_names"]')" = "['driver_id', 'driver_profile__rating', 'driver_profile__car', 'driver_profile__rating_x2']" ]
	[ "$(pyj 'd["results"][0]["values"]')" = "[1001, 1003]" ]
	[ "$(pyj 'd["results"][1]["values"]')" = "[4.8, None]" ]
	[ "$(pyj 'd["results"][1]["statuses"]')" = "['PRESENT', 'NOT_FOUND']" ]
	[ "$(pyj 'd["results"][2]["values"][0]')" = "model 3, red" ]
	[ "$(pyj 'd["results"][3]["values"][0]')" = "9.6" ]
	[ "$(pyj 'd["results"][1]["event_timestamps"]')" = "['2021-04-12T10:00:00Z', '1970-01-01T00:00:00Z']" ]
}

@test "get: compound keys, one value for every entity" {
	mlp -q feature materialize --end "$T" >/dev/null
	run mlp feature get pair_scores:score --key city=sf,la,ny --key driver_id=1001 --at "$T" --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["results"][2]["values"]')" = "[0.5, 0.25, None]" ]
	[ "$(pyj 'd["results"][2]["statuses"]')" = "['PRESENT', 'PRESENT', 'NOT_FOUND']" ]
}

@test "get: an event after --at is not seen; the default --at is now" {
	mlp -q feature materialize --end "$T" >/dev/null
	run mlp feature get driver_profile:rating --key driver_id=1001 --at 2021-04-12T09:00:00Z
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *NOT_FOUND* ]]
	# now, years later: outside the 7d ttl
	run mlp feature get driver_profile:rating --key driver_id=1001
	[[ "${lines[1]}" == *OUTSIDE_MAX_AGE* ]]
}

@test "materialized values equal dataset's at the end, window edges included" {
	mlp -q feature materialize --end "$T" >/dev/null
	online_vs_dataset 1001 1002 1003
}

# push_events [ARGS...]: materialize to the day before $T, then push
# (with ARGS) an event exactly at T, one exactly at T - 1d (before the
# materialization's end: merged in order), a new entity, a null fare, and
# a profile row tied with an ingested one (the later arrival wins).
push_events() {
	mlp -q feature materialize --end 2021-04-12T00:00:00Z "$@" >/dev/null
	cat > ev.jsonl <<'EOF'
{"driver_id": 1001, "event_ts": "2021-04-12T12:00:00Z", "fare": 2.5}
{"driver_id": 1001, "event_ts": "2021-04-11T12:00:00Z", "fare": "0.3"}
{"driver_id": 1003, "event_ts": "2021-04-12T11:30:00Z", "fare": 7}
{"driver_id": 1002, "event_ts": "2021-04-12T11:00:00Z", "fare": null}
EOF
	run mlp feature push driver_trips ev.jsonl "$@"
	[ "$status" -eq 0 ]
	[[ "$output" == *"4 events online (3 records changed), 4 events offline (batch 4)"* ]]
	printf '%s\n' '{"driver_id": 1001, "event_ts": "2021-04-12T10:00:00Z", "created_ts": "2021-04-12T10:00:05Z", "rating": 4.9, "car": "tie"}' \
	    '{"driver_id": 1002, "event_ts": "2021-04-06T00:00:00Z", "created_ts": "2021-04-06T00:00:00Z", "rating": 2, "car": null}' |
	    mlp -q feature push driver_profile "$@"
	online_vs_dataset 1001 1002 1003 1004
	run mlp feature get driver_profile:car --key driver_id=1001 --at "$T" "$@"
	[[ "${lines[1]}" == *tie* ]]
}

@test "after push the online values equal dataset's (sqlite)" {
	push_events
}

@test "after push the online values equal dataset's (redis)" {
	start_redis
	push_events --online "$ONLINE"
	[ "$(redis-cli -p "$REDIS_PORT" -n 3 exists 'mlp:driver:1001')" -eq 1 ]
}

@test "push --to online leaves the offline store; --to offline the online one" {
	mlp -q feature materialize --end "$T" >/dev/null
	before=$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest')
	echo '{"driver_id": 1001, "event_ts": "2021-04-12T11:59:00Z", "fare": 5}' |
	    mlp -q feature push driver_trips --to online
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest')" -eq "$before" ]
	run mlp feature get driver_trips:fare_count_7d --key driver_id=1001 --at "$T" --json
	[ "$(pyj 'd["results"][1]["values"][0]')" = 4 ]
	echo '{"driver_id": 1001, "event_ts": "2021-04-12T11:58:00Z", "fare": 6}' |
	    mlp -q feature push driver_trips --to offline
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest')" -eq $((before + 1)) ]
	run mlp feature get driver_trips:fare_count_7d --key driver_id=1001 --at "$T" --json
	[ "$(pyj 'd["results"][1]["values"][0]')" = 4 ]
}

@test "push --json says what was written" {
	run mlp feature push driver_trips --json <<'EOF'
{"driver_id": 1001, "event_ts": "2021-04-12T11:59:00Z", "fare": 5}
EOF
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["online"]["events"]')" = 1 ]
	[ "$(pyj 'd["online"]["records"]')" = 1 ]
	[ "$(pyj 'd["offline"]["events"]')" = 1 ]
	[ "$(pyj 'd["offline"]["batch"]')" = 4 ]
}

@test "push: a bad line is an error with its line, and nothing is written" {
	before=$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest')
	run mlp feature push driver_trips <<'EOF'
{"driver_id": 1001, "event_ts": "2021-04-12T11:59:00Z", "fare": 5}
{"driver_id": 1001, "event_ts": "yesterday", "fare": 5}
EOF
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature push: 'stdin' line 2 ('event_ts'): 'yesterday' is not an iso8601 timestamp" ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest')" -eq "$before" ]
	run mlp feature get driver_trips --key driver_id=1001 --at "$T"
	[[ "$output" == *NOT_FOUND* ]]
	run mlp feature push driver_trips <<<'{"driver_id": "x", "event_ts": "2021-04-12T11:59:00Z"}'
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 1 ('driver_id'): 'x' is not an int"* ]]
	run mlp feature push driver_trips <<<'{"driver_id": 1, "event_ts": "2021-04-12T11:59:00Z", "fare": "abc"}'
	[[ "$output" == *"line 1 ('fare'): 'abc' is not a float"* ]]
	run mlp feature push driver_trips <<<'{"event_ts": "2021-04-12T11:59:00Z"}'
	[[ "$output" == *"line 1 ('driver_id'): an empty join key"* ]]
	run mlp feature push driver_trips <<<'[1, 2]'
	[[ "$output" == *"line 1: not a JSON object"* ]]
	run mlp feature push pair_scores <<<'{"city": "sf", "driver_id": 1, "ts": "2021-04-12"}'
	[[ "$output" == *"'2021-04-12' is not an epoch_s timestamp"* ]]
}

@test "push --follow skips a bad line, writes the rest and says so" {
	run mlp feature push --follow driver_trips <<'EOF'
{"driver_id": 1001, "event_ts": "2021-04-12T11:59:00Z", "fare": 5}
{"driver_id": 1001, "event_ts": "soon", "fare": 5}
{"driver_id": 1002, "event_ts": "2021-04-12T11:59:00Z", "fare": 1}
EOF
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: feature push: skipped: 'stdin' line 2 ('event_ts'): 'soon' is not an iso8601 timestamp" ]]
	[[ "$output" == *"2 events online"* ]]
	[[ "$output" == *"1 bad line skipped"* ]]
	run mlp feature get driver_trips:fare_count_7d --key driver_id=1001,1002 --at "$T" --json
	[ "$(pyj 'd["results"][1]["values"]')" = "[1, 1]" ]
}

@test "push --follow on a file waits for more and stops on SIGTERM" {
	# the store exists before two processes use it
	mlp -q feature materialize driver_profile --end "$T" >/dev/null
	echo '{"driver_id": 1001, "event_ts": "2021-04-12T11:00:00Z", "fare": 5}' > ev.jsonl
	"$MLP" feature push --follow --to online driver_trips ev.jsonl > push.out 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
	for i in $(seq 100); do
		mlp feature get driver_trips:fare_count_7d --key driver_id=1001 --at "$T" | grep -q ' 1 ' && break
		sleep 0.1
	done
	echo '{"driver_id": 1001, "event_ts": "2021-04-12T11:30:00Z", "fare": 5}' >> ev.jsonl
	for i in $(seq 100); do
		mlp feature get driver_trips:fare_count_7d --key driver_id=1001 --at "$T" | grep -q ' 2 ' && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid"
	grep -q "2 events online" push.out
	run mlp feature get driver_trips:fare_count_7d --key driver_id=1001 --at "$T"
	[[ "$output" == *" 2 "* ]]
}

@test "materialize --incremental starts at the last end; a newer push is kept" {
	mlp -q feature materialize --end 2021-04-11T00:00:00Z >/dev/null
	run mlp feature materialize --incremental --end "$T" --json
	[ "$status" -eq 0 ]
	[ "$(pyj '[v["start"] for v in d["views"]]')" = "['2021-04-11T00:00:00Z', '2021-04-11T00:00:00Z', '2021-04-11T00:00:00Z']" ]
	run mlp feature materialize --incremental --end "$T" --json
	[ "$(pyj '[v["skipped"] for v in d["views"]]')" = "['up to date', 'up to date', 'up to date']" ]
	# a push newer than the offline rows, then materialize again
	echo '{"driver_id": 1001, "event_ts": "2021-04-12T11:00:00Z", "created_ts": "2021-04-12T11:00:00Z", "rating": 1.5, "car": "new"}' |
	    mlp -q feature push driver_profile --to online
	run mlp feature materialize driver_profile --end "$T" --json
	[ "$(pyj 'd["views"][0]["written"]')" = 0 ]
	run mlp feature get driver_profile:car --key driver_id=1001 --at "$T"
	[[ "$output" == *new* ]]
}

@test "materialize: a first --incremental starts at end - ttl" {
	run mlp feature materialize --incremental driver_profile --end "$T" --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["views"][0]["start"]')" = 2021-04-05T12:00:00Z ]
	# 1002's only row is older than that
	[ "$(pyj 'd["views"][0]["entities"]')" = 1 ]
}

@test "materialize: an unknown view, a view without data, bad times" {
	run mlp feature materialize driver_trip
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature materialize: no feature view 'driver_trip' (did you mean 'driver_trips'?)" ]
	cat >> features.yaml <<'EOF'
  - name: empty_view
    entity: driver
    source: trips
    features: [{name: fare, type: float}]
EOF
	sed -i 's/^feature_services:.*//; s/^  - {name: eta.*//' features.yaml
	mlp -q feature apply >/dev/null
	run mlp feature materialize empty_view --end "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"feature view 'empty_view' has no ingested data"* ]]
	[[ "$output" == *"hint: load its source first"* ]]
	run mlp feature materialize --end "$T"
	[ "$status" -eq 0 ]
	[[ "$output" == *"empty_view: no ingested data, skipped"* ]]
	run mlp feature materialize --end yesterday
	[ "$status" -eq 2 ]
	[[ "$output" == *"--end 'yesterday': expected an ISO-8601 time"* ]]
	run mlp feature materialize --start "$T" --end 2021-04-01T00:00:00Z
	[ "$status" -eq 2 ]
	[[ "$output" == *"the start is after the end"* ]]
}

@test "get: bad input is a one-line error" {
	mlp -q feature materialize --end "$T" >/dev/null
	run mlp feature get driver_profil --key driver_id=1
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature get: no feature view or service 'driver_profil'" ]
	[ "${lines[1]}" = "hint: did you mean 'driver_profile'?" ]
	run mlp feature get driver_profile:ratin --key driver_id=1
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"no feature 'ratin' in feature view 'driver_profile' (did you mean 'rating'?)"* ]]
	run mlp feature get pair_scores --key driver_id=1
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature get: no values for join key 'city' (of entity 'pair')" ]
	run mlp feature get driver_profile --key driver_id=abc
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature get: --key driver_id: 'abc' is not an int (the join key's type)" ]
	run mlp feature get driver_profile --key driver=1
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"--key driver: not a join key of the features asked for"* ]]
	run mlp feature get driver_profile
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"missing --key driver_id=VALUE"* ]]
	run mlp feature get driver_profile --key driver_id=1 --at soon
	[ "$status" -eq 2 ]
	run mlp feature get pair_scores --key city=a,b,c --key driver_id=1,2
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"give each join key a value per entity"* ]]
}

@test "an unreachable Redis, or an unknown scheme, is a clear one-line error" {
	run mlp feature get driver_profile --key driver_id=1 --online redis://127.0.0.1:1
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature get: cannot connect to Redis at 127.0.0.1:1: Connection refused" ]
	run mlp feature materialize --online redis://127.0.0.1:1
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"cannot connect to Redis at 127.0.0.1:1"* ]]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_materialization')" -eq 0 ]
	run mlp feature push driver_trips --online redis://127.0.0.1:1 <<<''
	[ "$status" -eq 1 ]
	run mlp feature get driver_profile --key driver_id=1 --online dynamo://x
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"unknown scheme (known: sqlite, redis)"* ]]
}

@test "the config's feature.onlineStore is the default store" {
	start_redis
	mlp config feature.onlineStore "$ONLINE"
	mlp -q feature materialize --end "$T" >/dev/null
	[ "$(redis-cli -p "$REDIS_PORT" -n 3 exists 'mlp:driver:1001')" -eq 1 ]
	run mlp feature get eta --key driver_id=1001 --at "$T"
	[[ "${lines[1]}" == *4.8*PRESENT* ]]
	[ ! -e .mlp/online.db ]
}

@test "materialize and get with redis; a failed materialization is not recorded" {
	start_redis
	run mlp feature materialize --end "$T" --online "$ONLINE"
	[ "$status" -eq 0 ]
	online_vs_dataset 1001 1002 1003
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_materialization')" -eq 3 ]
	# Redis over its memory limit refuses writes
	redis-cli -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null
	redis-cli -p "$REDIS_PORT" config set maxmemory 1 >/dev/null
	run mlp feature materialize --end "$T" driver_trips --online "${ONLINE%/3}/4"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"OOM"* ]]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_materialization')" -eq 3 ]
}

@test "a record of another definition of its view says to materialize again" {
	mlp -q feature materialize --end "$T" >/dev/null
	sed -i 's/{name: car, type: string}/{name: car, type: string}, {name: seats, type: int}/' features.yaml
	mlp -q feature apply >/dev/null
	run mlp feature get driver_profile:rating --key driver_id=1001 --at "$T"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"was written for another definition of the view"* ]]
	[[ "${lines[1]}" == "hint: materialize the view again"* ]]
}

@test "sqlite: processes creating the online store at once all succeed" {
	local pids=() i
	for i in 1 2 3 4 5 6; do
		mlp -q feature materialize --end "$T" >out.$i 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { cat out.$((i + 1)); false; }
	done
	online_vs_dataset 1001 1002 1003
}

@test "redis: a hash lives the longest TTL of its views; without a TTL, for ever" {
	start_redis
	mlp -q feature materialize --end "$T" --online "$ONLINE" >/dev/null
	local db=${ONLINE##*/} ttl day=86400000
	ttl=$(redis-cli -p "$REDIS_PORT" -n "$db" pttl mlp:driver:1001)
	# driver_trips' 30d, not driver_profile's 7d
	[ "$ttl" -gt $((29 * day)) ] && [ "$ttl" -le $((30 * day)) ]
	ttl=$(redis-cli -p "$REDIS_PORT" -n "$db" --raw keys 'mlp:pair:*' |
	    head -1 | xargs redis-cli -p "$REDIS_PORT" -n "$db" pttl)
	[ "$ttl" -eq -1 ]
}
