# Shared set-up for the bats tests: a fresh temporary repository per test,
# HOME pointed away from the user's, and the binary under test on $MLP.

MLP=${MLP:-$BATS_TEST_DIRNAME/../build/mlp}
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac
export MLP

setup_home() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_CONFIG_HOME=
	mkdir -p "$HOME"
	unset MLP_DIR MLP_RUN_ID NO_COLOR
	export MLP_USER=tester
	cd "$BATS_TEST_TMPDIR"
}

setup_repo() {
	setup_home
	mkdir -p "$BATS_TEST_TMPDIR/repo"
	cd "$BATS_TEST_TMPDIR/repo"
	"$MLP" -q init
}

mlp() {
	"$MLP" "$@"
}

# run_id NAME: starts a run and prints its id
new_run() {
	"$MLP" track start -n "$1"
}

# The commands and verbs of the table, one a line ("track", "track runs",
# "register alias rm"): the commands as `mlp __complete` reports them, the
# verbs as `mlp help COMMAND` lists them. Tests that hold a rule for every
# command walk this, not a list written in the test.
mlp_targets() {
	local c

	for c in $("$MLP" __complete '' | cut -f1); do
		echo "$c"
		"$MLP" help "$c" | awk -v c="$c" '
		    /^verbs:/ { on = 1; next }
		    on && /^$/ { exit }
		    on { v = substr($0, 3, 20); sub(/ +$/, "", v); print c " " v }'
	done
}
