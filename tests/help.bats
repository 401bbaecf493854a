#!/usr/bin/env bats
# mlp help, -h, and the top-level dispatcher

load helper
bats_require_minimum_version 1.5.0

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

# check_help WORD...: `mlp WORD...` exits 0 and prints a usage line on
# stdout and nothing on stderr; says what failed otherwise.
check_help() {
	run --separate-stderr "$MLP" "$@"
	if [ "$status" -ne 0 ] || [[ ${lines[0]-} != "usage: mlp "* ]] ||
	    [ -n "$stderr" ]; then
		echo "in $PWD: mlp $*: status $status"
		echo "stdout: $output"
		echo "stderr: $stderr"
		return 1
	fi
}

@test "-h and --help of every command and verb, inside and outside a repository" {
	local t n=0

	mapfile -t all < <(mlp_targets)
	[ "${#all[@]}" -ge 40 ]
	[[ " ${all[*]} " == *" register alias rm "* ]]
	[[ " ${all[*]} " == *" track experiment create "* ]]
	setup_repo
	mkdir -p "$BATS_TEST_TMPDIR/out"
	for dir in "$BATS_TEST_TMPDIR/repo" "$BATS_TEST_TMPDIR/out"; do
		cd "$dir"
		for t in "${all[@]}"; do
			# shellcheck disable=SC2086 # a verb may be two words
			set -- $t
			check_help "$@" -h
			check_help "$@" --help
			# after a positional, and after a global option
			if [ $# -gt 1 ] || "$MLP" help "$1" | head -n 1 |
			    grep -qv ' VERB '; then
				check_help "$@" x -h
				check_help "$@" x --help
				check_help "$@" --json -h
			fi
			# the usage names the verb, not the command alone
			[[ ${lines[0]} == "usage: mlp $t"* ]] ||
			    { echo "mlp $t -h: ${lines[0]}"; return 1; }
			n=$((n + 1))
		done
	done
	# the walk really ran outside a repository
	run mlp track runs
	[ "$status" -eq 1 ]
	[[ $output == *"not an mlp repository"* ]]
	[ "$n" -ge 80 ]
}

@test "-h never runs the command: train logs and cancel with and without RUN" {
	setup_repo
	for args in "logs -h" "logs --help" "logs RUN -h" "logs -f -h" \
	    "cancel -h" "cancel RUN --help" "status -h"; do
		# shellcheck disable=SC2086
		check_help train $args
		[[ ${lines[0]} == "usage: mlp train ${args%% *}"* ]]
	done
	# -h after "--" is an argument, not a request for help
	run mlp track show -- -h
	[ "$status" -ne 0 ]
	[[ $output != *usage:* ]]
	# an option's value is not -h
	run mlp track start -n -h
	[ "$status" -eq 0 ]
	run mlp track runs -c run_name --csv
	[[ $output == *"-h"* ]]
}

@test "the default verb: its options' -h, and help says which verb it is" {
	cd "$BATS_TEST_TMPDIR"
	check_help train --algo linear -h
	[[ ${lines[0]} == "usage: mlp train run [options] [SPEC.yaml]" ]]
	check_help register -n fraud -h
	[[ ${lines[0]} == "usage: mlp register create [options] SOURCE" ]]
	run mlp help train
	[ "$status" -eq 0 ]
	[[ $output == *"or: mlp train [options] [SPEC.yaml]"* ]]
	[[ $output == *"'run' is the default verb"* ]]
	run mlp help register
	[[ $output == *"'create' is the default verb"* ]]
	run mlp help track
	[[ $output != *"default verb"* ]]
}

@test "help COMMAND VERB prints what COMMAND VERB -h prints, for every verb" {
	local t

	while read -r t; do
		# shellcheck disable=SC2086
		diff <("$MLP" help $t) <("$MLP" $t -h) ||
		    { echo "mlp help $t differs from mlp $t -h"; return 1; }
	done < <(mlp_targets | grep ' ')
}

@test "help of a two-word verb that shares its first word with a verb" {
	run mlp help register alias rm
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "usage: mlp register alias rm MODEL ALIAS" ]]
	run mlp help register alias
	[[ ${lines[0]} == "usage: mlp register alias MODEL ALIAS VERSION" ]]
}

@test "help of an unknown verb, or of too many words, is a usage error" {
	run mlp help track nosuch
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "mlp: help: 'track' has no verb 'nosuch'" ]]
	[[ $output != *usage:* ]]
	run mlp help init nosuch
	[ "$status" -eq 2 ]
	run mlp help track runs extra
	[ "$status" -eq 2 ]
	[[ $output == *"unexpected argument 'extra'"* ]]
	run mlp help track experiment nosuch
	[ "$status" -eq 2 ]
}

@test "an unknown verb is reported outside a repository too" {
	run mlp track rnus
	[ "$status" -eq 2 ]
	[[ $output == *"unknown verb 'rnus'"* ]]
}

@test "-C after the command says it goes before, with the command meant" {
	setup_repo
	run mlp track -C "$BATS_TEST_TMPDIR/repo" runs
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: track: -C goes before the command: mlp -C $BATS_TEST_TMPDIR/repo track runs" ]
	run mlp --json track runs -C 'a b' -n 1
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "mlp: track runs: -C goes before the command: mlp -C 'a b' --json track runs -n 1" ]
	run mlp train -d x.csv -Cdir
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == *"-C goes before the command: mlp -C dir train -d x.csv" ]]
	run mlp init -C dir
	[ "$status" -eq 2 ]
	[ ! -e dir ]
	# nothing ran: no run was started
	[ -z "$(mlp track runs -c run_id --csv | tail -n +2)" ]
}
