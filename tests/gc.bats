#!/usr/bin/env bats
# mlp gc

load helper

setup() {
	setup_repo
}

count_objects() {
	find .mlp/objects -type f | wc -l
}

@test "gc keeps what is referenced and young objects, removes the rest" {
	echo keep > keep && mlp -q register keep -n m >/dev/null
	id=$(mlp track start)
	echo a > a && echo b > b
	mlp track artifact "$id" a b
	[ "$(count_objects)" -eq 3 ]
	mlp track rm "$id" && mlp track gc
	run mlp gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 0 objects"*"kept 2 unreferenced"* ]]
	run mlp gc --prune=now --dry-run --json
	[ "$output" = '{"dry_run":true,"objects":2,"bytes":4,"kept_young":0,"tmp_files":0}' ]
	[ "$(count_objects)" -eq 3 ]
	run mlp gc --prune=now -v
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(printf 'a\n' | sha256sum | cut -d' ' -f1)"* ]]
	[ "$(count_objects)" -eq 1 ]
	run mlp fsck
	[ "$status" -eq 0 ]
	run mlp register checkout models:/m/1 out
	[ "$status" -eq 0 ]
}

@test "gc keeps tree entries and deleted versions' objects" {
	mkdir -p d && echo 1 > d/x && echo 2 > d/y
	mlp -q register d -n m >/dev/null
	mlp register rm models:/m/1
	mlp gc --prune=now
	[ "$(count_objects)" -eq 3 ]
	run mlp register checkout models:/m/1 out
	[ "$status" -eq 0 ]
}

@test "an old object reused by a new version is freshened, not collected" {
	echo w > w
	mlp -q register w -n m >/dev/null
	mlp register rm models:/m/1
	sqlite3 .mlp/mlp.db "DELETE FROM model_version"
	oid=$(printf 'w\n' | sha256sum | cut -d' ' -f1)
	touch -d '30 days ago' ".mlp/objects/${oid:0:2}/${oid:2}"
	mlp -q register w -n m2 >/dev/null
	mlp gc
	[ -f ".mlp/objects/${oid:0:2}/${oid:2}" ]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "gc removes old debris from tmp/" {
	touch -d '30 days ago' .mlp/tmp/put-1-1-abc
	touch .mlp/tmp/put-2-1-def
	run mlp gc --json
	[[ "$output" == *'"tmp_files":1'* ]]
	[ ! -e .mlp/tmp/put-1-1-abc ]
	[ -e .mlp/tmp/put-2-1-def ]
}

@test "a damaged tree stops gc before anything is removed" {
	mkdir -p d && echo 1 > d/x
	mlp -q register d -n m >/dev/null
	echo old > old && id=$(mlp track start) && mlp track artifact "$id" old
	mlp track rm "$id" && mlp track gc
	tree=$(mlp register show models:/m/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	f=.mlp/objects/${tree:0:2}/${tree:2}
	chmod u+w "$f" && echo junk >> "$f"
	n=$(count_objects)
	run mlp gc --prune=now
	[ "$status" -eq 1 ]
	[[ "$output" == *"gc stops rather than guess"* ]]
	[ "$(count_objects)" -eq "$n" ]
}

@test "gc usage" {
	run mlp gc --prune=soon
	[ "$status" -eq 2 ]
	[[ "$output" == *"--prune 'soon'"* ]]
	run mlp gc extra
	[ "$status" -eq 2 ]
	run mlp gc -h
	[ "$status" -eq 0 ]
	for age in now 2.weeks.ago 3.days 14d 12h 90m 45s; do
		run mlp gc --dry-run --prune=$age
		[ "$status" -eq 0 ]
	done
}

@test "one of a kind is singular: 1 object, 1 temporary file" {
	id=$(mlp track start)
	echo a > a && mlp track artifact "$id" a
	echo b > b && mlp -q register b -n m >/dev/null
	mlp track rm "$id" && mlp track gc
	touch -d '30 days ago' .mlp/tmp/put-1-1-abc
	run mlp gc --dry-run
	[[ "$output" == "would remove 0 objects (0 B) and 1 temporary file; kept 1 unreferenced object younger than the grace period" ]]
	run mlp gc --prune=now
	[[ "$output" == "removed 1 object (2 B) and 1 temporary file; kept 0 unreferenced objects younger than the grace period" ]]
}
