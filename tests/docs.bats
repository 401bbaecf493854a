#!/usr/bin/env bats
# The docs and completions follow the command table (cmd/commands.def, as
# `mlp __complete` reports it): every command has a man page and a test
# file, mlp(1) lists exactly the table's commands, the man pages name every
# verb and long option, and every completion script asks `mlp __complete`.

load helper

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# outside any repository: the tables do not depend on one
	setup_home
}

# The first column of `mlp __complete WORD...`.
names() {
	"$MLP" __complete "$@" | cut -f1
}

commands() {
	names ''
}

# The verbs of a command, two-word verbs ("experiment create") included.
verbs() {
	local v

	for v in $(names "$1" ''); do
		if "$MLP" __complete "$1" '' | grep -q "^$v	"; then
			echo "$v"
		else
			# a group without a summary: its verbs are the second words
			names "$1" "$v" '' | sed "s/^/$v /"
		fi
	done
}

# The man(7) spelling of an option: every '-' escaped.
roff() {
	printf '%s\n' "${1//-/\\-}"
}

# Whether man page $2 names option $1 (--all, not just --allow).
names_opt() {
	local re=${1//-/\\\\-}

	grep -qE -- "$re([^A-Za-z0-9_\\\\]|\\\\[^-]|\$)" "$2"
}

@test "the command table is not empty" {
	run commands
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 5 ]
	[[ " ${lines[*]} " == *" track "* ]]
}

@test "every command has a man page mlp-NAME.1" {
	local c missing=

	for c in $(commands); do
		[ -f "$ROOT/man/mlp-$c.1" ] || missing+=" man/mlp-$c.1"
	done
	[ -f "$ROOT/man/mlp.1" ] || missing+=" man/mlp.1"
	if [ -n "$missing" ]; then
		echo "missing:$missing"
		return 1
	fi
}

@test "mlp(1)'s SEE ALSO names every man page" {
	local f r missing=

	for f in "$ROOT"/man/mlp-*.1; do
		f=${f##*/}
		r=".BR $(roff "${f%.1}") (1)"
		sed -n '/^\.SH SEE ALSO/,/^\.SH/p' "$ROOT/man/mlp.1" |
		    grep -Fqx -e "$r" -e "$r," || missing+=" ${f%.1}"
	done
	if [ -n "$missing" ]; then
		echo "not in mlp(1)'s SEE ALSO:$missing"
		return 1
	fi
}

@test "README.md names only files of the project, and every lib/ room" {
	local p d bad=

	grep -q '\.\./' "$ROOT/README.md" && bad+=" (a path outside the project)"
	for p in $(grep -o '`[a-z.]*/[^` ]*`' "$ROOT/README.md" | tr -d '`' |
	    grep -E '^(cmd|lib|man|tests|share|completions|\.ci)/'); do
		[ -e "$ROOT/$p" ] || bad+=" $p"
	done
	for d in "$ROOT"/lib/*/; do
		d=${d%/}
		grep -q "\`${d##*/}\`" "$ROOT/README.md" || bad+=" lib/${d##*/} unnamed"
	done
	if [ -n "$bad" ]; then
		echo "README.md:$bad"
		return 1
	fi
}

@test "every command has a test file tests/NAME.bats" {
	local c missing=

	for c in $(commands); do
		[ -f "$ROOT/tests/$c.bats" ] || missing+=" tests/$c.bats"
	done
	if [ -n "$missing" ]; then
		echo "missing:$missing"
		return 1
	fi
}

@test "mlp(1) COMMANDS lists exactly the command table, in order" {
	local page

	# the .B line after each .TP in the COMMANDS section
	page=$(awk '/^\.SH / { on = ($2 == "COMMANDS") ; next }
	    /^\.SS / { if (on) exit }
	    on && tp && /^\.B / { print $2 }
	    { tp = on && /^\.TP/ }' "$ROOT/man/mlp.1")
	run diff <(commands) <(printf '%s\n' "$page")
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "mlp(1) documents every global option" {
	local o missing=

	for o in $(names -); do
		names_opt "$o" "$ROOT/man/mlp.1" || missing+=" $o"
	done
	if [ -n "$missing" ]; then
		echo "not in man/mlp.1:$missing"
		return 1
	fi
}

@test "mlp-track(1) has a section for every verb of mlp track" {
	local v missing= n=0

	while read -r v; do
		n=$((n + 1))
		grep -qE "^\\.SS \"?$(roff "$v")( |\"|\$)" \
		    "$ROOT/man/mlp-track.1" || missing+=" '$v'"
	done < <(verbs track)
	[ "$n" -ge 10 ]
	if [ -n "$missing" ]; then
		echo "no .SS section in man/mlp-track.1 for:$missing"
		return 1
	fi
}

@test "mlp-track(1) names every long option of every verb" {
	local v o missing= n=0

	while read -r v; do
		# shellcheck disable=SC2086 # two-word verbs are two words
		for o in $(names track $v --); do
			n=$((n + 1))
			names_opt "$o" "$ROOT/man/mlp-track.1" ||
			    missing+=" $v:$o"
		done
	done < <(verbs track)
	[ "$n" -ge 20 ]
	if [ -n "$missing" ]; then
		echo "not in man/mlp-track.1:$missing"
		return 1
	fi
}

# The SYNOPSIS section of man page $1 as one line of plain words: macros,
# font escapes and brackets removed.
synopsis() {
	awk '/^\.SH / { on = ($2 == "SYNOPSIS"); next } on' "$1" |
	    sed -e 's/^\.[A-Za-z]*//' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' \
	    -e 's/[][|"]/ /g' | tr '\n' ' ' | tr -s ' '
}

@test "every command's SYNOPSIS names each of its verbs" {
	local c v missing= n=0 text

	for c in $(commands); do
		text=" $(synopsis "$ROOT/man/mlp-$c.1") "
		while read -r v; do
			[ -n "$v" ] || continue
			n=$((n + 1))
			[[ $text == *" mlp $c $v "* ]] || missing+=" '$c $v'"
		done < <("$MLP" help "$c" | awk '/^verbs:/ { on = 1; next }
		    on && /^$/ { exit }
		    on { v = substr($0, 3, 20); sub(/ +$/, "", v); print v }')
	done
	[ "$n" -ge 30 ]
	if [ -n "$missing" ]; then
		echo "not in SYNOPSIS:$missing"
		return 1
	fi
}

@test "every command's man page names its long options" {
	local c o missing=

	for c in $(commands); do
		[ -f "$ROOT/man/mlp-$c.1" ] || continue
		# commands with verbs are checked verb by verb above
		"$MLP" help "$c" | head -n 1 | grep -q ' VERB ' && continue
		for o in $(names "$c" --); do
			names_opt "$o" "$ROOT/man/mlp-$c.1" ||
			    missing+=" $c:$o"
		done
	done
	if [ -n "$missing" ]; then
		echo "missing:$missing"
		return 1
	fi
}

@test "every completion script asks mlp __complete for mlp" {
	local f

	for f in mlp.bash _mlp mlp.fish; do
		[ -f "$ROOT/completions/$f" ] || { echo "no completions/$f"; return 1; }
		grep -q ' __complete ' "$ROOT/completions/$f" ||
		    { echo "completions/$f does not call 'mlp __complete'"; return 1; }
	done
	grep -qE '^complete .*-F _mlp mlp$' "$ROOT/completions/mlp.bash"
	grep -qx '#compdef mlp' "$ROOT/completions/_mlp"
	grep -qE '^complete -c mlp ' "$ROOT/completions/mlp.fish"
}

@test "the man pages name themselves and have the usual sections" {
	local f name

	for f in "$ROOT"/man/*.1; do
		name=$(basename "$f" .1)
		grep -qF ".TH $(roff "${name^^}") 1 " "$f" ||
		    { echo "$f: .TH does not name ${name^^}"; return 1; }
		for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
			grep -qE "^\\.SH \"?$s\"?\$" "$f" ||
			    { echo "$f: no $s section"; return 1; }
		done
	done
}

@test "the man pages format without warnings" {
	command -v groff >/dev/null || skip "groff is not installed"
	run groff -man -Tutf8 -ww -z "$ROOT"/man/*.1
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "the man pages pass mandoc -Tlint" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -Tlint -Wwarning "$ROOT"/man/*.1
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
