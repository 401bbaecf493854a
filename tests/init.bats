#!/usr/bin/env bats
# mlp init

load helper

setup() {
	setup_home
}

@test "init creates .mlp with config, database, objects and tmp" {
	run mlp init proj
	[ "$status" -eq 0 ]
	[[ "$output" == *"Initialized empty mlp repository in $BATS_TEST_TMPDIR/proj/.mlp"* ]]
	[ -f proj/.mlp/config ]
	[ -f proj/.mlp/mlp.db ]
	[ -d proj/.mlp/objects ]
	[ -d proj/.mlp/tmp ]
	[ "$(sqlite3 proj/.mlp/mlp.db 'PRAGMA journal_mode')" = wal ]
	[ "$(sqlite3 proj/.mlp/mlp.db "SELECT name FROM experiment WHERE id = 0")" = Default ]
}

@test "init in the current directory" {
	mkdir here && cd here
	run mlp init
	[ "$status" -eq 0 ]
	[ -d .mlp ]
}

@test "init again is safe and says so" {
	mlp init proj
	(cd proj && mlp track start -n keep) >/dev/null
	run mlp init proj
	[ "$status" -eq 0 ]
	[[ "$output" == *"Reinitialized existing"* ]]
	cd proj
	run mlp track runs --csv
	[[ "$output" == *keep* ]]
}

@test "init restores a missing piece of .mlp" {
	mlp init proj
	rmdir proj/.mlp/tmp
	run mlp init proj
	[ "$status" -eq 0 ]
	[ -d proj/.mlp/tmp ]
}

@test "init --json" {
	run mlp init --json proj
	[ "$status" -eq 0 ]
	[[ "$output" == '{"path":"'*'/proj/.mlp","existed":false}' ]]
}

@test "init -q prints nothing" {
	run mlp -q init proj
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "init -h prints usage" {
	run mlp init -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: mlp init"* ]]
}

@test "init with too many arguments is a usage error" {
	run mlp init a b
	[ "$status" -eq 2 ]
	[[ "$output" == *"too many arguments"* ]]
}

@test "init where a file is in the way fails cleanly" {
	mkdir proj && touch proj/.mlp
	run mlp init proj
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot create"*".mlp"* ]]
}

@test "init refuses an unknown option" {
	run mlp init --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
}

@test "concurrent first runs of init do not race" {
	for i in 1 2 3 4 5 6; do mlp -q init proj & done
	wait
	cd proj
	[ "$(sqlite3 .mlp/mlp.db 'PRAGMA user_version')" -ge 1 ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM experiment')" -eq 1 ]
}

@test "init inside .mlp/ says it is already a repository and creates nothing" {
	mlp -q init proj
	for where in proj/.mlp proj/.mlp/objects proj/.mlp/new/dir; do
		run mlp -C "$BATS_TEST_TMPDIR" init "$where"
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == "mlp: init: '$where' is already inside the mlp repository '$BATS_TEST_TMPDIR/proj/.mlp'" ]]
		[[ "${lines[1]}" == "hint: "* ]]
	done
	cd proj/.mlp/objects
	run mlp init
	[ "$status" -eq 1 ]
	[[ "$output" == *"'.' is already inside the mlp repository '$BATS_TEST_TMPDIR/proj/.mlp'"* ]]
	cd "$BATS_TEST_TMPDIR"
	[ ! -e proj/.mlp/.mlp ] && [ ! -e proj/.mlp/objects/.mlp ] && [ ! -e proj/.mlp/new ]
	# a directory merely called .mlp elsewhere is no repository
	mkdir -p x/.mlp/y
	run mlp init x/.mlp/y
	[ "$status" -eq 0 ]
	[ -d x/.mlp/y/.mlp ]
}
