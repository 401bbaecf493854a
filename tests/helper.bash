# Shared set-up for the bats tests: a fresh temporary repository per test,
# HOME pointed away from the user's, and the binary under test on $MLP.

MLP=${MLP:-$BATS_TEST_DIRNAME/../build/mlp}
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac

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
