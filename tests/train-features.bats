#!/usr/bin/env bats
# mlp train on features from the feature store: a spec's features:
# {spine, service|refs} built point-in-time correct, the model's inputs
# the features only, and the lineage in MLmodel and `mlp register show`.

load helper

setup() {
	setup_repo
	mkdir -p data
	cat > features.yaml <<'EOF'
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: trips, path: data/trips.csv, timestamp: event_ts}
  - {name: profiles, path: data/profiles.csv, timestamp: event_ts, created_timestamp: created_ts}
  - {name: ratings, path: data/ratings.csv, timestamp: event_ts}
feature_views:
  - name: driver_profile
    entity: driver
    source: profiles
    ttl: 7d
    features: [{name: rating, type: float}, {name: car, type: string}]
    derived: [{name: rating_x2, expr: "rating*2+COALESCE( rating ,0)"}]
  - name: driver_trips
    entity: driver
    source: trips
    ttl: 30d
    aggregations: [{column: fare, op: sum, windows: [1d, 7d]}, {column: fare, op: count, windows: [7d]}]
  - name: driver_ratings
    entity: driver
    source: ratings
    features: [{name: stars, type: int}]
feature_services:
  - {name: eta, features: ["driver_profile:rating", "driver_profile:rating_x2", "driver_profile:car", "driver_trips:fare_sum_7d", "driver_trips:fare_count_7d"]}
  - {name: stars, features: ["driver_ratings:stars"]}
EOF
	# 40 drivers; a profile each (two cars, ratings that tell the
	# labels apart), three trips each
	awk 'BEGIN {
		print "driver_id,event_ts,created_ts,rating,car"
		for (i = 0; i < 40; i++)
			printf "%d,2021-04-08T00:00:00Z,2021-04-08T00:00:00Z,%.1f,%s\n",
			    1000 + i, 3 + (i % 2) + (i % 5) / 10, i % 3 ? "golf" : "prius"
	}' > data/profiles.csv
	awk 'BEGIN {
		print "driver_id,event_ts,fare"
		for (i = 0; i < 40; i++)
			for (k = 0; k < 3; k++)
				printf "%d,2021-04-0%dT12:00:00Z,%d.5\n", 1000 + i,
				    5 + k, (i * 7 + k) % 11
	}' > data/trips.csv
	# two spine rows per driver: one inside the profile's TTL, one after
	awk 'BEGIN {
		print "driver_id,event_ts,label,note"
		for (i = 0; i < 40; i++) {
			printf "%d,2021-04-10T00:00:00Z,%d,a\n", 1000 + i, i % 2
			printf "%d,2021-04-20T00:00:00Z,%d,b\n", 1000 + i, i % 2
		}
	}' > spine.csv
	mlp -q feature apply >/dev/null
	mlp -q feature ingest profiles >/dev/null
	mlp -q feature ingest trips >/dev/null
	cat > train.yaml <<'EOF'
target: label
params: {rounds: 4, max_depth: 3}
features:
  spine: spine.csv
  service: eta
EOF
}

# pyj EXPR: evaluates a Python expression over the JSON document on stdin
# (as j).
pyj() {
	/usr/bin/python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"
}

# pyy FILE EXPR: the same over a YAML file (as y).
pyy() {
	/usr/bin/python3 -c "import json, yaml; y = yaml.safe_load(open('$1')); print($2)"
}

# inputs MODEL_DIR: the names of the model's inputs, from its signature
inputs() {
	pyy "$1/MLmodel" '[(c["name"], c["type"]) for c in json.loads(y["signature"]["inputs"])]'
}

nruns() {
	mlp track runs --json | pyj 'len(j)'
}

@test "gbdt on a service's features: the inputs are the features only" {
	run mlp train train.yaml -r eta_model
	[ "$status" -eq 0 ]
	[[ "$output" == *"training set from feature-service:eta: 80 rows, 5 features (sha256 "* ]]
	[[ "$output" == *"models:/eta_model/1"* ]]
	mlp register checkout models:/eta_model/1 m >/dev/null 2>&1
	# inputs in the service's order; the join key, the time and the
	# spine's other columns are not among them
	# spine's other columns are not among them; the string feature is a
	# category
	[ "$(inputs m)" = "[('rating', 'double'), ('rating_x2', 'double'), ('car', 'string'), ('fare_sum_7d', 'double'), ('fare_count_7d', 'double')]" ]
	# the run logged the training set's digest as its dataset
	r=$(mlp track runs -c run_id | sed -n 2p)
	mlp track show "$r" --json > run.json
	[ "$(pyj 'j["tags"]["mlp.dataset.train.source"]' < run.json)" = "feature-service:eta" ]
	[ "$(pyj 'j["tags"]["mlp.dataset.train.rows"]' < run.json)" = "80" ]
	[ "$(pyj 'j["tags"]["mlp.dataset.spine.digest"]' < run.json)" = "$(sha256sum spine.csv | cut -d' ' -f1)" ]
	# the same set as mlp feature dataset builds, bit for bit
	mlp feature dataset --spine spine.csv --service eta -o ds.csv >/dev/null
	[ "$(pyj 'j["tags"]["mlp.dataset.train.digest"]' < run.json)" = "$(sha256sum ds.csv | cut -d' ' -f1)" ]
	# nothing left in tmp
	[ -z "$(ls .mlp/tmp)" ]
}

@test "MLmodel records the references, view versions, expressions and join keys" {
	mlp -q train train.yaml -r eta_model >/dev/null
	mlp register checkout models:/eta_model/1 m >/dev/null 2>&1
	/usr/bin/python3 - > fs.txt <<'EOF'
import yaml
f = yaml.safe_load(open('m/MLmodel'))['feature_store']
print(f['service'], f['timestamp_column'], f['timestamp_format'], f['full_names'])
print([(k['name'], k['type'], k['entity']) for k in f['join_keys']])
print([(v['name'], v['version'], v['entity'], v['ttl']) for v in f['views']])
for r in f['features']:
    print(r['ref'], r['input'], r['kind'], r['type'], r.get('expr'))
EOF
	cat > want.txt <<'EOF'
eta event_ts iso8601 False
[('driver_id', 'int', 'driver')]
[('driver_profile', 1, 'driver', '1w'), ('driver_trips', 1, 'driver', '30d')]
driver_profile:rating rating feature float None
driver_profile:rating_x2 rating_x2 derived float rating * 2 + coalesce(rating, 0)
driver_profile:car car feature string None
driver_trips:fare_sum_7d fare_sum_7d aggregation float None
driver_trips:fare_count_7d fare_count_7d aggregation int None
EOF
	diff -u want.txt fs.txt
	# a new version of a view is what a new model records
	sed -i 's/ttl: 7d/ttl: 8d/' features.yaml
	mlp -q feature apply >/dev/null
	mlp -q train train.yaml -r eta_model >/dev/null
	mlp register checkout models:/eta_model/2 m2 >/dev/null 2>&1
	[ "$(pyy m2/MLmodel '[(v["name"], v["version"], v["ttl"]) for v in y["feature_store"]["views"]]')" = \
	    "[('driver_profile', 2, '8d'), ('driver_trips', 1, '30d')]" ]
}

@test "register show prints the features as lineage, human and --json" {
	mlp -q train train.yaml -r eta_model >/dev/null
	run mlp register show models:/eta_model/1
	[ "$status" -eq 0 ]
	[[ "$output" == *"  data:      train "*" feature-service:eta (80 rows)"* ]]
	[[ "$output" == *"  data:      spine "*" spine.csv (80 rows)"* ]]
	[[ "$output" == *"  service:   eta"* ]]
	[[ "$output" == *"  join key:  driver_id (int, entity driver)"* ]]
	[[ "$output" == *"  timestamp: event_ts (iso8601)"* ]]
	[[ "$output" == *"  view:      driver_profile version 1 (entity driver, ttl 1w)"* ]]
	[[ "$output" == *"  feature    rating_x2            driver_profile:rating_x2 (float = rating * 2 + coalesce(rating, 0))"* ]]
	[[ "$output" == *"  feature    fare_count_7d        driver_trips:fare_count_7d (int)"* ]]
	mlp register show models:/eta_model/1 --json > show.json
	[ "$(pyj 'j["feature_store"]["service"], j["feature_store"]["timestamp_column"]' < show.json)" = "eta event_ts" ]
	[ "$(pyj '[(f["ref"], f["input"], f["kind"]) for f in j["feature_store"]["features"]][1]' < show.json)" = \
	    "('driver_profile:rating_x2', 'rating_x2', 'derived')" ]
	[ "$(pyj '[(v["name"], v["version"]) for v in j["feature_store"]["views"]]' < show.json)" = \
	    "[('driver_profile', 1), ('driver_trips', 1)]" ]
	[ "$(pyj 'j["feature_store"]["join_keys"]' < show.json)" = \
	    "[{'name': 'driver_id', 'type': 'int', 'entity': 'driver'}]" ]
	[ "$(pyj '[d["source"] for d in j["run"]["datasets"] if d["context"] == "train"]' < show.json)" = \
	    "['feature-service:eta']" ]
	# a model without feature-store features says so
	mlp feature dataset --spine spine.csv --service eta -o ds.csv >/dev/null
	mlp -q train --data ds.csv --target label --features rating,fare_sum_7d \
	    -p rounds=2 -r plain >/dev/null
	mlp register show models:/plain/1 --json | pyj 'j["feature_store"]' > none
	[ "$(cat none)" = "None" ]
	run mlp register show models:/plain/1
	[[ "$output" != *"join key:"* ]]
}

@test "mlp predict on the dataset CSV predicts for every row" {
	mlp -q train train.yaml -r eta_model >/dev/null
	mlp feature dataset --spine spine.csv --service eta -o ds.csv >/dev/null
	run mlp predict models:/eta_model/1 -i ds.csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "prediction" ]
	[ "${#lines[@]}" -eq 81 ]
	for l in "${lines[@]:1}"; do
		[[ "$l" =~ ^0\.[0-9]+$ ]]
	done
	# the model was trained on these rows: it tells the labels apart
	# where the features are known (inside the profile's TTL)
	paste -d, <(tail -n +2 ds.csv | cut -d, -f3,2) <(printf '%s\n' "${lines[@]:1}") |
	    awk -F, '$1 ~ /04-10/ && (($3 > 0.5) != $2) { bad++ } END { exit bad > 0 }'
}

@test "logistic on references with full names; a validation fraction" {
	cat > lr.yaml <<'EOF'
target: label
algo: logistic
valid_fraction: 0.25
features:
  spine: spine.csv
  refs: [driver_trips:fare_sum_7d, driver_profile:rating, driver_profile:car]
  full_names: true
EOF
	run mlp train lr.yaml -r lr
	[ "$status" -eq 0 ]
	[[ "$output" == *"training set from feature-refs:driver_trips:fare_sum_7d,driver_profile:rating,driver_profile:car: 80 rows, 3 features"* ]]
	mlp register checkout models:/lr/1 m >/dev/null 2>&1
	[ "$(inputs m)" = "[('driver_trips__fare_sum_7d', 'double'), ('driver_profile__rating', 'double'), ('driver_profile__car', 'string')]" ]
	[ "$(pyy m/MLmodel 'y["feature_store"].get("service"), y["feature_store"]["full_names"]')" = "None True" ]
	r=$(mlp track runs -c run_id | sed -n 2p)
	mlp track show "$r" --json > run.json
	[ "$(pyj 'j["tags"]["mlp.dataset.valid.source"]' < run.json)" = \
	    "feature-refs:driver_trips:fare_sum_7d,driver_profile:rating,driver_profile:car" ]
	mlp feature dataset --spine spine.csv --full-names \
	    -f driver_trips:fare_sum_7d,driver_profile:rating,driver_profile:car \
	    -o ds.csv >/dev/null
	run mlp predict models:/lr/1 -i ds.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 81 ]
	run mlp register show models:/lr/1
	[[ "$output" != *"service:"* ]]
	[[ "$output" == *"  feature    driver_profile__car  driver_profile:car (string)"* ]]
}

@test "a spine with epoch times and another time column" {
	cut -d, -f1-3 spine.csv | sed '1s/event_ts/ts/;
	    s/2021-04-10T00:00:00Z/1618012800/; s/2021-04-20T00:00:00Z/1618876800/' \
	    > spine_s.csv
	cat > ep.yaml <<'EOF'
target: label
params: {rounds: 2}
features: {spine: spine_s.csv, service: eta, timestamp_column: ts, timestamp_format: epoch_s}
EOF
	run mlp train ep.yaml -r ep
	[ "$status" -eq 0 ]
	mlp register checkout models:/ep/1 m >/dev/null 2>&1
	[ "$(pyy m/MLmodel 'y["feature_store"]["timestamp_column"], y["feature_store"]["timestamp_format"]')" = "ts epoch_s" ]
	# the same features as the ISO spine's
	mlp feature dataset --spine spine_s.csv --service eta --timestamp-column ts \
	    --timestamp-format epoch_s | cut -d, -f4- > a.csv
	mlp feature dataset --spine spine.csv --service eta | cut -d, -f5- > b.csv
	diff a.csv b.csv
}

@test "a killed run resumes on the same training set" {
	run env MLP_TEST_KILL_AT=3 "$MLP" train train.yaml -p rounds=5 \
	    --checkpoint-every 1
	[ "$status" -eq 137 ]
	r=$(mlp track runs -c run_id | sed -n 2p)
	run mlp train --resume "$r"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resuming run ${r:0:8} from iteration 3"* ]]
	mlp track show "$r" --json | pyj 'j["status"]' > st
	[ "$(cat st)" = "FINISHED" ]
	# new rows in the store change the set: a resume would refuse
	run env MLP_TEST_KILL_AT=2 "$MLP" train train.yaml -p rounds=5 \
	    --checkpoint-every 1
	r=$(mlp track runs -c run_id | sed -n 2p)
	echo "1000,2021-04-09T12:00:00Z,3.5" >> data/trips.csv
	mlp -q feature ingest trips >/dev/null
	run mlp train --resume "$r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the training set from feature-service:eta for '"*"spine.csv' changed since run ${r:0:8} began"* ]]
}

@test "bad input: unknown service or reference, with did-you-mean" {
	sed -i 's/service: eta/service: etaa/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: no feature service 'etaa' (did you mean 'eta'?)" ]
	sed -i 's/service: etaa/service: nothing_like_it/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: no feature service 'nothing_like_it' (services: eta, stars)" ]
	printf 'target: label\nfeatures: {spine: spine.csv, refs: [driver_profile:ratng]}\n' > bad.yaml
	run mlp train bad.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: no feature 'ratng' in feature view 'driver_profile' (did you mean 'rating'?)" ]
	[ "$(nruns)" -eq 0 ]
}

@test "bad input: a spine without the join key or the target" {
	cut -d, -f2- spine.csv > nokey.csv
	sed -i 's/spine: spine.csv/spine: nokey.csv/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: 'nokey.csv' has no column 'driver_id' (a join key of entity 'driver')" ]
	cut -d, -f1,2,4 spine.csv > notarget.csv
	sed -i 's/spine: nokey.csv/spine: notarget.csv/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: 'notarget.csv' has no target column 'label' (columns: driver_id, event_ts, note)" ]
	sed -i 's/spine: notarget.csv/spine: spine.csv/; s/target: label/target: driver_id/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: the target 'driver_id' is a join key of entity 'driver'" ]
	sed -i 's/target: driver_id/target: event_ts/' train.yaml
	run mlp train train.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: the target 'event_ts' is the spine's timestamp column" ]
	[ "$(nruns)" -eq 0 ]
	[ -z "$(ls .mlp/tmp)" ]
}

@test "bad input: data: and a features mapping together, and bad mappings" {
	printf 'data: spine.csv\n' >> train.yaml
	run mlp train train.yaml
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "mlp: train run: give the training data as 'data:' (a CSV file) or as 'features: {spine: ...}' (from the feature store), not both" ]]
	printf 'target: label\nfeatures: {spine: spine.csv, service: eta}\n' > t.yaml
	run mlp train t.yaml --data spine.csv
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"not both" ]]
	run mlp train t.yaml --features rating
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "mlp: train run: feature columns (--features) do not go with features from the feature store"* ]]
	printf 'target: label\nfeatures: {spine: spine.csv}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: train run: 't.yaml' line 2: 'features' needs 'service' or 'refs' (the features to join onto the spine)" ]
	printf 'target: label\nfeatures: {spine: spine.csv, service: eta, refs: [a:b]}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'features' takes 'service' or 'refs', not both" ]]
	printf 'target: label\nfeatures: {service: eta}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'features' as a mapping needs 'spine'"* ]]
	printf 'target: label\nfeatures: {spine: spine.csv, service: eta, ttl: 1d}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: train run: 't.yaml' line 2: unknown key 'features.ttl' (valid: spine, service, refs, timestamp_column, timestamp_format, full_names)" ]
	printf 'target: label\nfeatures: {spine: spine.csv, service: eta, timestamp_format: unix}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'features.timestamp_format': 'unix' is not iso8601, epoch_s or epoch_ms" ]]
	printf 'target: label\nvalid: spine.csv\nfeatures: {spine: spine.csv, service: eta}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"a validation file does not go with features from the feature store"* ]]
	printf 'target: label\nfeatures: {spine: spine.csv, service: eta}\n' > t.yaml
	run mlp train t.yaml --cmd true
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"'features' is for the built-in learners"* ]]
	[ "$(nruns)" -eq 0 ]
}

@test "bad input: a view never ingested names its source" {
	printf 'target: label\nfeatures: {spine: spine.csv, service: stars}\n' > t.yaml
	run mlp train t.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: train run: feature view 'driver_ratings' has no ingested data: ingest its source first (mlp feature ingest ratings)" ]
	[ "$(nruns)" -eq 0 ]
	[ -z "$(ls .mlp/tmp)" ]
}

@test "a model whose MLmodel's feature_store does not fit its inputs is refused" {
	mlp -q train train.yaml -r eta_model >/dev/null
	mlp register checkout models:/eta_model/1 m >/dev/null 2>&1
	mlp feature dataset --spine spine.csv --service eta -o ds.csv >/dev/null
	sed -i 's/input: rating_x2/input: other/' m/MLmodel
	run mlp predict m -i ds.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"field 'feature_store.features[1].input': 'other' is not the model's input 2 ('rating_x2')"* ]]
	mlp register checkout models:/eta_model/1 m2 >/dev/null 2>&1
	sed -i '/^  timestamp_column:/d' m2/MLmodel
	run mlp predict m2 -i ds.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"field 'feature_store.timestamp_column': missing"* ]]
}
