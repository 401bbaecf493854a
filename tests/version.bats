#!/usr/bin/env bats
# mlp version and --version

load helper

setup() {
	setup_home
}

@test "--version prints the version as git does" {
	run mlp --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^mlp\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "version prints the same" {
	run mlp version
	[ "$status" -eq 0 ]
	[ "$output" = "$(mlp --version)" ]
}

@test "version --json" {
	run mlp version --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"version":"'*'","schema":'*',"sqlite":"'*'"}' ]]
}

@test "version -v adds the schema and SQLite versions" {
	run mlp version -v
	[[ "${lines[1]}" == "schema "*", sqlite "* ]]
}

@test "version rejects arguments" {
	run mlp version extra
	[ "$status" -eq 2 ]
}
