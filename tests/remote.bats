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
	mlp remote add origin "file://$R"
	# a push of nothing makes the remote
	mlp -q push
	mkdir d && echo 1 > d/a && echo 2 > d/b
	mlp -q register d -n m >/dev/null
	run mlp remote status --json
	[ "$status" -eq 0 ]
	total=$(( $(find .mlp/objects -type f -exec stat -c %s {} + | paste -sd+) ))
	[ "$output" = "{\"remote\":\"origin\",\"url\":\"file://$R\",\"only_here\":{\"objects\":3,\"bytes\":$total,\"versions\":[\"models:/m/1\"]},\"only_there\":{\"objects\":0,\"bytes\":0,\"versions\":[]}}" ]
	run mlp remote status
	[[ "$output" == *"only here:  3 objects"*"models:/m/1"* ]]
	mlp -q push
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":0,"bytes":0,"versions":[]},"only_there":{"objects":0,"bytes":0,"versions":[]}'* ]]
	echo 3 > c && mlp -q register c -n other >/dev/null
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":1,"bytes":2,"versions":["models:/other/1"]}'* ]]
	run mlp remote status
	[ "${lines[1]}" = "only here:  1 object (2 B), 1 version" ]
	[ "${lines[3]}" = "only there: 0 objects (0 B), 0 versions" ]
}

@test "a file:// path that is not a remote is refused; only the first push creates one" {
	mlp remote add typo "file://$R/typo"
	for cmd in "remote status typo" "pull typo" "pull typo models:/m/1"; do
		run mlp $cmd
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == *"'file://$R/typo' is not an mlp remote: '$R/typo' does not exist" ]]
		[[ "${lines[1]}" == "hint: "*"first 'mlp push'"* ]]
	done
	[ ! -e "$R/typo" ]
	# a directory holding something else is nobody's remote, not even
	# for a push
	mkdir -p "$R/docs" && echo hello > "$R/docs/readme"
	mlp remote add docs "file://$R/docs"
	for cmd in "remote status docs" "pull docs" "push docs"; do
		run mlp $cmd
		[ "$status" -eq 1 ]
		[[ "$output" == *"'file://$R/docs' is not an mlp remote: '$R/docs' holds neither objects/ nor models/"* ]]
	done
	[ "$(ls "$R/docs")" = readme ]
	echo x > "$R/file"
	mlp remote add file "file://$R/file"
	run mlp push file
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a directory"* ]]
	# an empty directory is made a remote by a push, and is one after
	mkdir "$R/empty"
	mlp remote add empty "file://$R/empty"
	run mlp pull empty
	[ "$status" -eq 1 ]
	[[ "$output" == *"'$R/empty' is an empty directory"* ]]
	echo 1 > a && mlp -q register a -n m >/dev/null
	run mlp push empty
	[ "$status" -eq 0 ]
	run mlp push typo
	[ "$status" -eq 0 ]
	[ -f "$R/typo/models/m/1.json" ]
	run mlp remote status typo --json
	[ "$status" -eq 0 ]
	run mlp pull typo
	[ "$status" -eq 0 ]
}

@test "remote add refuses a URL with a control character or invalid UTF-8" {
	run mlp remote add nl "$(printf 'file:///tmp/a\nb')"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"remote URL 'file:///tmp/a\x0a...' holds a control character"* ]]
	run mlp remote add tab "$(printf 'file:///tmp/a\tb')"
	[ "$status" -eq 2 ]
	run mlp remote add bad "$(printf 'file:///tmp/a\377b')"
	[ "$status" -eq 2 ]
	[[ "$output" == *"remote URL 'file:///tmp/a\xff' is not valid UTF-8"* ]]
	run mlp remote list
	[ -z "$output" ]
	# one set behind mlp's back is refused when used
	printf '[remote "nl"]\n\turl = "file:///tmp/a\\tb"\n' >> .mlp/config
	run mlp pull nl
	[ "$status" -eq 2 ]
	[[ "$output" == *"holds a control character"* ]]
	# UTF-8 in a path is fine
	run mlp remote add u "file://$R/modèles"
	[ "$status" -eq 0 ]
	run mlp remote list --json
	python3 -c 'import json,sys; json.loads(sys.argv[1])' "$output"
}
