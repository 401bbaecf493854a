#!/usr/bin/env bats
# mlp help, -h, and the top-level dispatcher

load helper

setup() {
	setup_home
}

@test "help lists every command" {
	run mlp help
	[ "$status" -eq 0 ]
	for c in init config train track register predict fsck gc remote push pull help version; do
		[[ "$output" == *"  $c "* ]]
	done
}

@test "mlp -h and --help print the same list" {
	run mlp -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"commands:"* ]]
	run mlp --help
	[[ "$output" == *"commands:"* ]]
}

@test "mlp with no command prints usage and exits 2" {
	run mlp
	[ "$status" -eq 2 ]
	[[ "$output" == "usage: mlp"* ]]
}

@test "help COMMAND prints the command's usage when no man page is shown" {
	run mlp help track
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: mlp track VERB"* ]]
	[[ "$output" == *"runs"* ]]
	run mlp help init
	[[ "$output" == "usage: mlp init"* ]]
}

@test "help COMMAND VERB prints the verb's usage" {
	run mlp help track runs
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: mlp track runs"* ]]
	[[ "$output" == *"--filter"* ]]
	run mlp help track experiment create
	[[ "$output" == "usage: mlp track experiment create"* ]]
}

@test "help of an unknown command is an error" {
	run mlp help nosuch
	[ "$status" -eq 2 ]
	[[ "$output" == *"no command 'nosuch'"* ]]
}

@test "an unknown command suggests the closest" {
	run mlp trak
	[ "$status" -eq 2 ]
	[[ "$output" == *"'trak' is not an mlp command"* ]]
	[[ "$output" == *"track"* ]]
}

@test "an unknown verb suggests the closest" {
	setup_repo
	run mlp track rnus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown verb 'rnus'"* ]]
	[[ "$output" == *"runs"* ]]
}

@test "a name that is not built in runs mlp-NAME from PATH with its status" {
	mkdir -p bin
	printf '#!/bin/sh\necho "ext: $*"\nexit 7\n' > bin/mlp-hello
	chmod +x bin/mlp-hello
	PATH="$PWD/bin:$PATH" run mlp hello a "b c"
	[ "$status" -eq 7 ]
	[ "$output" = "ext: a b c" ]
}

@test "an unknown global option is a usage error" {
	run mlp --bogus track
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
}

@test "-C changes directory first, as git" {
	mkdir -p proj
	mlp -C proj init
	[ -d proj/.mlp ]
	run mlp -C proj track experiments
	[ "$status" -eq 0 ]
	run mlp -C nowhere track experiments
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot change to 'nowhere'"* ]]
}

@test "a command outside a repository says so with a hint" {
	mkdir -p empty && cd empty
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: track: not an mlp repository (or any parent): $BATS_TEST_TMPDIR/empty" ]]
	[[ "${lines[1]}" == "hint: run 'mlp init'"* ]]
}

@test "the repository is found from a subdirectory" {
	setup_repo
	mkdir -p a/b/c && cd a/b/c
	run mlp track experiments
	[ "$status" -eq 0 ]
	[[ "$output" == *Default* ]]
}

@test "MLP_DIR names the .mlp directory" {
	setup_repo
	cd "$BATS_TEST_TMPDIR"
	MLP_DIR="$BATS_TEST_TMPDIR/repo/.mlp" run mlp track experiments
	[ "$status" -eq 0 ]
	MLP_DIR="$BATS_TEST_TMPDIR/nope" run mlp track experiments
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
}

@test "a corrupt database gives one line and no crash" {
	setup_repo
	head -c 8192 /dev/urandom > .mlp/mlp.db
	rm -f .mlp/mlp.db-wal .mlp/mlp.db-shm
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: track: "*"mlp.db"* ]]
	[[ "${lines[1]}" == "hint: "* ]]
}

@test "a SQLite database that is not ours is refused" {
	setup_repo
	rm -f .mlp/mlp.db*
	sqlite3 .mlp/mlp.db 'CREATE TABLE other (x)'
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a SQLite database, but not mlp's"* ]]
}

@test "an empty database file is refused, not silently re-created" {
	setup_repo
	rm -f .mlp/mlp.db*
	: > .mlp/mlp.db
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp database"* ]]
}

@test "a missing database is reported" {
	setup_repo
	rm -f .mlp/mlp.db*
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "$output" == *"mlp.db' is missing"* ]]
}

@test "a database from a newer mlp is refused" {
	setup_repo
	sqlite3 .mlp/mlp.db 'PRAGMA user_version = 999'
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ "$output" == *"upgrade mlp"* ]]
}

@test "a write error on stdout is reported" {
	[ -e /dev/full ] || skip "no /dev/full"
	run sh -c "'$MLP' help > /dev/full"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot write output"* ]]
}
