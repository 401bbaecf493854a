#!/usr/bin/env bats
# mlp feature plan|apply|list|show: specs into the versioned catalog,
# every error of a spec at its file, line and column, breaking changes,
# deletions, history and the JSON shapes.

load helper

setup() {
	setup_repo
	cat > features.yaml <<'EOF'
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: trips, path: data/trips.csv, timestamp: event_ts}
  - {name: profiles, path: data/profiles.csv, timestamp: event_ts, created_timestamp: created_ts}
feature_views:
  - name: driver_profile
    entity: driver
    source: profiles
    ttl: 7d
    features: [{name: rating, type: float}]
    derived: [{name: rating_x2, expr: "rating * 2"}]
  - name: driver_trips
    entity: driver
    source: trips
    ttl: 30d
    aggregations: [{column: fare, op: sum, windows: [1d, 7d]}, {column: fare, op: count, windows: [7d]}]
feature_services:
  - {name: eta, features: ["driver_profile:rating", "driver_trips:fare_sum_7d"]}
EOF
}

# pyj EXPR: evaluates a Python expression over the JSON document on stdin
# (as j).
pyj() {
	/usr/bin/python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"
}

@test "feature -h works anywhere, and each verb's -h" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p nowhere && cd nowhere
	run mlp feature -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"plan"*"apply"*"list"*"show"* ]]
	for v in plan apply list show; do
		run mlp feature "$v" -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: mlp feature $v"* ]]
	done
	run mlp feature
	[ "$status" -eq 2 ]
}

@test "feature outside a repository says so, with a hint" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p nowhere && cd nowhere
	cp "$BATS_TEST_TMPDIR/repo/features.yaml" .
	run mlp feature plan
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
	[[ "$output" == *"hint: run 'mlp init'"* ]]
}

@test "plan shows what apply would create; apply records it; then nothing to change" {
	run mlp feature plan
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "+ entity driver" ]]
	[[ "$output" == *"+ source profiles"* ]]
	[[ "$output" == *"+ feature view driver_trips"* ]]
	[[ "$output" == *"+ feature service eta"* ]]
	[[ "$output" == *"Plan: 6 to create, 0 to update, 0 to delete."* ]]
	run mlp feature plan --detailed-exitcode
	[ "$status" -eq 2 ]
	# plan wrote nothing
	run mlp feature list --json
	[ "$output" = "[]" ]
	run mlp feature apply
	[ "$status" -eq 0 ]
	[[ "$output" == *"Applied: 6 created, 0 updated, 0 deleted."* ]]
	run mlp feature plan
	[ "$status" -eq 0 ]
	[ "$output" = "No changes. The catalog matches the specs." ]
	run mlp feature plan --detailed-exitcode
	[ "$status" -eq 0 ]
}

@test "apply is idempotent: the same specs again add no version" {
	mlp -q feature apply >/dev/null
	n=$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_version')
	run mlp feature apply
	[ "$status" -eq 0 ]
	[ "$output" = "No changes. The catalog matches the specs." ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_version')" -eq "$n" ]
	run mlp feature list --json
	[ "$(pyj '",".join(str(o["version"]) for o in j)' <<< "$output")" = "1,1,1,1,1,1" ]
}

@test "list: kind, name, version, detail; --kind filters" {
	mlp feature apply >/dev/null
	run mlp feature list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "KIND"*"NAME"*"VERSION"*"UPDATED"*"DETAIL" ]]
	[[ "${lines[1]}" == "entity"*"driver"*"1"*"driver_id (int)" ]]
	[[ "$output" == *"data/trips.csv (csv)"* ]]
	[[ "$output" == *"3 features of driver from trips, ttl 30d"* ]]
	run mlp feature list --kind view
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" == "view"*"driver_profile"* ]]
	run mlp feature list --kind views
	[ "$status" -eq 2 ]
	[[ "$output" == *"--kind 'views': expected entity, source, view or service"* ]]
	run mlp feature list extra
	[ "$status" -eq 2 ]
}

@test "show a view: entity, source, ttl, features with types, derived, aggregations, version, history" {
	mlp feature apply >/dev/null
	run mlp feature show driver_profile
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "feature view driver_profile, version 1" ]
	[[ "$output" == *"entity:      driver, join keys driver_id (int)"* ]]
	[[ "$output" == *"source:      profiles (data/profiles.csv)"* ]]
	[[ "$output" == *"ttl:         1w"* ]]
	[[ "$output" =~ rating\ +float\ +feature ]]
	[[ "$output" =~ rating_x2\ +float\ +derived\ +rating\ \*\ 2 ]]
	[[ "$output" =~ 1\ +create\ +[0-9-]+\ [0-9:]+\ +tester\ +features.yaml:7:5 ]]
	run mlp feature show driver_trips
	[[ "$output" =~ fare_sum_7d\ +float\ +aggregation\ +sum\(fare\)\ over\ 7d ]]
	[[ "$output" =~ fare_count_7d\ +int\ +aggregation\ +count\(fare\)\ over\ 7d ]]
	run mlp feature show trips
	[[ "$output" == *"path:        data/trips.csv"* ]]
	[[ "$output" == *"timestamp:   event_ts (iso8601)"* ]]
	run mlp feature show eta
	[[ "$output" == *"features:    driver_profile:rating"* ]]
	run mlp feature show driver
	[[ "$output" == *"join keys:   driver_id (int)"* ]]
}

@test "show: an unknown name suggests a near one; a shared name needs --kind" {
	mlp feature apply >/dev/null
	run mlp feature show driver_trip
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: feature show: no entity, source, feature view or service named 'driver_trip' in the feature catalog" ]]
	[ "${lines[1]}" = "hint: did you mean 'driver_trips'?" ]
	cat >> features.yaml <<'EOF'
  - {name: driver, features: [driver_profile]}
EOF
	mlp feature apply >/dev/null
	run mlp feature show driver
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature show: 'driver' names an entity and a feature service" ]
	[[ "$output" == *"hint: say which with --kind"* ]]
	run mlp feature show driver --kind service
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "feature service driver, version 1" ]
	[[ "$output" == *"driver_profile:rating_x2"* ]]
	run mlp feature show driver --kind view
	[ "$status" -eq 1 ]
	[[ "$output" == *"no feature view named 'driver'"* ]]
	run mlp feature show "$(printf 'dr\xffver')"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not valid UTF-8"* ]]
	run mlp feature show
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing NAME"* ]]
}

@test "an update names the fields that change, and history keeps both versions" {
	mlp feature apply >/dev/null
	sed -i 's/ttl: 30d/ttl: 14d/' features.yaml
	run mlp feature plan
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "~ feature view driver_trips (ttl)" ]
	[[ "$output" == *"Plan: 0 to create, 1 to update, 0 to delete."* ]]
	run mlp feature apply
	[ "$status" -eq 0 ]
	run mlp feature show driver_trips --json
	[ "$(pyj 'j["version"]' <<< "$output")" = 2 ]
	[ "$(pyj 'j["spec"]["ttl"]' <<< "$output")" = 2w ]
	[ "$(pyj '[h["action"] for h in j["history"]]' <<< "$output")" = "['create', 'update']" ]
	[ "$(pyj 'j["history"][1]["changed"]' <<< "$output")" = "['ttl']" ]
	run mlp feature show driver_trips
	[[ "$output" =~ 2\ +update\ .*tester\ +ttl\ +features.yaml:13:5 ]]
}

@test "a feature's type change is refused without --force, and recorded as forced with it" {
	mlp feature apply >/dev/null
	sed -i 's/type: float/type: int/' features.yaml
	run mlp feature plan
	[ "$status" -eq 0 ]
	[[ "$output" == *"~ feature view driver_profile (features)"* ]]
	[[ "$output" == *"! breaking: feature 'rating' changes type from float to int"* ]]
	[[ "$output" == *"1 breaking change: apply needs --force."* ]]
	run mlp feature apply
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: feature apply: feature view 'driver_profile': feature 'rating' changes type from float to int" ]
	[[ "${lines[1]}" == "hint: "*"apply --force"* ]]
	[ "$(sqlite3 .mlp/mlp.db "SELECT max(version) FROM feature_version")" -eq 1 ]
	run mlp feature apply --force
	[ "$status" -eq 0 ]
	run mlp feature show driver_profile --json
	[ "$(pyj 'j["history"][1]["forced"]' <<< "$output")" = True ]
	[ "$(pyj 'j["outputs"][0]["type"]' <<< "$output")" = int ]
	run mlp feature show driver_profile
	[[ "$output" == *"features (forced)"* ]]
}

@test "an entity's key types and a view's entity are breaking changes too" {
	mlp feature apply >/dev/null
	sed -i 's/join_keys: \[driver_id\]}/join_keys: [driver_id], type: string}/' features.yaml
	run mlp feature apply
	[ "$status" -eq 1 ]
	[[ "$output" == *"entity 'driver': join keys change from driver_id (int) to driver_id (string)"* ]]
	sed -i 's/, type: string}/}/' features.yaml
	cat >> features.yaml <<'EOF'
EOF
	sed -i 's/^entities:/entities:\n  - {name: rider, join_keys: [rider_id]}/' features.yaml
	sed -i '0,/entity: driver/s//entity: rider/' features.yaml
	run mlp feature apply
	[ "$status" -eq 1 ]
	[[ "$output" == *"feature view 'driver_profile': entity changes from 'driver' to 'rider'"* ]]
	run mlp feature apply -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ entity rider"* ]]
}

@test "an object the specs no longer define is deleted; defined again, it goes on from its version" {
	mlp feature apply >/dev/null
	sed -i '/^feature_services:/,$d' features.yaml
	run mlp feature plan
	[ "${lines[0]}" = "- feature service eta" ]
	[[ "$output" == *"Plan: 0 to create, 0 to update, 1 to delete."* ]]
	run mlp feature apply
	[ "$status" -eq 0 ]
	run mlp feature list --kind service
	[ "${#lines[@]}" -eq 1 ]
	run mlp feature show eta
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "feature service eta, version 2 (deleted)" ]
	[[ "$output" =~ 2\ +delete ]]
	run mlp feature show eta --json
	[ "$(pyj '(j["deleted"], j["spec"])' <<< "$output")" = "(True, None)" ]
	cat >> features.yaml <<'EOF'
feature_services:
  - {name: eta, features: [driver_trips]}
EOF
	run mlp feature apply
	[ "${lines[0]}" = "+ feature service eta" ]
	run mlp feature show eta --json
	[ "$(pyj '(j["version"], j["spec"]["features"])' <<< "$output")" = "(3, ['driver_trips:fare_sum_1d', 'driver_trips:fare_sum_7d', 'driver_trips:fare_count_7d'])" ]
}

@test "without arguments: features.yaml, else features/, else an error with a hint" {
	mkdir -p sub/features
	cd sub
	run mlp feature plan
	[ "$status" -eq 2 ]
	[[ "$output" == *"'features' holds no .yaml or .yml files"* ]]
	cp ../features.yaml features/b.yaml
	printf 'entities:\n  - {name: rider, join_keys: [rider_id]}\n' > features/a.yml
	echo 'not: yaml: at all' > features/notes.txt
	run mlp feature plan
	[ "$status" -eq 0 ]
	[[ "$output" == *"Plan: 7 to create"* ]]
	echo 'entities: []' > features.yaml
	run mlp feature plan
	[ "$output" = "No changes. The catalog matches the specs." ]
	rm -r features features.yaml
	run mlp feature plan
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature plan: no spec given, and no features.yaml or features/ here" ]
	[[ "${lines[1]}" == "hint: name the spec files or directories: mlp feature plan FILE|DIR..." ]]
}

@test "source paths are kept relative to the repository's root, or absolute outside it" {
	mkdir -p specs
	cat > specs/s.yaml <<EOF
sources:
  - {name: a, path: a.csv}
  - {name: b, path: ../data/b.jsonl}
  - {name: c, path: $BATS_TEST_TMPDIR/c.csv}
EOF
	mlp feature apply specs >/dev/null
	run mlp feature list --kind source --json
	[ "$(pyj '[(o["spec"]["path"], o["spec"]["format"]) for o in j]' <<< "$output")" = "[('specs/a.csv', 'csv'), ('data/b.jsonl', 'jsonl'), ('$BATS_TEST_TMPDIR/c.csv', 'csv')]" ]
	# the same from a subdirectory
	cd specs
	run mlp feature plan s.yaml
	[ "$output" = "No changes. The catalog matches the specs." ]
}

# spec_error SPEC WANT: plan with SPEC as bad.yaml exits 2 and prints WANT
# after "mlp: feature plan: ".
spec_error() {
	printf '%b' "$1" > bad.yaml
	run mlp feature plan bad.yaml
	if [ "$status" -ne 2 ] || [ "${lines[0]}" != "mlp: feature plan: $2" ]; then
		echo "status $status"
		echo "got:  ${lines[0]}"
		echo "want: mlp: feature plan: $2"
		return 1
	fi
}

H='entities:\n  - {name: driver, join_keys: [driver_id]}\nsources:\n  - {name: trips, path: trips.csv}\nfeature_views:\n'

@test "spec errors name file, line and column: keys and kinds" {
	spec_error "${H}  - name: v\n    entity: driver\n    source: trips\n    ttl_s: 7d\n" \
	    "'bad.yaml' line 9 column 5: unknown key 'ttl_s' in feature view 'v' (did you mean 'ttl'?)"
	spec_error 'entities:\n  - {name: d, join_keys: [k], descripton: x}\n' \
	    "'bad.yaml' line 2 column 31: unknown key 'descripton' in entity 'd' (did you mean 'description'?)"
	spec_error 'feature_view: []\n' \
	    "'bad.yaml' line 1 column 1: unknown key 'feature_view' in the spec (did you mean 'feature_views'?)"
	spec_error 'entities:\n  name: d\n' \
	    "'bad.yaml' line 2 column 3: entities must be a list, not a mapping"
	spec_error 'entities:\n  - {name: [d], join_keys: [k]}\n' \
	    "'bad.yaml' line 2 column 12: name must be a single value, not a list"
	spec_error 'entities:\n  - {name: d, join_keys: [k]}\n  - {name: d, join_keys: [k]}\n' \
	    "'bad.yaml' line 3 column 12: entity 'd' is defined twice (first at 'bad.yaml' line 2 column 5)"
	spec_error 'entities:\n  - name: d\n    join_keys: [k]\n    name: e\n' \
	    "'bad.yaml' line 4: duplicate key 'name' (first at line 2)"
	spec_error 'entities:\n  - {name: my-entity, join_keys: [k]}\n' \
	    "'bad.yaml' line 2 column 12: name 'my-entity' is not a name (letters, digits and '_', not starting with a digit)"
	spec_error 'entities:\n  - {join_keys: [k]}\n' \
	    "'bad.yaml' line 2 column 5: this entity has no 'name'"
	spec_error 'entities: [{name: d, join_keys: [k, k]}]\n' \
	    "'bad.yaml' line 1 column 37: join key 'k' of entity 'd' is listed twice"
	spec_error 'entities: [{name: d, join_keys: [k], type: bool}]\n' \
	    "'bad.yaml' line 1 column 44: type: a join key is int or string, not bool"
	spec_error 'sources: [{name: s, path: s.parquet}]\n' \
	    "'bad.yaml' line 1 column 27: cannot tell the format of 's.parquet' from its name: add format: csv or format: jsonl to source 's'"
	spec_error 'sources: [{name: s, path: s.csv, format: parquet}]\n' \
	    "'bad.yaml' line 1 column 42: format 'parquet' of source 's' is not csv or jsonl"
}

@test "spec errors name file, line and column: references, durations, types, outputs" {
	spec_error "${H}  - {name: v, entity: drivers, source: trips, features: [{name: f, type: int}]}\n" \
	    "'bad.yaml' line 6 column 23: feature view 'v': no entity 'drivers' (did you mean 'driver'?)"
	spec_error "${H}  - {name: v, entity: driver, source: trip, features: [{name: f, type: int}]}\n" \
	    "'bad.yaml' line 6 column 39: feature view 'v': no source 'trip' (did you mean 'trips'?)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, ttl: 7days, features: [{name: f, type: int}]}\n" \
	    "'bad.yaml' line 6 column 51: ttl '7days' of feature view 'v' is not a duration (such as 90s, 15m, 1h, 7d, 2w, or 0 for none)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: f, type: integer}]}\n" \
	    "'bad.yaml' line 6 column 73: type 'integer' is not a type (float, int, string, bool)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, aggregations: [{column: fare, op: mean, windows: [1d]}]}\n" \
	    "'bad.yaml' line 6 column 80: op 'mean' is not an aggregation (count, sum, avg, min, max, last, stddev) (did you mean 'avg'?)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, aggregations: [{column: fare, op: sum, windows: [1d, 24h]}]}\n" \
	    "'bad.yaml' line 6 column 99: window '24h' is the same time as '1d' in an aggregation of feature view 'v'"
	spec_error "${H}  - {name: v, entity: driver, source: trips, aggregations: [{column: fare, op: sum, windows: []}]}\n" \
	    "'bad.yaml' line 6 column 94: an aggregation of feature view 'v' has no windows"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: fare_sum_1d, type: float}], aggregations: [{column: fare, op: sum, windows: [1d]}]}\n" \
	    "'bad.yaml' line 6 column 141: feature view 'v' defines 'fare_sum_1d' twice (first at line 6 column 64)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: f, type: int}], derived: [{name: f, expr: f * 2}]}\n" \
	    "'bad.yaml' line 6 column 97: feature view 'v' defines 'f' twice (first at line 6 column 64)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, ttl: 1d}\n" \
	    "'bad.yaml' line 6 column 5: feature view 'v' has no features (give features, aggregations or derived)"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: driver_id, type: int}]}\n" \
	    "'bad.yaml' line 6 column 57: feature view 'v': 'driver_id' is a join key of its entity 'driver', not a feature"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: f, type: int}]}\nfeature_services:\n  - {name: s, features: [\"v:g\", \"w\"]}\n" \
	    "'bad.yaml' line 8 column 26: feature service 's': no feature 'g' in feature view 'v'"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: rating, type: int}]}\nfeature_services:\n  - {name: s, features: [\"v:ratin\"]}\n" \
	    "'bad.yaml' line 8 column 26: feature service 's': no feature 'ratin' in feature view 'v' (did you mean 'rating'?)"
	spec_error "${H}  - {name: vv, entity: driver, source: trips, features: [{name: f, type: int}]}\nfeature_services:\n  - {name: s, features: [\"v:f\"]}\n" \
	    "'bad.yaml' line 8 column 26: feature service 's': no feature view 'v'"
	spec_error "${H}  - {name: v, entity: driver, source: trips, features: [{name: f, type: int}]}\nfeature_services:\n  - {name: s, features: [\"v::f\"]}\n" \
	    "'bad.yaml' line 8 column 26: feature service 's': 'v::f' is not a feature reference (VIEW:FEATURE, or VIEW for all its features)"
}

@test "derived features: types from their expressions; errors name the spec's place and the expression's column" {
	sed -i 's/derived: \[{name: rating_x2, expr: "rating \* 2"}\]/derived: [{name: good, expr: "rating > 4"}, {name: score, expr: "if(good, log1p(rating), 0.0)"}]/' features.yaml
	run mlp feature apply
	[ "$status" -eq 0 ]
	run mlp feature show driver_profile --json
	[ "$(pyj '[(o["name"], o["type"]) for o in j["outputs"]]' <<< "$output")" = "[('rating', 'float'), ('good', 'bool'), ('score', 'float')]" ]
	sed -i 's/expr: "rating > 4"/expr: "ratng > 4"/' features.yaml
	run mlp feature plan
	[ "$status" -eq 2 ]
	[[ "$output" == "mlp: feature plan: 'features.yaml' line 12 column 15: derived feature 'good' of feature view 'driver_profile': column 1: unknown feature 'ratng' (did you mean 'rating'?)" ]]
	sed -i 's/expr: "ratng > 4"/expr: "rating + '"'"'x'"'"'"/' features.yaml
	run mlp feature plan
	[ "$status" -eq 2 ]
	[[ "$output" == *"derived feature 'good' of feature view 'driver_profile': column 8: "* ]]
}

@test "spec errors across files, unreadable files and bad YAML" {
	printf 'entities:\n  - {name: d, join_keys: [k]}\n' > a.yaml
	printf '\nentities:\n  - {name: d, join_keys: [k]}\n' > b.yaml
	run mlp feature plan a.yaml b.yaml
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: feature plan: 'b.yaml' line 3 column 12: entity 'd' is defined twice (first at 'a.yaml' line 2 column 5)" ]
	# one file named twice is read once
	run mlp feature plan a.yaml ./a.yaml
	[ "$status" -eq 0 ]
	run mlp feature plan nope.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot read 'nope.yaml'"* ]]
	printf 'entities: [\n' > broken.yaml
	run mlp feature plan broken.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'broken.yaml' line 2: not valid YAML"* ]]
	printf 'entities:\n  - {name: d, join_keys: [k], description: "\xff"}\n' > latin1.yaml
	run mlp feature plan latin1.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"latin1.yaml' line"* ]]
	# a failed apply writes nothing
	run mlp feature apply features.yaml b.yaml a.yaml
	[ "$status" -eq 2 ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM feature_object')" -eq 0 ]
}

@test "--json: plan, apply, list and show" {
	run mlp feature plan --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'sorted(j)' <<< "$output")" = "['breaking', 'changes', 'create', 'delete', 'unchanged', 'update']" ]
	[ "$(pyj 'j["changes"][0]' <<< "$output")" = "{'action': 'create', 'kind': 'entity', 'name': 'driver', 'from_version': None, 'version': 1, 'fields': [], 'breaking': [], 'file': 'features.yaml', 'line': 2, 'column': 5}" ]
	run mlp feature apply --json
	[ "$(pyj '(j["create"], j["unchanged"])' <<< "$output")" = "(6, 0)" ]
	run mlp feature apply --json
	[ "$(pyj '(j["changes"], j["unchanged"])' <<< "$output")" = "([], 6)" ]
	run mlp feature list --json
	[ "$(pyj '[(o["kind"], o["name"]) for o in j]' <<< "$output")" = "[('entity', 'driver'), ('source', 'profiles'), ('source', 'trips'), ('view', 'driver_profile'), ('view', 'driver_trips'), ('service', 'eta')]" ]
	[ "$(pyj 'sorted(j[0])' <<< "$output")" = "['created', 'kind', 'name', 'spec', 'updated', 'updated_by', 'version']" ]
	[ "$(pyj 'j[0]["spec"]' <<< "$output")" = "{'name': 'driver', 'join_keys': ['driver_id'], 'types': ['int'], 'description': None}" ]
	[ "$(pyj 'j[1]["spec"]' <<< "$output")" = "{'name': 'profiles', 'path': 'data/profiles.csv', 'format': 'csv', 'timestamp': 'event_ts', 'created_timestamp': 'created_ts', 'timestamp_format': 'iso8601', 'description': None}" ]
	[ "$(pyj 'j[4]["spec"]' <<< "$output")" = "{'name': 'driver_trips', 'entity': 'driver', 'source': 'trips', 'ttl': '30d', 'features': [], 'aggregations': [{'column': 'fare', 'op': 'sum', 'windows': ['1d', '7d']}, {'column': 'fare', 'op': 'count', 'windows': ['7d']}], 'derived': [], 'description': None, 'tags': {}}" ]
	run mlp feature show driver_profile --json
	[ "$(pyj 'sorted(j)' <<< "$output")" = "['batches', 'deleted', 'history', 'kind', 'name', 'outputs', 'spec', 'version']" ]
	[ "$(pyj 'j["batches"]' <<< "$output")" = "[]" ]
	[ "$(pyj 'j["outputs"]' <<< "$output")" = "[{'name': 'rating', 'type': 'float', 'kind': 'feature', 'definition': None}, {'name': 'rating_x2', 'type': 'float', 'kind': 'derived', 'definition': 'rating * 2'}]" ]
	[ "$(pyj 'sorted(j["history"][0])' <<< "$output")" = "['action', 'changed', 'column', 'file', 'forced', 'line', 'timestamp', 'user', 'version']" ]
	[ "$(pyj '(j["history"][0]["user"], j["history"][0]["line"])' <<< "$output")" = "('tester', 7)" ]
}

@test "descriptions and tags are part of an object's definition" {
	mlp feature apply >/dev/null
	sed -i 's/    ttl: 7d/    ttl: 7d\n    description: "the driver'"'"'s profile"\n    tags: {team: eta, owner: ops}/' features.yaml
	run mlp feature plan
	[ "${lines[0]}" = "~ feature view driver_profile (description, tags)" ]
	mlp feature apply >/dev/null
	run mlp feature show driver_profile
	[[ "$output" == *"description: the driver's profile"* ]]
	[[ "$output" == *"tags:        owner=ops"* ]]
	[[ "$output" == *"             team=eta"* ]]
}
