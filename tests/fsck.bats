#!/usr/bin/env bats
# mlp fsck

load helper

setup() {
	setup_repo
	mkdir -p model/sub
	echo weights > model/w.bin
	echo config > model/sub/c.json
	mlp -q register model -n fraud >/dev/null
}

object_of() {
	mlp register show "$1" --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/'
}

object_file() {
	echo ".mlp/objects/${1:0:2}/${1:2}"
}

@test "a healthy repository passes" {
	id=$(mlp track start)
	echo n > notes && mlp track artifact "$id" notes
	run mlp fsck
	[ "$status" -eq 0 ]
	[[ "$output" == *"checked 4 objects"*"from 2 references: 0 problems"* ]]
	run mlp fsck --json
	[[ "$output" == '{"references":2,"objects":4,"bytes":'*',"problems":[]}' ]]
}

@test "a tampered file object is reported and checkout refuses it" {
	oid=$(printf 'weights\n' | sha256sum | cut -d' ' -f1)
	f=$(object_file "$oid")
	chmod u+w "$f" && printf 'WEIGHTS\n' > "$f"
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"object $oid is corrupt"*"needed by models:/fraud/1 (w.bin)"* ]]
	run mlp register checkout models:/fraud/1 out
	[ "$status" -eq 1 ]
	[[ "$output" == *"$oid"* ]]
	[ ! -e out/w.bin ]
}

@test "a missing object and a damaged manifest are reported" {
	oid=$(printf 'config\n' | sha256sum | cut -d' ' -f1)
	rm -f "$(object_file "$oid")"
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing object $oid, needed by models:/fraud/1 (sub/c.json)"* ]]
	tree=$(object_of models:/fraud/1)
	f=$(object_file "$tree")
	chmod u+w "$f" && echo garbage >> "$f"
	run mlp fsck --json
	[ "$status" -eq 1 ]
	[[ "$output" == *"models:/fraud/1: object $tree is corrupt"* ]]
}

@test "--full also re-hashes unreferenced objects" {
	echo stray > stray
	id=$(mlp track start)
	mlp track artifact "$id" stray
	mlp track rm "$id" && mlp track gc
	oid=$(printf 'stray\n' | sha256sum | cut -d' ' -f1)
	chmod u+w "$(object_file "$oid")" && echo x >> "$(object_file "$oid")"
	run mlp fsck
	[ "$status" -eq 0 ]
	run mlp fsck --full --json
	[ "$status" -eq 1 ]
	[[ "$output" == *'"unreachable":1'* ]]
	[[ "$output" == *"object $oid is corrupt"* ]]
}

@test "database problems are reported" {
	sqlite3 .mlp/mlp.db "PRAGMA foreign_keys = OFF; INSERT INTO artifact VALUES (999, 'x', 'aa', 0, 1, 1);
		UPDATE model_version SET oid = 'aa'"
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"database: row"*"artifact refers to a missing run"* ]]
	[[ "$output" == *"invalid object id 'aa'"* ]]
}

@test "fsck usage" {
	run mlp fsck -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: mlp fsck"* ]]
	run mlp fsck extra
	[ "$status" -eq 2 ]
	cd "$BATS_TEST_TMPDIR" && mkdir -p none && cd none
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
}

@test "one of a kind is singular: 1 object, 1 reference, 1 problem" {
	mlp -C "$BATS_TEST_TMPDIR" -q init one
	cd "$BATS_TEST_TMPDIR/one"
	echo w > w && mlp -q register w -n solo >/dev/null
	run mlp fsck
	[ "$status" -eq 0 ]
	[[ "$output" == "checked 1 object (2 B) reached from 1 reference: 0 problems" ]]
	oid=$(printf 'w\n' | sha256sum | cut -d' ' -f1)
	f=$(object_file "$oid")
	chmod u+w "$f" && printf 'x' > "$f"
	run mlp fsck
	[ "$status" -eq 1 ]
	[[ "$output" == *"object $oid has 1 byte, models:/solo/1 expects 2"* ]]
	[[ "$output" == *"from 1 reference: 1 problem"* && "$output" != *"1 problems"* ]]
}
