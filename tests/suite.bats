#!/usr/bin/env bats
# The test suite itself: the files that start servers (nginx, s3rver,
# Slurm) in setup_file skip cleanly where those are not installed. bats
# reports a skip in setup_file as a failed setup_file, so none skips there:
# they leave a flag that setup turns into a skip.

load helper

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
}

# The test files that have a setup_file.
setup_files() {
	grep -l '^setup_file()' "$ROOT"/tests/*.bats
}

# Those of them that start a server.
server_files() {
	grep -lwE 'nginx|node|slurmctld|munged' $(setup_files)
}

@test "no setup_file skips" {
	local f bad=

	for f in $(setup_files); do
		awk '/^setup_file\(\)/ { on = 1; next } on && /^}/ { on = 0 }
		     on && /(^|[^A-Za-z_])skip([^A-Za-z_]|$)/ { found = 1 }
		     END { exit !found }' "$f" && bad+=" ${f##*/}"
	done
	if [ -n "$bad" ]; then
		echo "skip in setup_file:$bad"
		return 1
	fi
}

@test "without their servers the server tests skip, and nothing fails" {
	local bin=$BATS_TEST_TMPDIR/bin d f n

	# $PATH without the servers: links to every other command on it
	mkdir "$bin"
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		for f in "$d"/*; do
			n=${f##*/}
			case $n in nginx|node|npm|slurmctld|slurmd|munged) continue ;; esac
			[ -x "$f" ] && [ ! -e "$bin/$n" ] && ln -s "$f" "$bin/$n"
		done
	done
	[ -n "$(server_files)" ]
	for f in $(server_files); do
		run env PATH="$bin" bats --tap "$f"
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" != *"not ok"* ]]
		[[ "$output" == *"# skip"* ]]
	done
}
