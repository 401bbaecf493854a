#!/usr/bin/env bats
# mlp pull: model versions from a file:// remote into another repository

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_repo
	R="$BATS_TEST_TMPDIR/remote"
	mlp remote add origin "file://$R"
	mkdir -p d/sub && echo 1 > d/sub/a && echo 2 > d/b
	mlp -q register d -n fraud -t team=risk >/dev/null
	echo 3 > c && mlp -q register c -n fraud -a champion >/dev/null
	mlp -q push
	B="$BATS_TEST_TMPDIR/b"
	mkdir "$B" && cd "$B" && mlp -q init
	mlp remote add origin "file://$R"
}

@test "pull by alias gives that version, its number and its alias" {
	run mlp pull origin models:/fraud@champion --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"versions":1,"versions_skipped":0,"objects":1,"bytes":2,"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[]}' ]
	run mlp register show models:/fraud@champion --json
	[[ "$output" == *'"version":"2"'* ]]
	run mlp register history fraud --json
	[[ "$output" == *'"alias":"champion"'*'"user":"tester"'* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "pull of a version with a tree, then everything" {
	run mlp pull origin models:/fraud/1 --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":1,'*'"objects":3,'* ]]
	mlp register checkout models:/fraud/1 out
	[ "$(cat out/sub/a)" = 1 ] && [ "$(cat out/b)" = 2 ]
	run mlp register show models:/fraud/1 --json
	[[ "$output" == *'"team":"risk"'* ]]
	run mlp pull --json
	[ "$output" = '{"versions":1,"versions_skipped":1,"objects":1,"bytes":2,"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[]}' ]
	run mlp pull --json
	[ "$output" = '{"versions":0,"versions_skipped":2,"objects":0,"bytes":0,"objects_skipped":0,"aliases":0,"aliases_removed":0,"conflicts":[]}' ]
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":0,"bytes":0,"versions":[]},"only_there":{"objects":0,"bytes":0,"versions":[]}'* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
	# a new local version continues after the pulled numbers
	echo new > n && run mlp register n -n fraud
	[[ "$output" == *"models:/fraud/3"* ]]
}

@test "a tampered object on the remote is refused, nothing registered" {
	oid=$(printf '3\n' | sha256sum | cut -d' ' -f1)
	f="$R/objects/${oid:0:2}/${oid:2}"
	chmod u+w "$f" && echo evil > "$f"
	run mlp pull origin models:/fraud@champion
	[ "$status" -eq 1 ]
	[[ "$output" == *"object $oid on the remote is damaged"* ]]
	# the hint names the remote: fsck here would find nothing
	[[ "${lines[1]}" == "hint: the damage is on remote 'origin' (file://$R), not in this repository"* ]]
	[[ "$output" != *"mlp fsck"* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
	run mlp register list --json
	[ "$output" = "[]" ]
	[ -z "$(find .mlp/objects -type f)" ]
	[ -z "$(ls .mlp/tmp)" ]
}

@test "a remote document over 64 MiB is refused before it fills memory" {
	f="$R/models/fraud/1.json"
	chmod u+w "$f" "$R/models/fraud" 2>/dev/null || true
	head -c 70000000 /dev/zero > "$f"
	run mlp pull origin models:/fraud/1
	[ "$status" -ne 0 ]
	[[ "$output" == *"1.json' is larger than 64 MiB: not a remote's document"* ]]
	run mlp register list --json
	[ "$output" = "[]" ]
}

@test "a conflicting version is left out; the rest is pulled; exit 1" {
	echo other > o && mlp -q register o -n fraud >/dev/null
	run --separate-stderr mlp pull --json
	[ "$status" -eq 1 ]
	here=$(printf 'other\n' | sha256sum | cut -d' ' -f1)
	there=$(cd "$BATS_TEST_TMPDIR/repo" && mlp register show models:/fraud/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	[ "$output" = '{"versions":1,"versions_skipped":0,"objects":1,"bytes":2,"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[{"name":"fraud","version":1,"here":"'$here'","there":"'$there'"}]}' ]
	[[ "$stderr" == *"conflict: fraud/1 differs on both sides (here ${here:0:12}, on the remote ${there:0:12})"* ]]
	[[ "$stderr" == *"mlp: pull: 1 version differs on both sides and was not transferred"* ]]
	[[ "$stderr" == *"hint: "* ]]
	# version 2 and its alias came; version 1 is still ours
	run mlp register show models:/fraud@champion --json
	[[ "$output" == *'"version":"2"'* ]]
	run mlp register show models:/fraud/1 --json
	[[ "$output" == *"\"object\":\"$here\""* ]]
	# the tree of the remote's version 1 was not fetched
	[ "$(find .mlp/objects -type f | wc -l)" -eq 2 ]
	run mlp pull origin models:/fraud/2
	[ "$status" -eq 0 ]
	[[ "$output" == "pulled 0 versions (1 up to date), 0 objects (0 B; 0 already there), 0 aliases" ]]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "pull of what the remote lacks" {
	run mlp pull origin models:/fraud/9
	[ "$status" -eq 1 ]
	[[ "$output" == *"the remote has no version 9 of 'fraud'"* ]]
	run mlp pull origin models:/fraud@nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"no alias 'nope'"* ]]
	run mlp pull origin models:/fraud/Production
	[ "$status" -eq 2 ]
}

@test "pull --prune removes the local aliases the remote no longer has" {
	mlp -q pull
	mlp register alias fraud staging 1
	run mlp pull --json
	[[ "$output" == *'"aliases_removed":0,"conflicts":[]}' ]]
	run mlp register show models:/fraud@staging
	[ "$status" -eq 0 ]
	run mlp pull --prune --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"aliases_removed":1,"conflicts":[]}' ]]
	run mlp register show models:/fraud@staging
	[ "$status" -ne 0 ]
	run mlp register show models:/fraud@champion
	[ "$status" -eq 0 ]
	# the removal is in the history, by the user pulling
	run mlp register history fraud staging --json
	[[ "$output" == *'"to":null'* || "$output" == *'"to_version":null'* ]]
}

@test "a remote document with text that is not valid UTF-8 is refused, naming it and the field" {
	f="$R/models/fraud/1.json"
	cp "$f" "$BATS_TEST_TMPDIR/doc"
	spoil() {
		chmod u+w "$f" 2>/dev/null || true
		sed "$1" "$BATS_TEST_TMPDIR/doc" > "$f"
	}
	spoil 's/"description":""/"description":"d\xffx"/'
	run mlp pull
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: pull: 'models/fraud/1.json' on the remote: description 'd\\xff' is not valid UTF-8 (byte 2)" ]]
	[[ "${lines[1]}" == "hint: the damage is on remote 'origin'"* ]]
	spoil 's/"team":"risk"/"team":"r\xc3"/'
	run mlp pull origin models:/fraud/1
	[ "$status" -eq 1 ]
	[[ "$output" == *"'models/fraud/1.json' on the remote: tag 'team' value 'r\\xc3' is not valid UTF-8"* ]]
	spoil 's/"source":"d"/"source":"\xff"/'
	run mlp pull
	[[ "$output" == *"on the remote: source '\\xff' is not valid UTF-8"* ]]
	spoil 's/"user":"tester"/"user":7/'
	run mlp pull
	[ "$status" -eq 1 ]
	[[ "$output" == *"on the remote: \"user\" is not a string"* ]]
	# nothing was fetched or registered
	run mlp register list --json
	[ "$output" = "[]" ]
	[ -z "$(find .mlp/objects -type f)" ]
	# a model whose name in the key is not UTF-8 is no version of ours
	cp "$BATS_TEST_TMPDIR/doc" "$f"
	mkdir "$R/models/%FF" && cp "$f" "$R/models/%FF/1.json"
	run mlp remote status --json
	[ "$status" -eq 0 ]
	python3 -c 'import json, sys; json.loads(sys.argv[1])' "$output"
	[[ "$output" == *'"versions":["models:/fraud/1","models:/fraud/2"]'* ]]
	run mlp pull --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":2,'* ]]
}
