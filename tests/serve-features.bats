#!/usr/bin/env bats
# mlp serve and the feature store: Feast's POST /get-online-features and
# POST /push, and a model trained on feature-store features answered from
# entity keys, with the values dataset and mlp predict give for the same
# entity and time (window edges included).

load helper

ex="$BATS_TEST_DIRNAME/../share/examples/features"

setup() {
	setup_repo
	sh "$ex/make-data.sh"
	cp "$ex/features.yaml" "$ex/train.yaml" .
	mlp -q feature apply >/dev/null
	mlp -q feature ingest trips >/dev/null
	mlp -q feature ingest profiles >/dev/null
}

teardown() {
	stop_background
}

# get BODY [TIME]: POST /get-online-features at TIME (X-MLP-Feature-Time).
get() {
	req POST /get-online-features -H "X-MLP-Feature-Time: ${2:-2024-02-04T12:00:00Z}" -d "$1"
}

@test "get-online-features: a service, references, full names, statuses and times as Feast gives them" {
	mlp -q feature materialize --end 2024-02-05T00:00:00Z >/dev/null
	serve_in .
	get '{"entities": {"driver_id": [1001, 9999]}, "feature_service": "churn_features"}'
	[ "$CODE" = 200 ]
	[ "$(json metadata feature_names <<< "$BODY")" = '["driver_id","rating","tenure_days","rating_x_tenure","fare_sum_7d","fare_count_1d","fare_count_7d","fare_avg_7d"]' ]
	[ "$(json results 0 values <<< "$BODY")" = '[1001,9999]' ]
	[ "$(json results 1 statuses <<< "$BODY")" = '["PRESENT","NOT_FOUND"]' ]
	[ "$(json results 1 event_timestamps <<< "$BODY")" = '["2024-01-31T01:00:00Z","1970-01-01T00:00:00Z"]' ]
	# the CLI's get gives the same values
	run mlp feature get churn_features --key driver_id=1001 --at 2024-02-04T12:00:00Z --json
	[ "$status" -eq 0 ]
	get '{"entities": {"driver_id": [1001]}, "features": ["driver_profile:rating", "driver_trips:fare_count_7d"], "full_feature_names": true}'
	[ "$CODE" = 200 ]
	[ "$(json metadata feature_names <<< "$BODY")" = '["driver_id","driver_profile__rating","driver_trips__fare_count_7d"]' ]
	# past the profile's 30 days: OUTSIDE_MAX_AGE, no value
	get '{"entities": {"driver_id": [1001]}, "features": ["driver_profile:rating"]}' 2024-03-20T00:00:00Z
	[ "$(json results 1 statuses <<< "$BODY")" = '["OUTSIDE_MAX_AGE"]' ]
	[ "$(json results 1 values <<< "$BODY")" = '[null]' ]
}

@test "get-online-features: bad requests are 4xx with a reason" {
	serve_in .
	get '{"entities": {"driver_id": [1001]}, "feature_service": "churn"}'
	[ "$CODE" = 404 ]
	[[ "$BODY" == *"no feature service 'churn'"* ]]
	get '{"entities": {"driver_id": [1001]}, "features": ["driver_profile:ratng"]}'
	[ "$CODE" = 404 ]
	[[ "$BODY" == *"did you mean 'rating'"* ]]
	get '{"entities": {"driver": [1001]}, "features": ["driver_profile:rating"]}'
	[ "$CODE" = 400 ]
	[[ "$BODY" == *"driver_id"* ]]
	get '{"entities": {"driver_id": ["x"]}, "features": ["driver_profile:rating"]}'
	[ "$CODE" = 400 ]
	get '{"entities": {"driver_id": [1001]}}'
	[ "$CODE" = 400 ]
	[[ "$BODY" == *"give exactly one of features"* ]]
	get '{"entities": '
	[ "$CODE" = 400 ]
	req GET /get-online-features
	[ "$CODE" = 405 ]
	req POST /push -d '{"push_source_name": "driver_trip", "df": {"driver_id": [1]}}'
	[ "$CODE" = 404 ]
	[[ "$BODY" == *"did you mean 'driver_trips'"* ]]
	req POST /push -d '{"push_source_name": "driver_trips", "df": {"driver_id": [1001]}, "to": "elsewhere"}'
	[ "$CODE" = 400 ]
}

@test "push: online at once, offline as a batch dataset reads" {
	mlp -q feature materialize --end 2024-02-05T00:00:00Z >/dev/null
	serve_in .
	req POST /push -d '{"push_source_name": "driver_trips", "df": {"driver_id": [1001, 1001], "event_ts": ["2024-02-04T11:00:00Z", "2024-02-04T11:30:00Z"], "fare": [10, 20.5]}, "to": "online_and_offline"}'
	[ "$CODE" = 200 ]
	[ "$(json events <<< "$BODY")" = 2 ]
	get '{"entities": {"driver_id": [1001]}, "features": ["driver_trips:fare_count_1d", "driver_trips:fare_sum_1d"]}'
	[ "$(json results 1 values <<< "$BODY")" = '[2]' ]
	[ "$(json results 2 values <<< "$BODY")" = '[30.5]' ]
	printf 'driver_id,event_ts\n1001,2024-02-04T12:00:00Z\n' > sp.csv
	run mlp feature dataset --spine sp.csv -f driver_trips:fare_count_1d,driver_trips:fare_sum_1d
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1001,2024-02-04T12:00:00Z,2,30.5" ]
	req POST /push -d '{"push_source_name": "driver_trips", "df": {"driver_id": [1001], "event_ts": ["yesterday"], "fare": [1]}}'
	[ "$CODE" = 400 ]
	[[ "$BODY" == *"event_ts"* ]]
}

@test "push: each offline push is a batch named push:VIEW, compacted as they come" {
	serve_in .
	for i in 1 2 3 4 5 6 7 8 9; do
		req POST /push -d '{"push_source_name": "driver_trips", "df": {"driver_id": [1001], "event_ts": ["2024-02-04T11:4'$i':00Z"], "fare": [1]}, "to": "offline"}'
		[ "$CODE" = 200 ]
	done
	run mlp feature show driver_trips --json
	[ "$status" -eq 0 ]
	froms=$(/usr/bin/python3 -c 'import json, sys; print(" ".join(sorted(set(b["from"] for b in json.load(sys.stdin)["batches"]))))' <<< "$output")
	[[ "$froms" == *"compact:driver_trips"* ]]
	[[ "$froms" == *"push:driver_trips"* ]]
	[ "$(/usr/bin/python3 -c 'import json, sys; print(sum(b["replaces"] or 1 for b in json.load(sys.stdin)["batches"]))' <<< "$output")" -ge 10 ]
	printf 'driver_id,event_ts\n1001,2024-02-04T12:00:00Z\n' > sp.csv
	run mlp feature dataset --spine sp.csv -f driver_trips:fare_count_1d
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "1001,2024-02-04T12:00:00Z,9" ]
}

@test "a model trained on features answers entity keys with what dataset and mlp predict give, window edges included" {
	mlp -q train train.yaml >/dev/null
	mlp -q feature materialize --end 2024-02-05T00:00:00Z >/dev/null
	mlp -q deploy models:/driver_churn@champion >/dev/null
	serve_in .
	# the online store holds the state at --end: times from then on, on
	# the edges of 1002's last trip's windows (a day and a week after
	# it, and a microsecond before those)
	for t in 2024-02-05T00:00:00Z 2024-02-05T10:50:52Z 2024-02-05T10:50:51.999999Z 2024-02-11T10:50:52Z 2024-02-11T10:50:51.999999Z; do
		printf 'driver_id,event_ts\n1001,%s\n1002,%s\n1017,%s\n9999,%s\n' $t $t $t $t > sp.csv
		mlp feature dataset --spine sp.csv --service churn_features -o ds.csv >/dev/null
		want=$(mlp predict models:/driver_churn/1 < ds.csv | tail -n +2 | paste -sd, -)
		req POST /invocations -H 'Content-Type: application/json' -H "X-MLP-Feature-Time: $t" \
		    -d '{"dataframe_split": {"columns": ["driver_id"], "data": [[1001], [1002], [1017], [9999]]}}'
		[ "$CODE" = 200 ]
		[ "$(json predictions <<< "$BODY")" = "[$want]" ]
		req POST /v2/models/driver_churn/infer -H "X-MLP-Feature-Time: $t" \
		    -d '{"inputs": [{"name": "driver_id", "shape": [4, 1], "datatype": "INT64", "data": [1001, 1002, 1017, 9999]}]}'
		[ "$CODE" = 200 ]
		[ "$(json outputs 0 data <<< "$BODY")" = "[$want]" ]
	done
	# rows of features still work, as for any model
	req POST /invocations -H 'Content-Type: application/json' -d "$(
	    /usr/bin/python3 -c 'import csv, json, sys
r = list(csv.reader(open("ds.csv")))
print(json.dumps({"dataframe_split": {"columns": r[0][2:], "data": [[float(x) if x else None for x in row[2:]] for row in r[1:2]]}}))')"
	[ "$CODE" = 200 ]
}

# pushed FILE FROM TO: FILE's rows with FROM < event_ts <= TO (times
# compared as times) as JSON lines.
pushed() {
	/usr/bin/python3 - "$@" <<'EOF'
import csv, datetime, json, sys
def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
lo, hi = ts(sys.argv[2]), ts(sys.argv[3])
for r in csv.DictReader(open(sys.argv[1])):
    if lo < ts(r["event_ts"]) <= hi:
        print(json.dumps({k: (v if k.endswith("_ts") else json.loads(v)) for k, v in r.items()}))
EOF
}

@test "consistency: at random (entity, time) pairs and window edges, after materialize and push, the server's features and predictions are dataset's and mlp predict's" {
	mlp -q train train.yaml >/dev/null
	mlp -q deploy models:/driver_churn@champion >/dev/null
	# random times (a fixed seed) and the edges of 1001's events: at one,
	# a window's length after one (out of it) and a microsecond before
	times=$(awk 'BEGIN { s = 7; for (i = 0; i < 4; i++) { s = (s * 16807) % 2147483647
		t = 15 * 86400 + s % (19 * 86400)
		printf "2024-%02d-%02dT%02d:%02d:%02dZ\n", t < 31 * 86400 ? 1 : 2,
		    t < 31 * 86400 ? int(t / 86400) + 1 : int(t / 86400) - 30,
		    int(t % 86400 / 3600), int(t % 3600 / 60), t % 60 } }')
	edge=$(awk -F, '$1 == 1001 && $2 > "2024-01-25" { print $2; exit }' trips.csv)
	edge_d=$(/usr/bin/python3 -c 'import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
print((t + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
print((t + datetime.timedelta(days=1, microseconds=-1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))' "$edge")
	for t in $times $edge $edge_d; do
		# materialize a day before t, push what came since
		t0=$(/usr/bin/python3 -c 'import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
print((t - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))' "$t")
		rm -f online.db
		mlp -q feature materialize --end "$t0" --online sqlite:online.db >/dev/null
		pushed trips.csv "$t0" "$t" | mlp -q feature push driver_trips --to online --online sqlite:online.db >/dev/null
		pushed profiles.csv "$t0" "$t" | mlp -q feature push driver_profile --to online --online sqlite:online.db >/dev/null
		printf 'driver_id,event_ts\n' > sp.csv
		for d in 1001 1005 1017 1042 9999; do printf '%s,%s\n' $d "$t" >> sp.csv; done
		mlp feature dataset --spine sp.csv --service churn_features -o ds.csv >/dev/null
		want=$(mlp predict models:/driver_churn/1 < ds.csv | tail -n +2 | paste -sd, -)
		serve_in . --online sqlite:online.db
		req POST /invocations -H 'Content-Type: application/json' -H "X-MLP-Feature-Time: $t" \
		    -d '{"dataframe_split": {"columns": ["driver_id"], "data": [[1001], [1005], [1017], [1042], [9999]]}}'
		[ "$CODE" = 200 ]
		[ "$(json predictions <<< "$BODY")" = "[$want]" ] || { echo "at $t: $BODY, want [$want]"; cat ds.csv; false; }
		# the feature vectors too: get-online-features against the CSV
		get '{"entities": {"driver_id": [1001, 1005, 1017, 1042]}, "feature_service": "churn_features"}' "$t"
		/usr/bin/python3 - "$BODY" ds.csv <<'EOF'
import csv, json, sys
got = json.loads(sys.argv[1])
rows = list(csv.DictReader(open(sys.argv[2])))
names = got["metadata"]["feature_names"]
for i, name in enumerate(names[1:], 1):
    for e, v in enumerate(got["results"][i]["values"]):
        want = rows[e][name]
        if want == "":
            assert v is None, (name, e, v, want)
        else:
            assert v is not None and float(want) == float(v), (name, e, v, want)
EOF
		stop_background
	done
}
