#!/usr/bin/env bats
# mlp register: list, show, alias, history, tag, stage, rm

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
