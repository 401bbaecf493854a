#!/usr/bin/env bats
# mlp __complete and the shell scripts in completions/ that call it:
# commands, verbs, options with descriptions, names from the database, and
# the bash, zsh and fish front ends.

load helper
bats_require_minimum_version 1.5.0

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	setup_repo
	# the completion scripts run "mlp" from PATH
	PATH=$(dirname "$MLP"):$PATH
	export PATH
}

# has LINE: $output holds LINE as a whole line, or as a value before its
# description
has() {
	printf '%s\n' "$output" | grep -qxF -- "$1" ||
	    printf '%s\n' "$output" | cut -f1 | grep -qxF -- "$1"
}

# values: the first column of $output
values() {
	printf '%s\n' "$output" | cut -f1
}

# A repository with an experiment, two runs, params, metrics and tags.
fixture() {
	mlp track experiment create churn >/dev/null
	RUN1=$(mlp track start -e churn -n first)
	mlp track log "$RUN1" -p lr=0.1 -p depth=6 -m loss=0.5@1 \
	    -m auc=0.9 -t team=risk
	RUN2=$(mlp track start -n second)
	mlp track log "$RUN2" -m 'val loss=0.4'
}

# Two versions of model fraud (alias champion, a tag), model churn, a run
# with an artifact and a remote.
models() {
	mkdir -p "$BATS_TEST_TMPDIR/m"
	echo weights > "$BATS_TEST_TMPDIR/m/w.bin"
	mlp -q register "$BATS_TEST_TMPDIR/m" -n fraud --alias champion \
	    >/dev/null
	mlp -q register "$BATS_TEST_TMPDIR/m" -n fraud >/dev/null
	mlp -q register "$BATS_TEST_TMPDIR/m" -n churn >/dev/null
	mlp register tag fraud team=risk
	ARUN=$(mlp track start -n arts)
	mlp -q track artifact "$ARUN" "$BATS_TEST_TMPDIR/m" >/dev/null
	mlp remote add origin "file://$BATS_TEST_TMPDIR/remote"
}

# no_placeholder WORD...: no candidate of `mlp __complete WORD...` is a
# placeholder (upper case, no lower case: MODEL, KEY=VALUE, RUN..., N) or
# one of $PLACEHOLDERS, or a ":" line other than ":files".
no_placeholder() {
	local v

	run mlp __complete "$@"
	if [ "$status" -ne 0 ]; then
		echo "mlp __complete $*: status $status: $output"
		return 1
	fi
	while IFS= read -r v; do
		v=${v%%$'\t'*}
		[ -z "$v" ] && continue
		if { [[ $v == *[A-Z]* && $v != *[a-z]* ]] ||
		    [[ " $PLACEHOLDERS " == *" $v "* ]] ||
		    [[ $v == :* && $v != :files ]]; }; then
			echo "mlp __complete $* offers the placeholder '$v'"
			return 1
		fi
	done <<< "$output"
}

# bash_complete CWORD WORD...: COMPREPLY from completions/mlp.bash, one a
# line, for COMP_WORDS=(WORD...) and COMP_CWORD=CWORD. COMP_LINE and
# COMP_POINT come from $LINE when it is set.
bash_complete() {
	bash --norc --noprofile -c '
		source "$1"
		COMP_CWORD=$2
		shift 2
		COMP_WORDS=("$@")
		if [[ -n ${LINE-} ]]; then
			COMP_LINE=$LINE
			COMP_POINT=${#LINE}
		fi
		_mlp
		printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/completions/mlp.bash" "$@"
}

# zsh_complete WORD...: what _mlp hands to _describe (or ":files" for
# _files) when the last WORD is being completed. The completion system's
# functions are stubbed: this runs the script's own logic without a
# terminal (an interactive check is in the notes of the change).
zsh_complete() {
	zsh -f -c '
		compdef() { : }
		_files() { print -r -- ":files" }
		_describe() {
			(( $#spaced )) && print -rl -- "${spaced[@]}"
			local n
			for n in "${nospace[@]}"; do print -r -- "$n (nospace)"; done
		}
		source "$1"
		shift
		words=("$@")
		CURRENT=$#
		PREFIX=${words[CURRENT]}
		_mlp' _ "$ROOT/completions/_mlp" "$@"
}

# fish_complete LINE: fish's own completions for LINE ("value<TAB>desc").
fish_complete() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
	    "$ROOT/completions/mlp.fish" "$1"
}

@test "command names, with their summaries" {
	run mlp __complete ''
	[ "$status" -eq 0 ]
	for c in init config train track register predict fsck gc remote push pull help version; do
		printf '%s\n' "$output" | grep -q "^$c	[A-Z]"
	done
	run mlp __complete trac
	[ "$output" = "track	Record and query experiment runs" ]
	run mlp __complete zzz
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "global options before the command" {
	run mlp __complete -
	has "--json	print data as JSON"
	has --version
	has -C
	run mlp __complete --no
	[ "$(values)" = --no-color ]
	run mlp __complete --json trac
	[ "$(values)" = track ]
	run mlp __complete -C ''
	[ "$output" = :files ]
}

@test "verbs of track, each once, a two-word group once" {
	run mlp __complete track ''
	[ "$status" -eq 0 ]
	for v in start end log runs show compare history plot rm restore gc \
	    experiments; do
		has "$(printf '%s\n' "$output" | grep "^$v	")"
	done
	[ "$(values | grep -cx experiment)" -eq 1 ]
	run mlp __complete track st
	[ "$output" = "start	Start a run and print its id" ]
	run mlp __complete track r
	[ "$(values | tr '\n' ' ')" = "runs rm restore " ]
}

@test "two-word verbs: experiment create, rename, rm, restore" {
	run mlp __complete track experiment ''
	[ "$(values | tr '\n' ' ')" = "create rename rm restore " ]
	has "create	Create an experiment"
	run mlp __complete track experiment re
	[ "$(values | tr '\n' ' ')" = "rename restore " ]
	run mlp __complete track experiment create --
	has "--help	show this help"
}

@test "options of a verb, with descriptions" {
	run mlp __complete track runs --
	has "--filter	MLflow search filter, with OR, NOT and ( )"
	has "--order-by	sort key (repeatable; default start_time desc)"
	has "--csv	print CSV"
	has "--json	print data as JSON"
	# every option has a description
	! printf '%s\n' "$output" | grep -qv '	.'
	run mlp __complete track log --de
	[ "$output" = "--delete-tag	delete a tag (repeatable)" ]
	run mlp __complete track gc --
	has "$(printf '%s\n' "$output" | grep '^--older-than	')"
	run mlp __complete config --g
	has "--global	use the global file (~/.config/mlp/config, or under \$XDG_CONFIG_HOME)"
	has "--get	print KEY's value (exit 1 when unset)"
}

@test "run ids from the database, with the run name" {
	fixture
	run mlp __complete track show ''
	has "$RUN1	first"
	has "$RUN2	second"
	run mlp __complete track show "${RUN1:0:6}"
	[ "$output" = "$RUN1	first" ]
	# RUN... repeats; [RUN] after the options
	run mlp __complete track compare "$RUN1" ''
	has "$RUN2	second"
	run mlp __complete track log -p a=1 ''
	has "$RUN1	first"
	run mlp __complete track end -s failed "${RUN2:0:5}"
	[ "$output" = "$RUN2	second" ]
}

@test "restore offers what was deleted; rm what was not" {
	fixture
	mlp track rm "$RUN2"
	run mlp __complete track restore ''
	[ "$output" = "$RUN2	second" ]
	run mlp __complete track rm ''
	[ "$output" = "$RUN1	first" ]
	mlp track experiment rm churn
	run mlp __complete track experiment restore ''
	[ "$output" = churn ]
	run mlp __complete track experiment rm ''
	[ "$output" = Default ]
}

@test "--OPT=VALUE completes the value, and train's parameters need no runs" {
	run mlp __complete train -p max_d
	[ "$(values)" = max_depth= ]
	[[ $output == "max_depth=	depth of the trees" ]]
	run mlp __complete train --algo=l
	has --algo=linear
	has --algo=logistic
	run mlp __complete track runs --filter=datasets.c
	[ "$output" = --filter=datasets.context ]
	run mlp __complete train --data=x
	[ "$output" = :files ]
	run mlp __complete train --nosuch=x
	[ -z "$output" ]
	LINE="mlp train --algo=lo" run bash_complete 4 mlp train --algo = lo
	[ "$output" = logistic ]
}

@test "experiment names after -e and for experiment verbs" {
	fixture
	run mlp __complete track start -e ''
	has Default
	has churn
	run mlp __complete track runs --experiment c
	[ "$output" = churn ]
	run mlp __complete track experiment rename ''
	has churn
	# the new name is free text
	run mlp __complete track experiment rename churn ''
	[ -z "$output" ]
}

@test "metric, param and tag keys" {
	fixture
	run mlp __complete track plot -m ''
	has loss
	has auc
	has "val loss"
	# the second positional of history is a metric
	run mlp __complete track history "$RUN1" l
	[ "$output" = loss ]
	# KEY=VALUE options complete the key and the "="
	run mlp __complete track log -m a
	[ "$output" = auc= ]
	run mlp __complete track log -p ''
	has lr=
	has depth=
	run mlp __complete track log -t te
	[ "$output" = team= ]
	run mlp __complete track log --delete-tag te
	[ "$output" = team ]
	run mlp __complete track start -t mlp.u
	[ "$output" = mlp.user= ]
}

@test "fields in --filter, --order-by and --columns" {
	fixture
	run mlp __complete track runs --filter metrics.
	has metrics.auc
	has metrics.loss
	run mlp __complete track runs -f 'params.lr = '"'0.1'"' AND metrics.l'
	[ "$output" = "params.lr = '0.1' AND metrics.loss" ]
	run mlp __complete track runs --filter '(params.'
	has "(params.depth"
	has "(params.lr"
	run mlp __complete track runs --filter tags.t
	[ "$output" = tags.team ]
	run mlp __complete track runs --order-by ''
	has start_time
	has metrics.
	has params.
	has tags.
	run mlp __complete track runs --order-by st
	[ "$(values | tr '\n' ' ')" = "status start_time " ]
	run mlp __complete track runs --columns run_id,metrics.a
	[ "$output" = run_id,metrics.auc ]
	run mlp __complete track runs --filter 'status = "x" AND datasets.d'
	[ "$output" = 'status = "x" AND datasets.digest' ]
	run mlp __complete track runs --order-by data
	[ -z "$output" ]
}

@test "file names after --batch, --svg, -C and for init" {
	run mlp __complete track log --batch ''
	[ "$output" = :files ]
	run mlp __complete track log -b x
	[ "$output" = :files ]
	run mlp __complete track plot -m loss --svg ''
	[ "$output" = :files ]
	run mlp __complete init ''
	[ "$output" = :files ]
}

@test "statuses after end -s" {
	run mlp __complete track end -s ''
	[ "$(values | tr '\n' ' ')" = "finished failed killed " ]
	run mlp __complete track end --status k
	[ "$output" = killed ]
}

@test "nothing crashes, in a repository or outside one" {
	local inputs=(
		"''" "-" "--" "-C" "-C ''" "-C /nonexistent track show ''"
		"--json track show ''" "-q -v --no-color track ''"
		"track" "track ''" "track -" "track experiment"
		"track experiment ''" "track experiment create ''"
		"track experiment bogus ''" "track experiment create a b c ''"
		"track bogus ''" "track show ''" "track show a b c d ''"
		"track compare x y ''" "track log -m" "track log -m ''"
		"track log -m loss=1@2 ''" "track log --batch=x"
		"track runs --filter ''" "track runs --filter 'metrics.'"
		"track runs --filter '('" "track runs --filter '\`'"
		"track runs -f 'metrics.\`a b'" "track runs -c ',,,'"
		"track runs -c ''" "track runs --order-by ''"
		"track runs --order-by metrics.loss ''" "track runs --"
		"track runs --bogus ''" "track runs -- ''"
		"track plot -m loss --svg ''" "track history a b c ''"
		"track gc --older-than ''" "config ''" "config --global ''"
		"config --get ''" "help ''" "help track ''" "init ''"
		"version ''" "nosuchcommand ''" "__complete ''"
		"predict ''" "predict models:/" "predict models:/@" "predict runs:/"
		"predict runs://" "predict runs:/zz/" "predict models:/x/y/z"
		"register tag ''" "register alias rm ''" "register alias rm a ''"
		"register stage a 1 ''" "register stage models:/a/1 ''"
		"register -n ''" "register models:/" "train s" "train -p ''"
		"train -p ="  "train -p objective=" "train --algo= -p ''"
		"train bad.yaml -p ''" "train -- -p ''" "help track experiment ''"
		"help nosuch ''" "help track nosuch ''" "config remote."
		"config ..." "config store.link ''" "config --global ''"
		"remote add x ''"
	)
	local long

	long=$(printf 'metrics.%09000d' 0)
	fixture
	models
	printf 'algo: [\n' > bad.yaml
	for dir in "$BATS_TEST_TMPDIR/repo" "$BATS_TEST_TMPDIR"; do
		cd "$dir"
		for i in "${inputs[@]}"; do
			eval "set -- $i"
			run mlp __complete "$@"
			if [ "$status" -ne 0 ] || [[ $output == *"mlp:"* ]]; then
				echo "in $dir: mlp __complete $i: status $status"
				echo "$output"
				return 1
			fi
		done
		run mlp __complete track runs --filter "$long"
		[ "$status" -eq 0 ]
		run mlp __complete track show "$long"
		[ "$status" -eq 0 ]
	done
}

@test "no words at all" {
	run mlp __complete
	[ "$status" -eq 0 ]
}

@test "outside a repository: commands and options, no names" {
	cd "$BATS_TEST_TMPDIR"
	run mlp __complete trac
	[ "$(values)" = track ]
	run mlp __complete track runs --f
	[ "$(values)" = --filter ]
	run mlp __complete track show ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run mlp __complete track runs --filter metrics.
	[ -z "$output" ]
	[ ! -e .mlp ]
}

@test "MLP_DIR picks the repository names come from" {
	fixture
	cd "$BATS_TEST_TMPDIR"
	MLP_DIR=$BATS_TEST_TMPDIR/repo/.mlp run mlp __complete track show ''
	has "$RUN1	first"
}

@test "-C DIR picks the repository names come from" {
	fixture
	cd "$BATS_TEST_TMPDIR"
	run mlp __complete -C repo track show ''
	has "$RUN1	first"
}

@test "keys that need quoting are quoted in filters" {
	fixture
	run mlp __complete track runs --filter metrics.v
	[ "$output" = 'metrics.`val loss`' ]
}

@test "config keys are not run fields" {
	run mlp __complete config ''
	! has run_id
}

@test "bash: command names, verbs and two-word verbs" {
	run bash_complete 1 mlp trac
	[ "$status" -eq 0 ]
	[ "$output" = track ]
	# descriptions are stripped
	run bash_complete 1 mlp ''
	[ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "init config feature train track register deploy predict serve fsck gc remote push pull help version " ]
	run bash_complete 2 mlp track ru
	[ "$output" = runs ]
	run bash_complete 3 mlp track experiment cr
	[ "$output" = create ]
	# the word being completed may be past the end of COMP_WORDS
	run bash_complete 2 mlp track
	has start
	has experiments
}

@test "bash: options, run ids and keys from the database" {
	fixture
	run bash_complete 3 mlp track runs --fi
	[ "$output" = --filter ]
	run bash_complete 3 mlp track show "${RUN1:0:5}"
	[ "$output" = "$RUN1" ]
	run bash_complete 4 mlp track runs -f metrics.a
	[ "$output" = metrics.auc ]
	run bash_complete 4 mlp track start -e ch
	[ "$output" = churn ]
	# a candidate with a blank is escaped to stay one word
	run bash_complete 4 mlp track plot -m val
	[ "$output" = 'val\ loss' ]
}

@test "bash: words bash splits at = and :" {
	fixture
	# as bash calls it for "mlp track log -m loss=" and Tab: readline
	# replaces only what follows the "="
	LINE="mlp track log -t team=" run bash_complete 5 mlp track log -t team =
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	LINE="mlp track log -t te" run bash_complete 4 mlp track log -t te
	[ "$output" = team= ]
	LINE="mlp track log -p lr=0.1 -t te" \
	    run bash_complete 8 mlp track log -p lr = 0.1 -t te
	[ "$output" = team= ]
	# keys with a ":" are split there too
	mlp track log "$RUN1" -m epoch:loss=1
	LINE="mlp track plot -m epoch:" \
	    run bash_complete 5 mlp track plot -m epoch :
	[ "$output" = loss ]
	LINE="mlp track plot -m epoch:l" \
	    run bash_complete 6 mlp track plot -m epoch : l
	[ "$output" = loss ]
	LINE="mlp track log -m epoch:l" \
	    run bash_complete 6 mlp track log -m epoch : l
	[ "$output" = loss= ]
	# after "lr=0.1" comes a run, not a param
	LINE="mlp track log -p lr=0.1 ${RUN1:0:5}" \
	    run bash_complete 7 mlp track log -p lr = 0.1 "${RUN1:0:5}"
	[ "$output" = "$RUN1" ]
	# and at "@" (the step of -m)
	LINE="mlp track log -m loss=0.5@1 " \
	    run bash_complete 9 mlp track log -m loss = 0.5 @ 1 ''
	has "$RUN1"
	has "$RUN2"
}

@test "bash: quoted filters" {
	fixture
	LINE="mlp track runs --filter \"params.lr = '0.1' AND metrics.l" \
	    run bash_complete 4 mlp track runs --filter \
	    "\"params.lr = '0.1' AND metrics.l"
	[ "$output" = "params.lr = '0.1' AND metrics.loss" ]
	LINE="mlp track runs -f \"metrics.auc > 1\" -c run_id,met" \
	    run bash_complete 6 mlp track runs -f '"metrics.auc > 1"' -c \
	    run_id,met
	[ "$output" = "run_id,metrics." ]
}

@test "bash: :files completes file names" {
	touch batch.jsonl batch2.jsonl
	run bash_complete 4 mlp track log --batch batch
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "batch.jsonl batch2.jsonl " ]
	run bash_complete 2 mlp -C .ml
	[ "$output" = .mlp ]
}

@test "bash: outside a repository nothing breaks" {
	cd "$BATS_TEST_TMPDIR"
	run bash_complete 3 mlp track show ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run bash_complete 1 mlp ver
	[ "$output" = version ]
}

@test "bash: registered for mlp with default file completion" {
	run bash --norc --noprofile -c "source '$ROOT/completions/mlp.bash'; complete -p mlp"
	[ "$status" -eq 0 ]
	[[ $output == *"-o default"* ]]
	[[ $output == *"-F _mlp mlp" ]]
}

@test "zsh: values with descriptions, file names" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	fixture
	run zsh_complete mlp trac
	[ "$status" -eq 0 ]
	[ "$output" = "track:Record and query experiment runs" ]
	run zsh_complete mlp track show "${RUN1:0:5}"
	[ "$output" = "$RUN1:first" ]
	run zsh_complete mlp track log -t te
	[ "$output" = "team= (nospace)" ]
	run zsh_complete mlp track runs -f metrics.
	has metrics.auc
	has 'metrics.`val loss`'
	run zsh_complete mlp track log --batch ''
	[ "$output" = :files ]
	run zsh_complete mlp track runs --fil
	[ "$output" = "--filter:MLflow search filter, with OR, NOT and ( )" ]
}

@test "zsh: the file loads as an autoloaded completion function" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	run zsh -f -c "fpath=('$ROOT/completions' \$fpath); autoload -U compinit; compinit -u -D; print -r -- \${_comps[mlp]}"
	[ "$status" -eq 0 ]
	[ "$output" = _mlp ]
}

@test "fish: values with descriptions, file names" {
	command -v fish >/dev/null || skip "fish is not installed"
	fixture
	run fish_complete "mlp trac"
	[ "$status" -eq 0 ]
	[ "$output" = "track	Record and query experiment runs" ]
	run fish_complete "mlp track experiment c"
	[ "$output" = "create	Create an experiment" ]
	run fish_complete "mlp track show ${RUN1:0:5}"
	[ "$output" = "$RUN1	first" ]
	run fish_complete "mlp track runs --filter 'params.lr = \"0.1\" AND metrics.l"
	[ "$output" = 'params.lr = "0.1" AND metrics.loss' ]
	touch batch.jsonl
	run fish_complete "mlp track log --batch bat"
	[ "$output" = batch.jsonl ]
}

@test "remote names after push, pull, remote status and remote rm" {
	setup_repo
	mlp remote add origin "file://$BATS_TEST_TMPDIR/r1"
	mlp remote add backup "file://$BATS_TEST_TMPDIR/r2"
	run mlp __complete push ''
	[ "$output" = "$(printf 'origin\nbackup')" ]
	run mlp __complete pull o
	[ "$output" = origin ]
	run mlp __complete remote status b
	[ "$output" = backup ]
	run mlp __complete remote rm ''
	[[ "$output" == *origin* && "$output" == *backup* ]]
}

@test "predict offers model sources as predict takes them, not bare names" {
	models
	run mlp __complete predict ''
	has models:/fraud/
	has models:/churn/
	has runs:/
	has :files
	! has fraud
	! has churn
	run mlp __complete predict models:/
	[ "$(values | tr '\n' ' ')" = "models:/churn/ models:/churn@ models:/fraud/ models:/fraud@ " ]
	run mlp __complete predict models:/fraud/
	[ "$(values | tr '\n' ' ')" = "models:/fraud/1 models:/fraud/2 models:/fraud/latest " ]
	run mlp __complete predict models:/fraud@
	[ "$output" = models:/fraud@champion ]
	run mlp __complete predict runs:/
	has "runs:/$ARUN/	arts"
	run mlp __complete predict "runs:/${ARUN:0:6}/"
	[ "$output" = "runs:/${ARUN:0:6}/m" ]
	# register create takes the same sources
	run mlp __complete register create models:/f
	has models:/fraud/
	run mlp __complete register models:/f
	has models:/fraud/
}

@test "register: names and URIs for MODEL|URI, aliases, versions, stages" {
	models
	run mlp __complete register tag ''
	[ "$(values | tr '\n' ' ')" = "churn fraud models:/churn/ models:/fraud/ " ]
	run mlp __complete register tag f
	[ "$output" = fraud ]
	run mlp __complete register alias rm fraud ''
	[ "$output" = champion ]
	run mlp __complete register alias fraud ''
	[ "$output" = champion ]
	run mlp __complete register alias fraud champion ''
	[ "$(values | tr '\n' ' ')" = "1 2 " ]
	run mlp __complete register stage fraud ''
	[ "$(values | tr '\n' ' ')" = "1 2 " ]
	run mlp __complete register stage fraud 1 ''
	[ "$(values | tr '\n' ' ')" = "none staging production archived " ]
	run mlp __complete register stage --archive-existing fraud 1 p
	[ "$output" = production ]
	run mlp __complete register history fraud ''
	[ "$output" = champion ]
	run mlp __complete register create -n fraud --alias ''
	[ "$output" = champion ]
	run mlp __complete register create --alias ''
	[ -z "$output" ]
	# the second URI of diff, the URI after a remote
	run mlp __complete register diff models:/fraud/1 models:/fraud/
	has models:/fraud/2
	run mlp __complete push origin models:/c
	has models:/churn/
	run mlp __complete remote add backup ''
	[ "$(values | tr '\n' ' ')" = "file:// s3:// https:// http:// " ]
}

@test "train -p offers the chosen learner's parameters" {
	run mlp __complete train --algo linear -p ''
	[ "$(values | tr '\n' ' ')" = "lambda= fit_intercept= " ]
	run mlp __complete train run -a logistic -p m
	[ "$(values)" = max_iter= ]
	run mlp __complete train --algo=linear --param ''
	! has max_depth=
	# the default learner: gbdt
	run mlp __complete train -p ''
	has max_depth=
	! has fit_intercept=
	# the spec's learner
	printf 'algo: logistic\n' > spec.yaml
	run mlp __complete train spec.yaml -p ''
	has max_iter=
	! has max_depth=
	# the command line wins over the spec
	run mlp __complete train spec.yaml --algo linear -p ''
	! has max_iter=
	has lambda=
	# an unknown learner has none
	run mlp __complete train --algo nosuch -p ''
	[ -z "$output" ]
	# a parameter's choices after its "="
	run mlp __complete train -p objective=b
	[ "$output" = objective=binary:logistic ]
}

@test "help offers commands, then verbs, then a group's second words" {
	run mlp __complete help tr
	[ "$(values | tr '\n' ' ')" = "train track " ]
	run mlp __complete help track ''
	has "runs	List and search runs"
	[ "$(values | grep -cx experiment)" -eq 1 ]
	run mlp __complete help track experiment ''
	[ "$(values | tr '\n' ' ')" = "create rename rm restore " ]
	run mlp __complete help register alias ''
	[ "$(values)" = rm ]
	run mlp __complete help track runs ''
	[ -z "$output" ]
	run mlp __complete help init ''
	[ -z "$output" ]
}

@test "config offers keys, a remote's keys, and values it knows" {
	run mlp __complete config ''
	has "user.name	your name, recorded in runs and registry events"
	has store.link
	has train.checkpointEvery
	mlp remote add origin "file://$BATS_TEST_TMPDIR/r"
	mlp config my.key 1
	run mlp __complete config r
	[ "$(values)" = remote.origin. ]
	run mlp __complete config remote.origin.
	has remote.origin.url
	has remote.origin.region
	run mlp __complete config m
	[ "$(values)" = my.key ]
	run mlp __complete config train.checkpointe
	[ "$(values)" = train.checkpointEvery ]
	run mlp __complete config --global m
	[ -z "$output" ]
	run mlp __complete config store.link ''
	[ "$(values | tr '\n' ' ')" = "reflink hardlink copy " ]
	run mlp __complete config --unset s
	has store.link
	cd "$BATS_TEST_TMPDIR"
	run mlp __complete config u
	[ "$(values)" = user.name ]
}

@test "no completion offers a placeholder, for any argument of any command or verb" {
	local t v o n=0 next
	local -a w

	fixture
	models
	touch data.csv
	mapfile -t all < <(mlp_targets)
	[ "${#all[@]}" -ge 40 ]
	[[ " ${all[*]} " == *" register alias rm "* ]]
	for t in "${all[@]}"; do
		# the words of the usage line and the options' value names
		PLACEHOLDERS=$(mlp $t -h | grep -oE '[A-Z][A-Z0-9_=.|@]*' |
		    tr '\n' ' ')
		# shellcheck disable=SC2086 # a verb may be two words
		set -- $t
		# every positional slot, each filled with what was offered
		w=()
		for _ in 1 2 3 4 5; do
			no_placeholder "$@" "${w[@]}" ''
			next=x
			while IFS= read -r v; do
				v=${v%%$'\t'*}
				if [[ -n $v && $v != :files && $v != *[/@=] ]]; then
					next=$v
					break
				fi
			done <<< "$output"
			w+=("$next")
			n=$((n + 1))
		done
		# every option's value
		for o in $(mlp __complete "$@" -- | cut -f1); do
			no_placeholder "$@" "$o" ''
			no_placeholder "$@" "$o="
			n=$((n + 1))
		done
	done
	[ "$n" -ge 300 ]
}

@test "feature: show offers the catalog's names, --kind the kinds, plan and apply files" {
	run mlp __complete feature show ''
	[ -z "$output" ]
	cat > features.yaml <<'EOF'
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: trips, path: trips.csv}
feature_views:
  - {name: driver_trips, entity: driver, source: trips, features: [{name: fare, type: float}]}
  - {name: driver_stats, entity: driver, source: trips, features: [{name: rating, type: float}]}
feature_services:
  - {name: eta, features: [driver_trips]}
EOF
	mlp -q feature apply >/dev/null
	run mlp __complete feature show ''
	[ "$(values | sort | tr '\n' ' ')" = "driver driver_stats driver_trips eta trips " ]
	has "driver_trips	feature view"
	has "eta	feature service"
	run mlp __complete feature show driver_t
	[ "$(values)" = driver_trips ]
	run mlp __complete feature show --kind v
	[ "$(values)" = view ]
	run mlp __complete feature list --kind=s
	[ "$(values | tr '\n' ' ')" = "--kind=source --kind=service " ]
	run mlp __complete feature plan ''
	[ "$output" = ":files" ]
	run mlp __complete feature apply features.yaml ''
	[ "$output" = ":files" ]
	run mlp __complete feature ''
	[ "$(values | tr '\n' ' ')" = "plan apply list show ingest dataset materialize get push compact " ]
	run mlp __complete feature ingest ''
	[ "$(values)" = trips ]
	run mlp __complete feature dataset --service ''
	[ "$(values)" = eta ]
	run mlp __complete feature dataset -f driver_trips:
	[ "$(values)" = driver_trips:fare ]
	run mlp __complete feature dataset --timestamp-format epoch_
	[ "$(values | tr '\n' ' ')" = "epoch_s epoch_ms " ]
	run mlp __complete feature materialize ''
	[ "$(values | tr '\n' ' ')" = "driver_stats driver_trips " ]
	run mlp __complete feature materialize --online ''
	[ "$(values | tr '\n' ' ')" = "sqlite: redis:// " ]
	run mlp __complete feature get ''
	[ "$(values | sort | tr '\n' ' ')" = "driver_stats driver_stats: driver_trips driver_trips: eta " ]
	run mlp __complete feature get --key ''
	[ "$(values)" = "driver_id=" ]
	run mlp __complete feature push ''
	[ "$(values | tr '\n' ' ')" = "driver_stats driver_trips " ]
	run mlp __complete feature push --to o
	[ "$(values | tr '\n' ' ')" = "online offline " ]
	run mlp __complete feature compact ''
	[ "$(values | tr '\n' ' ')" = "driver_stats driver_trips " ]
	run mlp __complete feature compact driver_stats driver_t
	[ "$(values)" = driver_trips ]
}

@test "bash: a source is a file name or a URI" {
	models
	mkdir -p sub
	touch model.json
	run bash_complete 2 mlp predict ''
	has model.json
	has sub/
	has models:/fraud/
	has runs:/
	! has :files
	run bash_complete 2 mlp predict mod
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = "model.json models:/churn/ models:/fraud/ " ]
	# bash splits "models:/f" at the ":"; readline replaces what follows
	LINE="mlp predict models:/f" run bash_complete 4 mlp predict models : /f
	[ "$(printf '%s\n' "$output" | tr '\n' ' ')" = "/fraud/ /fraud@ " ]
	LINE="mlp predict models:/fraud@" \
	    run bash_complete 5 mlp predict models : /fraud @
	[ "$output" = champion ]
	# only files: as readline completes them
	run bash_complete 3 mlp predict -i mod
	[ "$output" = model.json ]
}

@test "zsh: file names and values together" {
	command -v zsh >/dev/null || skip "zsh is not installed"
	models
	run zsh_complete mlp predict ''
	has :files
	has "models\:/fraud/ (nospace)"
	has "runs\:/ (nospace)"
}

@test "fish: file names and values together" {
	command -v fish >/dev/null || skip "fish is not installed"
	models
	touch model.json
	run fish_complete "mlp predict mod"
	has model.json
	has models:/fraud/
	! has :files
}
