#!/usr/bin/env bats
# mlp register: list, show, alias, history, tag, stage, rm

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_repo
}

# Two versions of "fraud", the second from a run.
fixture() {
	run_id=$(mlp track start -n trainer)
	mlp track log "$run_id" -p depth=6 -m auc=0.93
	sqlite3 .mlp/mlp.db "
		INSERT INTO model (name, created, updated) VALUES ('fraud', 1, 1);
		INSERT INTO model_version (model, version, oid, is_tree, size, source, user, created, updated)
			VALUES (1, 1, '$(printf 'a%.0s' $(seq 64))', 1, 10, 'model/', 'ann', 1000, 1000);
		INSERT INTO model_version (model, version, oid, is_tree, size, source, run, run_uuid, code_commit, user, created, updated)
			VALUES (1, 2, '$(printf 'b%.0s' $(seq 64))', 0, 20, 'runs:/$run_id/model', 1, '$run_id', 'c0ffee', 'bob', 2000, 2000);"
}

@test "alias, show and history" {
	fixture
	run mlp register alias fraud champion 1
	[ "$status" -eq 0 ]
	[[ "$output" == *"models:/fraud@champion -> version 1"* ]]
	mlp register alias fraud champion 2
	run mlp register show models:/fraud@champion
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "models:/fraud/2" ]]
	[[ "$output" == *"aliases:     champion"* ]]
	[[ "$output" == *"run:       $run_id"* ]]
	[[ "$output" == *"code:      c0ffee"* ]]
	[[ "$output" == *"param      depth"*"6"* ]]
	[[ "$output" == *"metric     auc"*"0.93"* ]]
	run mlp register history fraud
	[[ "${lines[1]}" == *"champion"*"-"*"1"*"tester" ]]
	[[ "${lines[2]}" == *"champion"*"1"*"2"*"tester" ]]
	run mlp register history fraud champion --json
	[[ "$output" == '[{"alias":"champion","from_version":null,"to_version":1,"user":"tester",'* ]]
	# an alias never set is an error, as alias rm says; a removed one
	# keeps its history
	run mlp register history fraud nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"model 'fraud' has never had an alias 'nosuch'"* ]]
	run mlp register alias rm fraud nosuch
	[ "$status" -eq 1 ]
	run mlp register history nomodel
	[ "$status" -eq 1 ]
	mlp register alias rm fraud champion
	run mlp register history fraud champion
	[ "$status" -eq 0 ]
	[[ "${lines[3]}" == *"champion"*"2"*"(removed)"* ]]
}

@test "show --json uses MLflow's field names" {
	fixture
	run mlp register show models:/fraud/2 --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"name":"fraud","version":"2","source":"runs:/'* ]]
	[[ "$output" == *"\"run_id\":\"$run_id\""* ]]
	[[ "$output" == *'"current_stage":"None"'* ]]
	[[ "$output" == *'"status":"READY"'* ]]
	[[ "$output" == *'"run":{"run_id":'* ]]
}

@test "latest and stages resolve" {
	fixture
	run mlp register show models:/fraud/latest
	[[ "${lines[0]}" == "models:/fraud/2" ]]
	mlp register stage fraud 1 production
	run mlp register show models:/fraud/Production
	[[ "${lines[0]}" == "models:/fraud/1" ]]
	mlp register stage fraud 2 production --archive-existing
	run mlp register show models:/fraud/1 --json
	[[ "$output" == *'"current_stage":"Archived"'* ]]
	run mlp register stage fraud 2 live
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown stage 'live'"* ]]
}

@test "list and --filter" {
	fixture
	mlp register alias fraud champion 2
	run mlp register list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "fraud"*"2"*"2"*"champion=2"* ]]
	run mlp register list --filter fra --json
	[[ "$output" == '[{"name":"fraud",'*'"latest_version":2,"versions":2,'*'"aliases":{"champion":"2"}}]' ]]
	run mlp register list --filter zzz --json
	[ "$output" = "[]" ]
}

@test "tags on models and versions" {
	fixture
	mlp register tag models:/fraud/2 team=risk
	mlp register tag fraud owner=ann
	mlp register tag fraud area=payments
	run mlp register show models:/fraud/2 --json
	[[ "$output" == *'"tags":{"team":"risk"}'* ]]
	# the model's own tags, as MLflow returns them with the model
	[[ "$output" == *'"model_tags":{"area":"payments","owner":"ann"}'* ]]
	run mlp register show models:/fraud/2
	[[ "$output" == *"model tags"*"area"*"payments"*"owner"*"ann"* ]]
	run mlp register list --json
	[[ "$output" == *'"tags":{"area":"payments","owner":"ann"},"aliases":{}'* ]]
	run mlp register list
	[[ "${lines[0]}" == *"ALIASES"*"TAGS"*"UPDATED" ]]
	[[ "${lines[1]}" == "fraud"*"area=payments owner=ann"* ]]
	mlp register tag --delete fraud area
	run mlp register list --json
	[[ "$output" == *'"tags":{"owner":"ann"}'* ]]
	mlp register tag --delete models:/fraud/2 team
	run mlp register show models:/fraud/2 --json
	[[ "$output" == *'"tags":{}'* ]]
	run mlp register tag --delete models:/fraud/2 team
	[ "$status" -eq 1 ]
	run mlp register tag fraud novalue
	[ "$status" -eq 2 ]
}

@test "rm is soft and removes the version's aliases" {
	fixture
	mlp register alias fraud champion 2
	run mlp register rm models:/fraud/2
	[ "$status" -eq 0 ]
	run mlp register show models:/fraud@champion
	[ "$status" -eq 1 ]
	run mlp register show models:/fraud/2
	[[ "${lines[0]}" == "models:/fraud/2 (deleted)" ]]
	run mlp register show models:/fraud/latest
	[[ "${lines[0]}" == "models:/fraud/1" ]]
	run mlp register history fraud
	[[ "$output" == *"(removed)"* ]]
	run mlp register rm models:/fraud@champion
	[ "$status" -ne 0 ]
}

@test "bad input: invalid names, reserved aliases, missing versions" {
	fixture
	run mlp register alias fraud latest 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"alias 'latest' is reserved"* ]]
	run mlp register alias fraud v3 1
	[ "$status" -eq 2 ]
	run mlp register alias fraud 'bad alias' 1
	[ "$status" -eq 2 ]
	run mlp register alias fraud champion 9
	[ "$status" -eq 1 ]
	[[ "$output" == *"model 'fraud' has no version 9"* ]]
	run mlp register alias nope champion 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no model named 'nope'"* ]]
	run mlp register alias fraud champion x
	[ "$status" -eq 2 ]
	run mlp register show fraud
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not a models:/ URI"* ]]
	run mlp register show models:/fraud
	[ "$status" -eq 2 ]
	run mlp register show models:/fraud/7
	[ "$status" -eq 1 ]
	run mlp register alias rm fraud nosuch
	[ "$status" -eq 1 ]
	run mlp register history nope
	[ "$status" -eq 1 ]
}

@test "every verb has -h; usage errors exit 2" {
	for v in list show alias history tag stage rm; do
		run mlp register $v -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: mlp register $v"* ]]
	done
	run mlp register alias rm -h
	[[ "$output" == "usage: mlp register alias rm"* ]]
	run mlp register alias fraud
	[ "$status" -eq 2 ]
	run mlp register
	[ "$status" -eq 2 ]
}

@test "completion offers models, versions and aliases" {
	fixture
	mlp register alias fraud champion 2
	run mlp __complete register show models:/f
	[[ "$output" == *"models:/fraud/"* ]]
	run mlp __complete register show models:/fraud/
	[[ "$output" == *"models:/fraud/1"* && "$output" == *"models:/fraud/latest"* ]]
	run mlp __complete register show models:/fraud@
	[ "$output" = "models:/fraud@champion" ]
	run mlp __complete register alias ''
	[ "$output" = "fraud" ]
}

@test "register a directory, again, and a new version sharing files" {
	mkdir -p model/sub
	echo weights > model/w.bin
	echo config > model/sub/c.json
	run mlp -q register model -n fraud --alias champion --tag team=risk -d first
	[ "$status" -eq 0 ]
	[ "$output" = "models:/fraud/1" ]
	run mlp register model -n fraud --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"version":"2"'*'"bytes_written":0}' ]]
	echo more > model/sub/c.json
	mlp register model -n fraud >/dev/null
	run mlp register diff models:/fraud/1 models:/fraud/3
	[ "$status" -eq 0 ]
	[ "$output" = "M sub/c.json" ]
	echo new > model/extra
	rm model/w.bin
	mlp register model -n fraud >/dev/null
	run mlp register diff models:/fraud/3 models:/fraud/4 --json
	[ "$output" = '{"added":["extra"],"removed":["w.bin"],"changed":[]}' ]
	run mlp register show models:/fraud@champion --json
	[[ "$output" == *'"version":"1"'*'"description":"first"'* ]]
	[[ "$output" == *'"is_tree":true'* ]]
}

@test "register a single file and check it out" {
	printf 'abc' > model.bin
	run mlp register model.bin -n tiny
	[ "$status" -eq 0 ]
	run mlp register checkout models:/tiny/1 out
	[ "$status" -eq 0 ]
	[ "$(cat out)" = abc ]
}

@test "checkout writes the tree and refuses to overwrite without --force" {
	mkdir -p m/d && echo 1 > m/a && echo 2 > m/d/b && chmod +x m/d/b
	mlp register m -n net >/dev/null
	run mlp register checkout models:/net/latest co
	[ "$status" -eq 0 ]
	[ "$(cat co/a)" = 1 ] && [ "$(cat co/d/b)" = 2 ] && [ -x co/d/b ]
	run mlp register checkout models:/net/1 co
	[ "$status" -eq 1 ]
	[[ "$output" == *"co/a"* ]]
	run mlp register checkout --force models:/net/1 co
	[ "$status" -eq 0 ]
}

@test "a tampered object: checkout refuses it" {
	printf 'hello' > f.bin
	mlp register f.bin -n t >/dev/null
	oid=$(mlp register show models:/t/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	obj=.mlp/objects/${oid:0:2}/${oid:2}
	chmod u+w "$obj"
	printf 'HELLO' > "$obj"
	run mlp register checkout models:/t/1 out.bin
	[ "$status" -eq 1 ]
	[[ "$output" == *"$oid"* ]]
	[ ! -e out.bin ]
}

@test "register from runs:/ and copy between models with models:/" {
	id=$(mlp track start -n trainer)
	mlp track log "$id" -p depth=6 -m auc=0.9
	mkdir -p out/model && echo w > out/model/w && echo m > out/model/MLmodel
	mlp track artifact "$id" out/model
	run mlp track artifacts "$id"
	[[ "$output" == *"model"*"dir"* ]]
	run mlp register "runs:/${id:0:8}/model" -n fraud
	[ "$status" -eq 0 ]
	run mlp register show models:/fraud/1 --json
	[[ "$output" == *"\"run_id\":\"$id\""* ]]
	[[ "$output" == *'"run":{"run_id":'*'"params":{"depth":"6"}'* ]]
	# the source records the run's full id: a prefix may grow ambiguous
	[[ "$output" == *"\"source\":\"runs:/$id/model\""* ]]
	run mlp register show models:/fraud/1
	[[ "$output" == *"source:      runs:/$id/model"* ]]
	run mlp register "runs:/$id/model/w" -n weights
	[ "$status" -eq 0 ]
	run mlp register models:/fraud/1 -n fraud-prod --alias live
	[ "$status" -eq 0 ]
	run mlp register show models:/fraud-prod@live --json
	[[ "$output" == *"\"run_id\":\"$id\""* ]]
	a=$(mlp register show models:/fraud/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	b=$(mlp register show models:/fraud-prod/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	[ "$a" = "$b" ]
}

@test "register bad input writes nothing" {
	run mlp register nosuch -n m
	[ "$status" -eq 1 ]
	[[ "$output" == *"'nosuch' does not exist"* ]]
	echo x > f
	run mlp register f
	[ "$status" -eq 2 ]
	[[ "$output" == *"-n NAME"* ]]
	run mlp register f -n 'a/b'
	[ "$status" -eq 2 ]
	run mlp register f -n m --alias latest
	[ "$status" -eq 2 ]
	run mlp register runs:/ffffffff/model -n m
	[ "$status" -eq 1 ]
	id=$(mlp track start)
	run mlp register "runs:/$id/none" -n m
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no artifact 'none'"* ]]
	run mlp register models:/nope/1 -n m
	[ "$status" -eq 1 ]
	[ "$(find .mlp/objects -type f | wc -l)" -eq 0 ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM model')" -eq 0 ]
}

@test "kill -9 during a large register leaves the repository consistent" {
	mkdir big
	for i in $(seq 1 150); do head -c 400000 /dev/urandom > big/f$i; done
	head -c 40000000 /dev/urandom > big/large
	for i in $(seq 1 20); do
		mlp register big -n crash >/dev/null 2>&1 &
		pid=$!
		sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.3f", rand() * 0.25 }')"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# the next attempt has something new to write
		head -c 400000 /dev/urandom > "big/f$(( i % 150 + 1 ))"
	done
	run mlp fsck
	[ "$status" -eq 0 ]
	# every version that exists is whole
	for v in $(sqlite3 .mlp/mlp.db "SELECT version FROM model_version"); do
		rm -rf out
		mlp -q register checkout "models:/crash/$v" out
		[ "$(find out -type f | wc -l)" -eq 151 ]
	done
	run mlp gc --prune=now
	[ "$status" -eq 0 ]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "show lists the version's files with sizes" {
	mkdir -p m/sub && printf '12345' > m/a.bin && printf 'xy' > m/sub/b.txt
	mlp -q register m -n files >/dev/null
	run mlp register show models:/files/1
	[[ "$output" == *"files"*"5 B  a.bin"*"2 B  sub/b.txt"* ]]
	run mlp register show models:/files/1 --json
	[[ "$output" == *'"files":[{"path":"a.bin","size":5},{"path":"sub/b.txt","size":2}]'* ]]
	# a damaged store does not hide the record
	rm -rf .mlp/objects/*
	run mlp register show models:/files/1
	[ "$status" -eq 0 ]
	[[ "$output" == *"(cannot list: "* ]]
}

# utf8_refused FIELD ARGS...: mlp ARGS fails with one line naming FIELD as
# not valid UTF-8 (the bad byte escaped), and stores nothing.
utf8_refused() {
	local field=$1
	shift
	run "$MLP" "$@"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "mlp: "*"$field '"*"\\xff"*"' is not valid UTF-8 (byte "* ]]
	[ "$(sqlite3 .mlp/mlp.db "SELECT (SELECT count(*) FROM model) || ' ' || (SELECT count(*) FROM model_version) || ' ' || (SELECT count(*) FROM model_tag) || ' ' || (SELECT count(*) FROM model_version_tag) || ' ' || (SELECT count(*) FROM alias_event)")" = "1 1 0 0 0" ]
	[ "$(find .mlp/objects -type f | wc -l)" -eq 1 ]
}

@test "text that is not valid UTF-8 is refused where it enters, naming the field" {
	bad=$(printf 'a\377b')
	echo x > f
	mlp -q register f -n good >/dev/null
	utf8_refused "model name" register f -n "$bad"
	utf8_refused "alias" register f -n good -a "$bad"
	utf8_refused "tag name" register f -n good -t "$bad=1"
	utf8_refused "tag 'k' value" register f -n good -t "k=$bad"
	utf8_refused "description" register f -n good -d "$bad"
	echo y > "$bad"
	utf8_refused "source" register "$bad" -n good
	mkdir d && echo 1 > d/ok && echo 2 > "d/$bad"
	utf8_refused "the name" register d -n good
	utf8_refused "model name" register alias "$bad" champion 1
	utf8_refused "alias" register alias good "$bad" 1
	utf8_refused "alias" register alias rm good "$bad"
	utf8_refused "model name" register alias rm "$bad" champion
	utf8_refused "model name" register history "$bad"
	utf8_refused "alias" register history good "$bad"
	utf8_refused "model name" register tag "$bad" k=v
	utf8_refused "tag name" register tag good "$bad=v"
	utf8_refused "tag 'k' value" register tag good "k=$bad"
	utf8_refused "tag 'k' value" register tag models:/good/1 "k=$bad"
	utf8_refused "model name" register stage "$bad" 1 production
	utf8_refused "model name" register show "models:/$bad/1"
	utf8_refused "model name" register rm "models:/$bad/1"
	utf8_refused "model name" register checkout "models:/$bad/1" out
	utf8_refused "model name" register export "models:/$bad/1" -o x.tar.gz
	utf8_refused "source" register "models:/$bad/1" -n other
	utf8_refused "model name" register import x.tar.gz -n "$bad"
	utf8_refused "remote URL" remote add o "file:///tmp/$bad"
	mlp remote add origin "file://$BATS_TEST_TMPDIR/remote"
	utf8_refused "model name" push "models:/$bad/1"
	utf8_refused "model name" pull "models:/$bad/1"
	# the user recorded (MLP_USER or user.name) is text too
	MLP_USER=$bad utf8_refused "user" register f -n good
	MLP_USER=$bad utf8_refused "user" register alias good champion 1
	# valid UTF-8 beyond ASCII is welcome
	run mlp -q register f -n modèle -d "données d'entraînement" -t "note=über"
	[ "$status" -eq 0 ]
	[ "$output" = "models:/modèle/1" ]
	run mlp register show models:/modèle/1
	[[ "$output" == *"description: données d'entraînement"* ]]
}

@test "--json output of every register, remote and store command parses" {
	valid() {
		echo "$*: $output"
		[ "$status" -eq 0 ]
		python3 -c 'import json, sys; json.loads(sys.argv[1])' "$output"
	}
	mkdir -p model/sub && echo w > model/w.bin && echo é > "model/sub/é.txt"
	id=$(mlp track start -n trainer)
	mlp track log "$id" -p depth=6 -m auc=0.9
	mlp track artifact "$id" model >/dev/null
	run mlp --json register "runs:/$id/model" -n modèle -d "première" -t "team=risque" -a champion
	valid create
	mlp register tag modèle "owner=Zoë"
	echo 2 > two && mlp -q register two -n modèle -t "k=ü" >/dev/null
	mlp register alias modèle challenger 2
	for args in "register list" "register show models:/modèle/1" \
	    "register show models:/modèle@challenger" "register history modèle" \
	    "register history modèle champion" \
	    "register diff models:/modèle/1 models:/modèle/2" \
	    "fsck" "gc --dry-run" "remote list"; do
		run mlp --json $args
		valid "$args"
	done
	run mlp --json register export models:/modèle/1 -o "$BATS_TEST_TMPDIR/m.tar.gz"
	valid export
	run mlp --json register import "$BATS_TEST_TMPDIR/m.tar.gz" -n copié
	valid import
	mlp remote add origin "file://$BATS_TEST_TMPDIR/remote"
	for args in "push" "remote status" "pull"; do
		run mlp --json $args
		valid "$args"
	done
	mlp -C "$BATS_TEST_TMPDIR" -q init other
	cd "$BATS_TEST_TMPDIR/other"
	mlp remote add origin "file://$BATS_TEST_TMPDIR/remote"
	run mlp --json pull
	valid "pull into another"
	bytes=$(cd "$BATS_TEST_TMPDIR/repo" && mlp --json fsck | sed 's/.*"bytes":\([0-9]*\).*/\1/')
	[[ "$output" == *"\"objects\":4,\"bytes\":$bytes,"* ]]
	run mlp --json register show models:/modèle/1
	valid "show pulled"
	[[ "$output" == *'"description":"première"'* ]]
	# the one-file versions' and the commands' without data print nothing
	run --separate-stderr mlp --json register alias modèle champion 2
	[ "$status" -eq 0 ] && [ -z "$output" ]
}
