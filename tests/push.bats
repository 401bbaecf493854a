#!/usr/bin/env bats
# mlp push: model versions and their objects to a file:// remote

bats_require_minimum_version 1.5.0
load helper

setup() {
	setup_repo
	R="$BATS_TEST_TMPDIR/remote"
	mlp remote add origin "file://$R"
}

count_remote() {
	find "$R/objects" -type f | wc -l
}

@test "push sends a version with a tree, then its document and aliases" {
	mkdir -p d/sub && echo 1 > d/sub/a && echo 2 > d/b
	mlp -q register d -n fraud -a champion -t team=risk >/dev/null
	run mlp push --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"versions":1,"versions_skipped":0,"objects":3,"bytes":'$(( $(find .mlp/objects -type f -exec stat -c %s {} + | paste -sd+) ))',"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[]}' ]
	[ "$(count_remote)" -eq 3 ]
	[ -f "$R/models/fraud/1.json" ]
	grep -q '"object":"'"$(mlp register show models:/fraud/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')"'"' "$R/models/fraud/1.json"
	grep -q '"is_tree":true' "$R/models/fraud/1.json"
	grep -q '"tags":{"team":"risk"}' "$R/models/fraud/1.json"
	[ "$(cat "$R/models/fraud/aliases.json")" = '{"champion":1}' ]
	# nothing partial is left behind
	[ -z "$(ls "$R/tmp")" ]
}

@test "a second push transfers nothing" {
	echo a > a && mlp -q register a -n m >/dev/null
	mlp -q push
	run mlp push --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"versions":0,"versions_skipped":1,"objects":0,"bytes":0,"objects_skipped":0,"aliases":0,"aliases_removed":0,"conflicts":[]}' ]
	echo b > b && mlp -q register b -n m >/dev/null
	run mlp push --json
	[ "$output" = '{"versions":1,"versions_skipped":1,"objects":1,"bytes":2,"objects_skipped":0,"aliases":0,"aliases_removed":0,"conflicts":[]}' ]
}

@test "push by URI: one version, an alias, a whole model" {
	echo 1 > a && mlp -q register a -n m >/dev/null
	echo 2 > b && mlp -q register b -n m -a best >/dev/null
	echo 3 > c && mlp -q register c -n other >/dev/null
	run mlp push origin models:/m/1 --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":1,'* ]]
	[ -f "$R/models/m/1.json" ] && [ ! -f "$R/models/m/2.json" ]
	mlp -q push models:/m@best
	[ -f "$R/models/m/2.json" ] && [ ! -d "$R/models/other" ]
	mlp -q push origin models:/other
	[ -f "$R/models/other/1.json" ]
	run mlp push origin models:/nope/1
	[ "$status" -eq 1 ]
	run mlp push origin not-a-uri
	[ "$status" -eq 2 ]
}

@test "a conflicting version is left out; the rest is pushed; exit 1" {
	echo a > a && mlp -q register a -n churn >/dev/null
	echo b > b && mlp -q register b -n churn >/dev/null
	mlp -q push
	other="$BATS_TEST_TMPDIR/other"
	mkdir "$other" && cd "$other" && mlp -q init
	mlp remote add origin "file://$R"
	# churn/1 as on the remote, churn/2 different, churn/3 and m/1 new
	echo a > a && mlp -q register a -n churn >/dev/null
	echo different > x && mlp -q register x -n churn -a champion >/dev/null
	echo c > c && mlp -q register c -n churn -a canary >/dev/null
	echo m > m && mlp -q register m -n m >/dev/null
	run --separate-stderr mlp push --json
	[ "$status" -eq 1 ]
	here=$(printf 'different\n' | sha256sum | cut -d' ' -f1)
	there=$(printf 'b\n' | sha256sum | cut -d' ' -f1)
	[ "$output" = '{"versions":2,"versions_skipped":1,"objects":2,"bytes":4,"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[{"name":"churn","version":2,"here":"'$here'","there":"'$there'"}]}' ]
	[[ "$stderr" == *"conflict: churn/2 differs on both sides (here ${here:0:12}, on the remote ${there:0:12})"* ]]
	[[ "$stderr" == *"mlp: push: 1 version differs on both sides and was not transferred"* ]]
	[[ "$stderr" == *"hint: "*"mlp register models:/churn/2 -n churn"* ]]
	[ -f "$R/models/churn/3.json" ] && [ -f "$R/models/m/1.json" ]
	grep -q "\"object\":\"$there\"" "$R/models/churn/2.json"
	# the alias naming the conflicting version stays as the remote had it
	[ "$(cat "$R/models/churn/aliases.json")" = '{"canary":3}' ]
	[ ! -e "$R/objects/${here:0:2}/${here:2}" ]
	run mlp push
	[ "$status" -eq 1 ]
	[[ "$output" == *"pushed 0 versions (3 up to date), 0 objects (0 B; 0 already there), 0 aliases"* ]]
	# pushing what does not conflict alone succeeds
	run mlp push origin models:/churn/3
	[ "$status" -eq 0 ]
	[[ "$output" == "pushed 0 versions (1 up to date), 0 objects (0 B; 0 already there), 0 aliases" ]]
	echo d > d && mlp -q register d -n solo >/dev/null
	run mlp push origin models:/solo
	[[ "$output" == "pushed 1 version (0 up to date), 1 object (2 B; 0 already there), 0 aliases" ]]
}

@test "an interrupted push is resumed by the next one" {
	mkdir d
	for i in $(seq 1 300); do echo "$i" > "d/f$i"; done
	mlp -q register d -n big >/dev/null
	MLP_TEST_KILL_AFTER=100 run mlp push -j 4
	[ "$status" -eq 137 ]
	n=$(count_remote)
	[ "$n" -ge 100 ] && [ "$n" -lt 301 ]
	[ ! -e "$R/models/big/1.json" ]
	run mlp push --json
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"objects\":$((301 - n)),"*"\"objects_skipped\":$n,"* ]]
	[ "$(count_remote)" -eq 301 ]
	[ -f "$R/models/big/1.json" ]
	# a real kill -9 in the middle leaves no partial object either
	mlp -q register d -n big2 >/dev/null
	rm -rf "$R/objects"
	mlp push -j 1 & pid=$!
	sleep 0.2
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	mlp -q push
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":0,"bytes":0,"versions":[]}'* ]]
	for f in "$R"/objects/*/*; do
		[ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$(dirname "$f")")$(basename "$f")" ]
	done
}

@test "push with no remote configured" {
	mlp remote rm origin
	run mlp push
	[ "$status" -eq 1 ]
	[[ "$output" == *"no remotes are configured"* ]]
	run mlp push missing
	[ "$status" -eq 1 ]
	[[ "$output" == *"no remote named 'missing'"* ]]
}

@test "push --prune removes the remote aliases removed here; without it they stay" {
	echo 1 > a && mlp -q register a -n m -a champion -a canary >/dev/null
	mlp -q push
	mlp register alias rm m canary
	run mlp push --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"aliases_removed":0,"conflicts":[]}' ]]
	[ "$(cat "$R/models/m/aliases.json")" = '{"canary":1,"champion":1}' ]
	run mlp push --prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 1 alias from the remote"* ]]
	[ "$(cat "$R/models/m/aliases.json")" = '{"champion":1}' ]
	# an alias only the remote had goes as well (the file is read-only:
	# replaced, as root would overwrite it)
	rm -f "$R/models/m/aliases.json"
	echo '{"champion":1,"stray":1}' > "$R/models/m/aliases.json"
	run mlp push --prune --json
	[[ "$output" == *'"aliases_removed":1,"conflicts":[]}' ]]
	[ "$(cat "$R/models/m/aliases.json")" = '{"champion":1}' ]
}
