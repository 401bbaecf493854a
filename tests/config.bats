#!/usr/bin/env bats
# mlp config

load helper

setup() {
	setup_repo
}

@test "config sets and gets a repository value" {
	run mlp config store.link copy
	[ "$status" -eq 0 ]
	run mlp config store.link
	[ "$status" -eq 0 ]
	[ "$output" = copy ]
	run mlp config --get store.link
	[ "$output" = copy ]
	grep -q 'link = copy' .mlp/config
}

@test "config --get of an unset key exits 1 silently, as git" {
	run mlp config --get no.such
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "config --global writes ~/.config/mlp/config, creating the directory" {
	[ ! -d "$HOME/.config" ]
	run mlp config --global user.name Ada
	[ "$status" -eq 0 ]
	grep -q 'name = Ada' "$HOME/.config/mlp/config"
	run mlp config user.name
	[ "$output" = Ada ]
}

@test "config honours XDG_CONFIG_HOME" {
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/xdg"
	mlp config --global a.b c
	[ -f "$XDG_CONFIG_HOME/mlp/config" ]
}

@test "the repository level overrides the global one" {
	mlp config --global core.editor vi
	mlp config core.editor nano
	run mlp config core.editor
	[ "$output" = nano ]
	run mlp config --global --get core.editor
	[ "$output" = vi ]
}

@test "config --list shows both levels, --json as an array" {
	mlp config --global user.name Ada
	mlp config remote.origin.url file:///tmp/x
	run mlp config --list
	[ "$status" -eq 0 ]
	[[ "$output" == *"user.name=Ada"* ]]
	[[ "$output" == *"remote.origin.url=file:///tmp/x"* ]]
	run mlp config --list --json
	[[ "$output" == *'{"key":"remote.origin.url","value":"file:///tmp/x"}'* ]]
}

@test "config --unset removes a key" {
	mlp config a.b c
	run mlp config --unset a.b
	[ "$status" -eq 0 ]
	run mlp config --get a.b
	[ "$status" -eq 1 ]
}

@test "config --unset of a missing key fails" {
	run mlp config --unset a.nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"'a.nope' is not set"* ]]
}

@test "config rejects an invalid key with libgit2's reason" {
	run mlp config nodot value
	[ "$status" -eq 2 ]
	[[ "$output" == "mlp: config: "* ]]
	run mlp config 'bad key.x' value
	[ "$status" -eq 2 ]
}

@test "config outside a repository needs --global to write" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p out && cd out
	run mlp config a.b c
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an mlp repository"* ]]
	[[ "$output" == *"--global"* ]]
	run mlp config --global a.b c
	[ "$status" -eq 0 ]
	run mlp config a.b
	[ "$output" = c ]
}

@test "config usage errors" {
	run mlp config
	[ "$status" -eq 2 ]
	run mlp config --get a.b c
	[ "$status" -eq 2 ]
	run mlp config --list --unset
	[ "$status" -eq 2 ]
	run mlp config -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: mlp config"* ]]
}

@test "config reports a malformed config file" {
	printf '[core\nbroken' > .mlp/config
	run mlp config --get core.format
	[ "$status" -ne 0 ]
	[[ "$output" == "mlp: config: "* ]]
	[ "${#lines[@]}" -le 2 ]
}
