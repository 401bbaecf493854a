#!/usr/bin/env bats
# mlp remote: add, rm, list, status

load helper

setup() {
	setup_repo
	R="$BATS_TEST_TMPDIR/remote"
}

@test "remote add, list and rm" {
	run mlp remote list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	mlp remote add origin "file://$R"
	mlp remote add backup s3://bucket/prefix
	run mlp remote list
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "origin	file://$R" ]
	[ "${lines[1]}" = "backup	s3://bucket/prefix" ]
	run mlp remote list --json
	[ "$output" = "[{\"name\":\"origin\",\"url\":\"file://$R\"},{\"name\":\"backup\",\"url\":\"s3://bucket/prefix\"}]" ]
	[ "$(mlp config remote.origin.url)" = "file://$R" ]
	mlp config remote.backup.region eu-west-1
	mlp remote rm backup
	run mlp remote list
	[ "$output" = "origin	file://$R" ]
	run mlp config remote.backup.region
	[ "$status" -ne 0 ]
}

@test "remote add refuses an existing name, an unknown scheme and a bad URL" {
	mlp remote add origin "file://$R"
	run mlp remote add origin "file://$R/2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"remote 'origin' exists already"* ]]
	run mlp remote add other ftp://host/x
	[ "$status" -eq 2 ]
	[[ "$output" == *"known scheme"*"file://"*"s3://"* ]]
	run mlp remote add other file://relative/path
	[ "$status" -eq 2 ]
	[[ "$output" == *"absolute path"* ]]
	run mlp remote add other s3://B
	[ "$status" -eq 2 ]
	run mlp remote add 'bad name' "file://$R"
	[ "$status" -eq 2 ]
	run mlp remote add only-one-arg
	[ "$status" -eq 2 ]
}

@test "remote rm and status of a missing remote" {
	run mlp remote rm nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"no remote named 'nope'"* ]]
	run mlp remote status
	[ "$status" -eq 1 ]
	[[ "$output" == *"no remotes are configured"* ]]
	mlp remote add a "file://$R"
	run mlp remote status nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"no remote named 'nope'"* ]]
}

@test "several remotes and no origin: one must be named" {
	mlp remote add a "file://$R/a"
	mlp remote add b "file://$R/b"
	run mlp push
	[ "$status" -eq 2 ]
	[[ "$output" == *"2 remotes"*"name one"* ]]
	run mlp push a
	[ "$status" -eq 0 ]
}

@test "remote status: what each side lacks, before and after a push" {
	mkdir d && echo 1 > d/a && echo 2 > d/b
	mlp -q register d -n m >/dev/null
	mlp remote add origin "file://$R"
	run mlp remote status --json
	[ "$status" -eq 0 ]
	total=$(find .mlp/objects -type f -exec stat -c %s {} + | paste -sd+ | bc)
	[ "$output" = "{\"remote\":\"origin\",\"url\":\"file://$R\",\"only_here\":{\"objects\":3,\"bytes\":$total,\"versions\":[\"models:/m/1\"]},\"only_there\":{\"objects\":0,\"bytes\":0,\"versions\":[]}}" ]
	run mlp remote status
	[[ "$output" == *"only here:  3 objects"*"models:/m/1"* ]]
	mlp -q push
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":0,"bytes":0,"versions":[]},"only_there":{"objects":0,"bytes":0,"versions":[]}'* ]]
	echo 3 > c && mlp -q register c -n other >/dev/null
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":1,"bytes":2,"versions":["models:/other/1"]}'* ]]
}
