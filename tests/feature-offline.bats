#!/usr/bin/env bats
# mlp feature ingest|dataset: rows into the offline store, type-checked
# with nothing stored on an error; point-in-time training sets by Feast's
# rules; segments that fsck checks and gc keeps.

load helper

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
  - name: driver_trips
    entity: driver
    source: trips
    ttl: 30d
    aggregations: [{column: fare, op: sum, windows: [1d, 7d]}, {column: fare, op: count, windows: [7d]}]
  - name: driver_fares
    entity: driver
    source: trips
    ttl: 1d
    features: [{name: fare, type: float}]
  - name: pair_scores
    entity: pair
    source: scores
    features: [{name: score, type: float}]
feature_services:
  - {name: eta, features: ["driver_profile:rating", "driver_trips:fare_sum_7d"]}
EOF
	cat > data/trips.csv <<'EOF'
driver_id,event_ts,fare
1001,2021-04-10T10:00:00Z,10.5
1001,2021-04-11T09:00:00Z,4
1001,2021-04-12T10:00:00Z,1.25
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
	cat > spine.csv <<'EOF'
driver_id,event_ts,label
1001,2021-04-12T10:00:00Z,1
1001,2021-04-12T10:00:00Z,0
1002,2021-04-12T12:00:00Z,1
1002,2021-04-08T00:00:00Z,0
1003,2021-04-12T12:00:00Z,1
EOF
	mlp -q feature apply >/dev/null
}

# pyj EXPR: evaluates a Python expression over the JSON document on stdin
# (as j).
pyj() {
	/usr/bin/python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"
}

batches() {
	sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_ingest'
}

objects() {
	find .mlp/objects -type f | wc -l
}

@test "ingest and dataset -h work anywhere" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p nowhere && cd nowhere
	for v in ingest dataset; do
		run mlp feature "$v" -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: mlp feature $v"* ]]
	done
	run mlp feature dataset --spine s.csv --service eta
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
	[[ "$output" == *"hint:"* ]]
}

@test "ingest stores a batch per view; the same rows again add nothing" {
	run mlp feature ingest trips
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "4 rows of data/trips.csv" ]
	# the views in the catalog's order, each its batch
	[[ "${lines[1]}" == "  driver_fares (version 1): batch 1, 1 segment in 1 partition, "* ]]
	[[ "${lines[2]}" == "  driver_trips (version 1): batch 2, 1 segment in 1 partition, "* ]]
	[ "$(batches)" -eq 2 ]
	n=$(objects)
	run mlp feature ingest trips
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "  driver_fares (version 1): unchanged, the same rows are batch 1" ]
	[ "${lines[2]}" = "  driver_trips (version 1): unchanged, the same rows are batch 2" ]
	[ "$(batches)" -eq 2 ]
	[ "$(objects)" -eq "$n" ]
	# the same rows from standard input, in another order: still the same
	tac data/trips.csv | sed '$d' | (head -n 1 data/trips.csv; cat) |
	    mlp feature ingest trips - --json > out.json
	[ "$(pyj 'j["views"][0]["unchanged"], j["views"][0]["batch"], j["objects_written"]' < out.json)" = "True 1 0" ]
	[ "$(pyj 'j["views"][1]["view"], j["views"][1]["batch"]' < out.json)" = "driver_trips 2" ]
	[ "$(pyj 'j["path"], j["rows"], j["views"][0]["min_event_ts"]' < out.json)" = "- 4 2021-04-10T10:00:00Z" ]
}

@test "ingest checks every value and stores nothing on an error" {
	printf 'driver_id,event_ts,fare\n1,2021-04-10T10:00:00Z,1\n2,2021-04-10T10:00:00Z,cheap\n' > bad.csv
	n=$(objects)
	run mlp feature ingest trips bad.csv
	[ "$status" -eq 2 ]
	[ "$output" = "mlp: feature ingest: 'bad.csv' line 3 column 3 ('fare'): 'cheap' is not a float" ]
	printf 'driver_id,event_ts,fare\n,2021-04-10T10:00:00Z,1\n' > bad.csv
	run mlp feature ingest trips bad.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bad.csv' line 2 column 1 ('driver_id'): an empty join key" ]]
	printf 'driver_id,event_ts,fare\n1,12/04/2021,1\n' > bad.csv
	run mlp feature ingest trips bad.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 2 column 2 ('event_ts'): '12/04/2021' is not an iso8601 timestamp" ]]
	printf 'driver_id,event_ts\n1,2021-04-10T10:00:00Z\n' > bad.csv
	run mlp feature ingest trips bad.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bad.csv' has no column 'fare' (needed by feature view 'driver_fares')" ]]
	printf 'driver_id,event_ts,fare\n1.5,2021-04-10T10:00:00Z,1\n' > bad.csv
	run mlp feature ingest trips bad.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"('driver_id'): '1.5' is not an int" ]]
	[ "$(batches)" -eq 0 ]
	[ "$(objects)" -eq "$n" ]
	run mlp feature ingest trip
	[ "$status" -eq 1 ]
	[[ "$output" == *"no source 'trip' (did you mean 'trips'?)"* ]]
	[[ "$output" == *"hint: the sources: mlp feature list --kind source"* ]]
	run mlp feature ingest trips missing.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'missing.csv'"* ]]
	run mlp feature ingest
	[ "$status" -eq 2 ]
}

@test "dataset: Feast's point-in-time rules, spine order, empty for missing" {
	mlp -q feature ingest trips >/dev/null
	mlp -q feature ingest profiles >/dev/null
	run mlp feature dataset --spine spine.csv --service eta
	[ "$status" -eq 0 ]
	# 1001 at 10:00 on the 12th: of two rows at that time, the one
	# created later; the 7d window (T - 7d, T] takes all three fares, the
	# last at T itself; 1002's rating is 11 days old at T, past the
	# 7d TTL, and exactly 7 days old on the 8th, in; 1003 has nothing
	[ "$output" = "driver_id,event_ts,label,rating,fare_sum_7d
1001,2021-04-12T10:00:00Z,1,4.8,15.75
1001,2021-04-12T10:00:00Z,0,4.8,15.75
1002,2021-04-12T12:00:00Z,1,,
1002,2021-04-08T00:00:00Z,0,3.9,
1003,2021-04-12T12:00:00Z,1,," ]
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_1d,driver_trips:fare_count_7d -f driver_profile:car --full-names
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "driver_id,event_ts,label,driver_trips__fare_sum_1d,driver_trips__fare_count_7d,driver_profile__car" ]
	# (T - 1d, T]: 4 at 09:00 on the 11th is out, 1.25 at T in
	[ "${lines[1]}" = '1001,2021-04-12T10:00:00Z,1,1.25,3,"model 3, red"' ]
	[ "${lines[3]}" = "1002,2021-04-12T12:00:00Z,1,,0," ]
	[ "${lines[4]}" = "1002,2021-04-08T00:00:00Z,0,,0,golf" ]
	[ "${lines[5]}" = "1003,2021-04-12T12:00:00Z,1,,0," ]
	# created after T: left out with --filter-by-created-timestamp
	run mlp feature dataset --spine spine.csv -f driver_profile:rating --filter-by-created-timestamp
	[ "${lines[1]}" = "1001,2021-04-12T10:00:00Z,1," ]
}

@test "dataset: derived features from the view's expressions, nulls as SQL's, one derived feature on another" {
	python3 - <<'EOF'
s = open("features.yaml").read()
s = s.replace("features: [{name: rating, type: float}, {name: car, type: string}]",
    "features: [{name: rating, type: float}, {name: car, type: string}]\n"
    "    derived: [{name: rating_x2, expr: \"rating * 2\"}, {name: top, expr: \"rating_x2 >= 9.5 and car != 'golf'\"}, {name: car_or, expr: \"coalesce(car, 'none')\"}]")
s = s.replace("{column: fare, op: count, windows: [7d]}]",
    "{column: fare, op: count, windows: [7d]}]\n"
    "    derived: [{name: avg_fare_7d, expr: \"fare_sum_7d / fare_count_7d\"}]")
open("features.yaml", "w").write(s)
EOF
	mlp -q feature apply >/dev/null
	mlp -q feature ingest profiles >/dev/null
	mlp -q feature ingest trips >/dev/null
	run mlp feature dataset --spine spine.csv -f driver_profile:rating_x2,driver_profile:top,driver_profile:car_or,driver_trips:avg_fare_7d
	[ "$status" -eq 0 ]
	[ "$output" = "driver_id,event_ts,label,rating_x2,top,car_or,avg_fare_7d
1001,2021-04-12T10:00:00Z,1,9.6,true,\"model 3, red\",5.25
1001,2021-04-12T10:00:00Z,0,9.6,true,\"model 3, red\",5.25
1002,2021-04-12T12:00:00Z,1,,,none,
1002,2021-04-08T00:00:00Z,0,7.8,false,golf,
1003,2021-04-12T12:00:00Z,1,,,none," ]
}

@test "ingest: JSON lines written compactly (as kcat writes them), CRLF ends and a last line without an end" {
	printf '{"city":"sf","driver_id":1001,"ts":1618221600,"score":0.5}\r\n{"city":"la","driver_id":1001,"ts":1618221600,"score":0.25}' > data/scores.jsonl
	run mlp feature ingest scores
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 rows"* ]]
	printf 'city,driver_id,ts\nla,1001,1618221700\n' > pairs.csv
	run mlp feature dataset --spine pairs.csv --timestamp-column ts --timestamp-format epoch_s -f pair_scores:score
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "la,1001,1618221700,0.25" ]
	printf '{"city":"sf","driver_id":1001,"ts":1618221600,"score":0.5}\n{"city":"sf", oops}\n' > data/scores.jsonl
	run mlp feature ingest scores
	[ "$status" -eq 2 ]
	[[ "$output" == *"'data/scores.jsonl' line 2: not a JSON object"* ]]
}

@test "dataset: compound keys, epoch times, JSON lines, stdin, a file and its digest" {
	mlp -q feature ingest scores >/dev/null
	printf 'city,driver_id,at\nsf,1001,1618221600\nla,1001,1618221599\nla,1002,1618221600\n' |
	    mlp feature dataset --spine - -f pair_scores:score --timestamp-column at --timestamp-format epoch_s -o out.csv --json > out.json
	[ "$(cat out.csv)" = "city,driver_id,at,score
sf,1001,1618221600,0.5
la,1001,1618221599,
la,1002,1618221600," ]
	[ "$(pyj 'j["rows"], j["output"], j["features"]' < out.json)" = "3 out.csv ['pair_scores:score']" ]
	[ "$(pyj 'j["sha256"]' < out.json)" = "$(sha256sum out.csv | cut -d' ' -f1)" ]
	run mlp feature dataset --spine spine.csv -f pair_scores:score -o out2.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"has no column 'city' (a join key of entity 'pair')" ]]
	[ ! -e out2.csv ]
	# two entities, and two views of one source
	mlp -q feature ingest trips >/dev/null
	printf 'city,driver_id,at\nsf,1001,1618221600\nla,1002,1618221600\n' > sp.csv
	run mlp feature dataset --spine sp.csv --timestamp-column at --timestamp-format epoch_s \
	    -f pair_scores:score,driver_fares:fare,driver_trips:fare_sum_7d
	[ "$status" -eq 0 ]
	[ "$output" = "city,driver_id,at,score,fare,fare_sum_7d
sf,1001,1618221600,0.5,1.25,15.75
la,1002,1618221600,,," ]
}

@test "dataset: bad requests fail with one line and a hint" {
	run mlp feature dataset --spine spine.csv --service eta
	[ "$status" -eq 1 ]
	[[ "$output" == *"feature view 'driver_profile' has no ingested data"* ]]
	[[ "$output" == *"hint: load its source first: mlp feature ingest SOURCE"* ]]
	mlp -q feature ingest trips >/dev/null
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_2d
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: feature dataset: no feature 'fare_sum_2d' in feature view 'driver_trips' (did you mean 'fare_sum_1d'?)" ]
	run mlp feature dataset --spine spine.csv --service etb
	[ "$status" -eq 1 ]
	[[ "$output" == *"no feature service 'etb'"* ]]
	run mlp feature dataset --spine spine.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing --features REF,... or --service NAME"* ]]
	run mlp feature dataset --spine spine.csv --service eta -f driver_trips:fare_sum_1d
	[ "$status" -eq 2 ]
	run mlp feature dataset -f driver_trips:fare_sum_1d
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing --spine FILE"* ]]
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_1d --json
	[ "$status" -eq 2 ]
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_1d --timestamp-format rfc
	[ "$status" -eq 2 ]
	printf 'driver_id,event_ts\n1001,last tuesday\n' > bad.csv
	run mlp feature dataset --spine bad.csv -f driver_trips:fare_sum_1d
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bad.csv' line 2 column 2 ('event_ts'): 'last tuesday' is not an iso8601 timestamp" ]]
	run mlp feature dataset --spine nothere.csv -f driver_trips:fare_sum_1d
	[ "$status" -eq 1 ]
	printf 'entities: []\n' > empty.yaml
	mlp -q feature apply empty.yaml
	run mlp feature ingest trips
	[ "$status" -eq 1 ]
	[[ "$output" == *"the catalog has no feature views"* ]]
	[[ "$output" == *"hint: record the specs first"* ]]
}

@test "segments: fsck checks them, gc keeps them, damage is an error" {
	mlp -q feature ingest trips >/dev/null
	run mlp fsck
	[ "$status" -eq 0 ]
	[[ "$output" == "checked 1 object"* ]]
	mlp -q gc --prune now
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_7d
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1001,2021-04-12T10:00:00Z,1,15.75" ]
	# both views of trips keep the same column of the same rows: one
	# object
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(DISTINCT oid) FROM feature_segment')" -eq 1 ]
	oid=$(sqlite3 .mlp/mlp.db 'SELECT oid FROM feature_segment LIMIT 1')
	f=.mlp/objects/${oid:0:2}/${oid:2}
	chmod u+w "$f"
	printf 'XXXXXXXX' | dd of="$f" conv=notrunc 2>/dev/null
	run mlp feature dataset --spine spine.csv -f driver_trips:fare_sum_7d
	[ "$status" -eq 1 ]
	[[ "$output" == *"segment ${oid:0:12} is damaged: not a feature segment"* ]]
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"feature view driver_"*" batch "*" partition 0"* ]]
}

@test "compact -h works anywhere; outside a repository it says so" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p nowhere && cd nowhere
	run mlp feature compact -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: mlp feature compact"* ]]
	run mlp feature compact driver_trips
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
	[[ "$output" == *"hint:"* ]]
}

# push_events N: N events of trips, one push --to offline each, on an hourly
# grid of 5 drivers over 2 days; every 7th repeats the time of the one
# before with another fare (a tie across batches, the later must win).
# Also writes them, in order, to pushed.csv.
push_events() {
	local i d t ts fare

	echo 'driver_id,event_ts,fare' > pushed.csv
	for i in $(seq 1 "$1"); do
		if [ $((i % 7)) -ne 0 ]; then
			d=$((1001 + (i * 3) % 5))
			t=$(((i * 37) % 48))
		fi
		ts=$(date -u -d "2021-04-10 00:00:00 UTC + $t hours" +%Y-%m-%dT%H:%M:%SZ)
		fare=$i.5
		[ $((i % 11)) -eq 0 ] && fare=
		echo "$d,$ts,$fare" >> pushed.csv
		if [ -n "$fare" ]; then
			echo "{\"driver_id\": $d, \"event_ts\": \"$ts\", \"fare\": $fare}"
		else
			echo "{\"driver_id\": $d, \"event_ts\": \"$ts\", \"fare\": null}"
		fi | mlp -q feature push --to offline driver_trips >/dev/null
	done
}

many_spine() {
	local d h

	echo 'driver_id,event_ts'
	for d in 1001 1002 1003 1004 1005 1006; do
		for h in 0 5 11 12 23 24 30 36 47 48 60; do
			echo "$d,$(date -u -d "2021-04-10 00:00:00 UTC + $h hours" +%Y-%m-%dT%H:%M:%SZ)"
		done
	done
}

@test "105 pushed batches: the same dataset before and after compact, and as one ingest of the rows" {
	mlp config feature.autoCompact false
	push_events 105
	[ "$(sqlite3 .mlp/mlp.db "SELECT count(*) FROM feature_ingest WHERE view = 'driver_trips' AND replaced_by IS NULL")" -eq 105 ]
	many_spine > many.csv
	f=driver_trips:fare_sum_1d,driver_trips:fare_sum_7d,driver_trips:fare_count_7d
	mlp -q feature dataset --spine many.csv -f "$f" -o before.csv
	# materialize reads the batches as dataset does
	end=2021-04-11T12:00:00Z
	mlp -q feature materialize --end $end --online sqlite:a.db driver_trips
	mlp feature get driver_trips -k driver_id=1001,1002,1003,1004,1005 \
	    --at $end --online sqlite:a.db --json > a.json
	run mlp feature show driver_trips
	[[ "$output" == *"batches of version 1: 105, 105 rows"* ]]
	[[ "$output" =~ 105\ +push:driver_trips\ +1\ +1 ]]
	[[ "$output" == *"(and 95 older: mlp feature show --json lists them)"* ]]
	run mlp feature compact driver_trips --json
	[ "$status" -eq 0 ]
	[ "$(pyj '[(v["view"], v["merged"], v["before"], v["after"], v["rows"]) for v in j["views"]]' <<< "$output")" = "[('driver_trips', 105, 105, 1, 105)]" ]
	mlp -q feature dataset --spine many.csv -f "$f" -o after.csv
	cmp before.csv after.csv
	mlp -q feature materialize --end $end --online sqlite:b.db driver_trips
	mlp feature get driver_trips -k driver_id=1001,1002,1003,1004,1005 \
	    --at $end --online sqlite:b.db --json > b.json
	cmp a.json b.json
	grep -q '"PRESENT"' a.json
	# the same rows ingested at once, in another repository
	mkdir other && cp -r features.yaml data other/ && cp pushed.csv other/data/trips.csv
	(cd other && mlp -q init && mlp -q feature apply >/dev/null &&
	    mlp -q feature ingest trips >/dev/null &&
	    mlp -q feature dataset --spine ../many.csv -f "$f" -o ../once.csv)
	cmp before.csv once.csv
	# and byte for byte the segment that ingest writes
	[ "$(sqlite3 .mlp/mlp.db "SELECT s.oid FROM feature_segment s JOIN feature_ingest i ON i.id = s.ingest WHERE i.view = 'driver_trips'")" = "$(sqlite3 other/.mlp/mlp.db "SELECT s.oid FROM feature_segment s JOIN feature_ingest i ON i.id = s.ingest WHERE i.view = 'driver_trips'")" ]
	run mlp feature show driver_trips --json
	[ "$(pyj '[(b["from"], b["replaces"], b["rows"]) for b in j["batches"]]' <<< "$output")" = "[('compact:driver_trips', 105, 105)]" ]
}

@test "push batches are named push:VIEW; the compaction after pushes merges the newest small ones and says so" {
	mlp -q feature ingest trips >/dev/null
	for i in 1 2 3 4 5 6; do
		echo "{\"driver_id\": 1001, \"event_ts\": \"2021-04-12T1$i:00:00Z\", \"fare\": $i}" |
		    mlp feature push --to offline --json driver_trips > push.json
		[ "$(pyj 'j["offline"]["compactions"], j["offline"]["merged"]' < push.json)" = "0 0" ]
	done
	run mlp feature show driver_trips --json
	[ "$(pyj '[b["from"] for b in j["batches"]]' <<< "$output")" = "['data/trips.csv', 'push:driver_trips', 'push:driver_trips', 'push:driver_trips', 'push:driver_trips', 'push:driver_trips', 'push:driver_trips']" ]
	# the eighth batch: 7 pushes of 1 row and the ingest of 4 (at most
	# twice theirs) merge
	echo '{"driver_id": 1002, "event_ts": "2021-04-12T17:00:00Z", "fare": 7}' |
	    mlp feature push --to offline --json driver_trips > push.json
	[ "$(pyj 'j["offline"]["compactions"], j["offline"]["merged"]' < push.json)" = "1 8" ]
	batch=$(pyj 'j["offline"]["batch"]' < push.json)
	run mlp feature show driver_trips --json
	[ "$(pyj '[(b["batch"], b["from"], b["replaces"], b["rows"]) for b in j["batches"]]' <<< "$output")" = "[($batch, 'compact:driver_trips', 8, 11)]" ]
	run mlp feature push --to offline driver_trips <<< '{"driver_id": 1002, "event_ts": "2021-04-12T18:00:00Z", "fare": 8}'
	[ "$status" -eq 0 ]
	[[ "$output" == "driver_trips: 1 event offline (batch "*")" ]]
	# ingest --json says when the compaction after it merged: 8 batches
	# of 1 row and the 11 before them (at most twice their rows)
	mlp config feature.autoCompact false
	for i in 1 2 3 4 5 6; do
		echo "{\"driver_id\": 1003, \"event_ts\": \"2021-04-12T1$i:00:00Z\", \"fare\": $i}" |
		    mlp -q feature push --to offline driver_trips >/dev/null
	done
	mlp config feature.autoCompact true
	printf 'driver_id,event_ts,fare\n1004,2021-04-12T10:00:00Z,3\n' > more.csv
	run mlp feature ingest trips more.csv --json
	[ "$status" -eq 0 ]
	[ "$(pyj '[(v["view"], v["compacted"] and v["compacted"]["merged"]) for v in j["views"]]' <<< "$output")" = "[('driver_fares', None), ('driver_trips', 9)]" ]
}

@test "compact: the rows stay, the old segments go to gc, the same rows again are unchanged" {
	printf 'driver_id,event_ts,fare\n1001,2021-04-11T09:00:00Z,99\n' > t2.csv
	mlp -q feature ingest trips >/dev/null
	mlp -q feature ingest trips t2.csv >/dev/null
	mlp -q feature dataset --spine spine.csv -f driver_trips:fare_sum_7d,driver_fares:fare -o before.csv
	run mlp feature compact
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^driver_fares\ \(version\ 1\):\ 2\ batches\ compacted\ into\ batch\ [0-9]+,\ 5\ rows ]]
	[[ "${lines[1]}" =~ ^driver_trips\ \(version\ 1\):\ 2\ batches\ compacted ]]
	[ "${#lines[@]}" -eq 2 ]
	mlp -q feature dataset --spine spine.csv -f driver_trips:fare_sum_7d,driver_fares:fare -o after.csv
	cmp before.csv after.csv
	run mlp fsck
	[ "$status" -eq 0 ]
	mlp -q gc --prune now
	[ "$(objects)" -eq 1 ]
	mlp -q feature dataset --spine spine.csv -f driver_trips:fare_sum_7d,driver_fares:fare -o after.csv
	cmp before.csv after.csv
	run mlp feature ingest trips t2.csv --json
	[ "$(pyj '[(v["unchanged"], v["batch"]) for v in j["views"]]' <<< "$output")" = "$(sqlite3 .mlp/mlp.db "SELECT '[(True, ' || group_concat(id, '), (True, ') || ')]' FROM (SELECT id FROM feature_ingest WHERE replaced_by IS NULL ORDER BY view)")" ]
	run mlp feature compact driver_trips
	[ "$status" -eq 0 ]
	[ "$output" = "driver_trips (version 1): 1 batch, nothing to compact" ]
	run mlp feature compact --json driver_trips
	[ "$(pyj 'j["views"][0]["batch"], j["views"][0]["merged"], j["views"][0]["after"]' <<< "$output")" = "None 0 1" ]
}

@test "compact: an unknown view suggests a near one; a view without data is an error" {
	run mlp feature compact driver_trip
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature compact: no feature view 'driver_trip' (did you mean 'driver_trips'?)" ]
	[ "${lines[1]}" = "hint: the views: mlp feature list --kind view" ]
	run mlp feature compact pair_scores
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature compact: feature view 'pair_scores' has no ingested data" ]
	[[ "${lines[1]}" == "hint: load its source first"* ]]
	# none named: the views without data are passed over
	run mlp feature compact
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}
