#!/usr/bin/env bats
# mlp track: experiments, runs, logging, search, compare, history, plot

load helper
bats_require_minimum_version 1.5.0

setup() {
	setup_repo
}

# two runs with known ids sharing the prefix abcd
fake_runs() {
	sqlite3 .mlp/mlp.db "INSERT INTO run (uuid, experiment, name, user, status, start_time)
		VALUES ('abcd0000000000000000000000000000', 0, 'x', 'u', 'FINISHED', 1),
		       ('abcd1111111111111111111111111111', 0, 'y', 'u', 'FINISHED', 2)"
}

@test "start prints a 32-hex run id and records it RUNNING" {
	run mlp track start -n first
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{32}$ ]]
	run mlp track show "$output" --json
	[[ "$output" == *'"run_name":"first","status":"RUNNING","user_id":"tester"'* ]]
}

@test "start generates a readable name when none is given" {
	id=$(mlp track start)
	run mlp track show --json "$id"
	[[ "$output" =~ \"run_name\":\"[a-z]+-[a-z]+-[0-9]{3}\" ]]
}

@test "start records user, host, directory, command line and version" {
	id=$(mlp track start -n a --tag team=vision)
	run mlp track show "$id" --json
	[[ "$output" == *'"mlp.user":"tester"'* ]]
	[[ "$output" == *"\"mlp.source.cwd\":\"$BATS_TEST_TMPDIR/repo\""* ]]
	[[ "$output" == *'"mlp.source.cmdline":"'*'track start -n a --tag team=vision"'* ]]
	[[ "$output" == *'"mlp.version":"'* ]]
	[[ "$output" == *'"mlp.source.host":"'* ]]
	[[ "$output" == *'"team":"vision"'* ]]
	[[ "$output" != *'mlp.source.git.commit'* ]]
}

@test "start inside a git work tree records commit, branch and dirty state" {
	git init -q -b main code
	cd code
	git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one
	echo x > f && git add f && git -c user.name=t -c user.email=t@t commit -q -m two
	commit=$(git rev-parse HEAD)
	id=$(MLP_DIR=../.mlp mlp track start)
	run env MLP_DIR=../.mlp "$MLP" track show "$id" --json
	[[ "$output" == *"\"mlp.source.git.commit\":\"$commit\""* ]]
	[[ "$output" == *'"mlp.source.git.branch":"main"'* ]]
	[[ "$output" == *'"mlp.source.git.dirty":"false"'* ]]
	echo y > f
	id=$(MLP_DIR=../.mlp mlp track start)
	run env MLP_DIR=../.mlp "$MLP" track show "$id" --json
	[[ "$output" == *'"mlp.source.git.dirty":"true"'* ]]
}

@test "start into an experiment by name or id" {
	mlp track experiment create vision
	id=$(mlp track start -e vision)
	run mlp track show "$id" --json
	[[ "$output" == *'"experiment_id":"1","experiment":"vision"'* ]]
	id=$(mlp track start -e 1)
	run mlp track runs -e vision --csv
	[ "${#lines[@]}" -eq 3 ]
}

@test "start -e NEW creates the experiment, as train -e does (MLflow's set_experiment)" {
	run --separate-stderr mlp track start -e vision -n a
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"created experiment 'vision'"* ]]
	run --separate-stderr mlp track start -e vision -n b
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run mlp track runs -e vision --csv -c run_name
	[ "$(echo "$output" | tail -n +2 | sort | tr '\n' ' ')" = "a b " ]
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
	mlp train --data churn.csv --target churned -p rounds=2 -e churny \
	    >/dev/null 2>&1
	mlp train --data churn.csv --target churned -p rounds=2 -e vision \
	    >/dev/null 2>&1
	run mlp track runs -e churny --csv -c status
	[ "${lines[1]}" = FINISHED ]
	run mlp track runs -e vision --csv -c run_name
	[ "${#lines[@]}" -eq 4 ]
	[ "$(mlp track experiments --json | grep -o '"name"' | wc -l)" -eq 3 ]
}

@test "start and train refuse an unknown id and a deleted experiment alike" {
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
	# an all-digit EXP is an id, never made up
	run mlp track start -e 42
	[ "$status" -eq 1 ]
	[[ "$output" == *"no experiment named '42' and none with id 42"* ]]
	run mlp train --data churn.csv --target churned -p rounds=2 -e 42
	[ "$status" -eq 1 ]
	[[ "$output" == *"no experiment named '42' and none with id 42"* ]]
	mlp track experiment create old
	mlp track experiment rm old
	for cmd in "track start" "train --data churn.csv --target churned -p rounds=2"; do
		run mlp $cmd -e old
		[ "$status" -eq 2 ]
		[[ "$output" == *"experiment 'old' is deleted: restore it with 'mlp track experiment restore 1'"* ]]
	done
	[ "$(mlp track runs --all --csv -c run_id | wc -l)" -eq 1 ]
	mlp track experiment restore 1
	mlp track start -e old
	[ "$(mlp track experiments --json | grep -o '"name"' | wc -l)" -eq 2 ]
}

@test "start --tag without = is a usage error" {
	run mlp track start --tag novalue
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected KEY=VALUE"* ]]
}

@test "start --json" {
	run mlp track start --json
	[[ "$output" =~ ^\{\"run_id\":\"[0-9a-f]{32}\"\}$ ]]
}

@test "end sets FINISHED and an end time; --status failed and killed" {
	a=$(mlp track start); b=$(mlp track start); c=$(mlp track start)
	mlp track end "$a"
	mlp track end "$b" --status failed
	mlp track end "$c" -s KILLED
	run mlp track runs --csv --columns run_id,status,end_time
	[[ "$output" == *"$a,FINISHED,"[0-9]* ]]
	[[ "$output" == *"$b,FAILED,"[0-9]* ]]
	[[ "$output" == *"$c,KILLED,"[0-9]* ]]
}

@test "end with a bad status is a usage error" {
	a=$(mlp track start)
	run mlp track end "$a" --status done
	[ "$status" -eq 2 ]
	[[ "$output" == *"--status 'done': give finished, failed or killed"* ]]
	run mlp track end "$a" --status running
	[ "$status" -eq 2 ]
}

@test "MLP_RUN_ID names the run when RUN is omitted" {
	export MLP_RUN_ID=$(mlp track start)
	mlp track log -m loss=0.5
	mlp track end
	run mlp track show "$MLP_RUN_ID"
	[[ "$output" == *FINISHED* ]]
	[[ "$output" == *"loss"*"0.5"* ]]
}

@test "no run and no MLP_RUN_ID is a usage error" {
	run mlp track log -m a=1
	[ "$status" -eq 2 ]
	[[ "$output" == *"no run given"* ]]
}

@test "a unique prefix of 4+ digits names a run" {
	id=$(mlp track start -n pre)
	run mlp track show "${id:0:4}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"run $id"* ]]
	run mlp track show "${id:0:6}" --json
	[[ "$output" == *"\"run_id\":\"$id\""* ]]
	upper=$(echo "${id:0:8}" | tr a-f A-F)
	run mlp track show "$upper"
	[ "$status" -eq 0 ]
}

@test "an ambiguous prefix lists the candidates" {
	fake_runs
	run mlp track show abcd
	[ "$status" -eq 1 ]
	[[ "$output" == *"run id 'abcd' is ambiguous: abcd0000000000000000000000000000, abcd1111111111111111111111111111"* ]]
	run mlp track show abcd1
	[ "$status" -eq 0 ]
}

@test "unknown, short and non-hex run ids are errors" {
	run mlp track show ffff0000
	[ "$status" -eq 1 ]
	[[ "$output" == *"no run 'ffff0000'"* ]]
	run mlp track show abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"give 4 to 32 hex digits"* ]]
	run mlp track show zzzzzz
	[ "$status" -eq 2 ]
}

@test "log params, metrics with steps, and tags" {
	id=$(mlp track start)
	run mlp track log "$id" -p depth=6 -p lr=0.1 -m auc=0.8@1 -m auc=0.9@2 -t stage=dev
	[ "$status" -eq 0 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"metrics":{"auc":0.9}'* ]]
	[[ "$output" == *'"params":{"depth":"6","lr":"0.1"}'* ]]
	[[ "$output" == *'"stage":"dev"'* ]]
}

@test "params are immutable: same value is a no-op, another is an error" {
	id=$(mlp track start)
	mlp track log "$id" -p depth=6
	run mlp track log "$id" -p depth=6
	[ "$status" -eq 0 ]
	run mlp track log "$id" -p depth=7
	[ "$status" -eq 2 ]
	[[ "$output" == *"param 'depth' is already '6'"*"tried '7'"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"depth":"6"'* ]]
}

@test "a failed log writes nothing (one transaction)" {
	id=$(mlp track start)
	mlp track log "$id" -p depth=6
	run mlp track log "$id" -m first=1 -p depth=7
	[ "$status" -eq 2 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"metrics":{}'* ]]
}

@test "tags are mutable and deletable" {
	id=$(mlp track start)
	mlp track log "$id" -t stage=dev
	mlp track log "$id" -t stage=prod
	run mlp track show "$id" --json
	[[ "$output" == *'"stage":"prod"'* ]]
	mlp track log "$id" --delete-tag stage
	run mlp track show "$id" --json
	[[ "$output" != *'"stage"'* ]]
	run mlp track log "$id" --delete-tag stage
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no tag 'stage'"* ]]
}

@test "NaN and infinities are allowed metric values" {
	id=$(mlp track start)
	mlp track log "$id" -m a=nan -m b=inf -m c=-inf -m d=1e308
	run mlp track history "$id" a --csv
	[[ "$output" == *",nan,"* ]]
	run mlp track show "$id" --json
	[[ "$output" == *'"a":"NaN","b":"Infinity","c":"-Infinity","d":1e+308'* ]]
}

@test "a non-numeric metric value or step is a usage error" {
	id=$(mlp track start)
	run mlp track log "$id" -m auc=abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"metric 'auc': 'abc' is not a number"* ]]
	run mlp track log "$id" -m auc=1@x
	[ "$status" -eq 2 ]
	[[ "$output" == *"step 'x' is not an integer"* ]]
	run mlp track log "$id" -m auc
	[ "$status" -eq 2 ]
}

@test "invalid keys are refused" {
	id=$(mlp track start)
	run mlp track log "$id" -m 'a;b=1'
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid character ';'"* ]]
	run mlp track log "$id" -p '../x=1'
	[ "$status" -eq 2 ]
	long=$(printf 'k%.0s' $(seq 300))
	run mlp track log "$id" -t "$long=1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"longer than 250"* ]]
}

@test "log with nothing to log is a usage error" {
	id=$(mlp track start)
	run mlp track log "$id"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nothing to log"* ]]
}

@test "the latest metric is the greatest by (step, timestamp, value)" {
	id=$(mlp track start)
	printf '%s\n' \
		'{"metric":"m","value":5,"step":3,"timestamp":100}' \
		'{"metric":"m","value":1,"step":9,"timestamp":50}' \
		'{"metric":"m","value":7,"step":2,"timestamp":900}' \
		'{"metric":"n","value":1,"step":1,"timestamp":100}' \
		'{"metric":"n","value":2,"step":1,"timestamp":200}' \
		'{"metric":"o","value":3,"step":1,"timestamp":100}' \
		'{"metric":"o","value":4,"step":1,"timestamp":100}' \
		| mlp track log "$id" --batch -
	# a later log at an earlier step does not move it back
	mlp track log "$id" -m m=0@4
	mlp track log "$id" -m m=99@8
	run mlp track show "$id" --json
	[[ "$output" == *'"metrics":{"m":1,"n":2,"o":4}'* ]]
	run mlp track history "$id" m --csv
	[ "${#lines[@]}" -eq 6 ]
}

@test "--batch reads JSON lines and MLflow log-batch bodies" {
	id=$(mlp track start)
	cat > b.jsonl <<-EOF
	{"metric": "loss", "value": 0.5, "step": 1}
	{"param": "lr", "value": "0.01"}
	{"param": "layers", "value": 3}
	{"tag": "kind", "value": "cnn"}

	{"metric": "loss", "value": "NaN", "step": 2}
	EOF
	run mlp track log "$id" --batch b.jsonl --json
	[ "$status" -eq 0 ]
	[ "$output" = "{\"run_id\":\"$id\",\"metrics\":2,\"params\":2,\"tags\":1}" ]
	cat > body.json <<-EOF
	{
	  "run_id": "$id",
	  "metrics": [
	    {"key": "acc", "value": 0.7, "timestamp": 1700000000000, "step": 0},
	    {"key": "acc", "value": 0.8, "timestamp": 1700000001000, "step": 1}
	  ],
	  "params": [{"key": "opt", "value": "adam"}],
	  "tags": [{"key": "mlflow.note.content", "value": "from mlflow"}]
	}
	EOF
	run mlp track log "$id" --batch body.json
	[ "$status" -eq 0 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"acc":0.8'* ]]
	[[ "$output" == *'"opt":"adam"'* ]]
	[[ "$output" == *'"layers":"3"'* ]]
	[[ "$output" == *'"mlflow.note.content":"from mlflow"'* ]]
}

@test "--batch takes MLflow log-inputs bodies: datasets to filter on" {
	id=$(mlp track start)
	cat > inputs.json <<-EOF
	{"run_id": "$id", "datasets": [
	  {"dataset": {"name": "cc", "digest": "9a8b7c", "source_type": "local",
	    "source": "/data/cc.parquet", "schema": "{}"},
	   "tags": [{"key": "mlflow.data.context", "value": "training"}]},
	  {"dataset": {"name": "holdout", "digest": "1f2e3d"}}]}
	EOF
	run mlp track log "$id" --batch inputs.json
	[ "$status" -eq 0 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"mlp.dataset.training.digest":"9a8b7c"'* ]]
	[[ "$output" == *'"mlp.dataset.training.source":"/data/cc.parquet"'* ]]
	[[ "$output" == *'"mlp.dataset.input.name":"holdout"'* ]]
	run mlp track runs -f "datasets.context = 'training' AND datasets.name = 'holdout'" -c run_id
	[[ "$output" == *"$id"* ]]
	# the model registered from the run shows them as its lineage
	echo w > w.bin
	mlp track artifact "$id" w.bin --as model
	mlp register "runs:/$id/model" -n withdata >/dev/null
	run mlp register show models:/withdata/1
	[[ "$output" == *"data:      training 9a8b7c /data/cc.parquet"* ]]
	[[ "$output" == *"data:      input 1f2e3d holdout"* ]]
	run mlp register show models:/withdata/1 --json
	[[ "$output" == *'{"context":"training","digest":"9a8b7c","name":"cc","source":"/data/cc.parquet"}'* ]]
	printf '{"datasets":[{"dataset":{"name":"x"}}]}\n' > nodigest.json
	run mlp track log "$id" --batch nodigest.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 1: dataset needs a \"digest\" string"* ]]
	printf '{"datasets":[{"dataset":{"name":"x","digest":"y"},"tags":[{"key":"mlflow.data.context","value":"a.b"}]}]}\n' > dot.json
	run mlp track log "$id" --batch dot.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"dataset context 'a.b' must be"* ]]
}

@test "--batch errors name the line and write nothing" {
	id=$(mlp track start)
	printf '%s\n' '{"metric":"a","value":1}' '{"metric":"a","value":2}' \
		'{"metric":"a","value":"x"}' > bad.jsonl
	run mlp track log "$id" --batch bad.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"'bad.jsonl' line 3: metric 'a': \"value\" must be a number"* ]]
	run mlp track show "$id" --json
	[[ "$output" == *'"metrics":{}'* ]]
	printf '{"metric":"a",\n"value":1\n' > cut.jsonl
	run mlp track log "$id" --batch cut.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 1: unexpected end of input"* ]]
	printf '{"metric":"a","value":1}\nnot json\n' > junk.jsonl
	run mlp track log "$id" --batch junk.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 2: expected a JSON object"* ]]
	printf '{"what":1}\n' > odd.jsonl
	run mlp track log "$id" --batch odd.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"expected a \"metric\""* ]]
	printf '{"run_id":"0000","metrics":[]}\n' > other.json
	run mlp track log "$id" --batch other.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not the run being logged to"* ]]
	run mlp track log "$id" --batch missing.jsonl
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'missing.jsonl'"* ]]
	{ printf '{"metric":"'; head -c 70000000 /dev/zero | tr '\0' a; } > big.json
	run mlp track log "$id" -b big.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"'big.json' line 1: a JSON object larger than 64 MiB"* ]]
	rm big.json
	printf '{"metric":"a","value":1} {"metric":"b","value":[1,{"x":"}"}]}\n' > nested.jsonl
	run mlp track log "$id" --batch nested.jsonl
	[ "$status" -eq 2 ]
	[[ "$output" == *"metric 'b'"* ]]
}

@test "logging to a deleted run is refused" {
	id=$(mlp track start)
	mlp track rm "$id"
	run mlp track log "$id" -m a=1
	[ "$status" -eq 2 ]
	[[ "$output" == *"is deleted"* ]]
}

# A small population for search tests.
population() {
	a=$(mlp track start -n alpha --tag team=Vision)
	mlp track log "$a" -p depth=6 -p opt=adam -m auc=0.95 -m loss=0.20
	mlp track end "$a"
	b=$(mlp track start -n beta --tag team=nlp)
	mlp track log "$b" -p depth=8 -p opt=sgd -m auc=0.85 -m loss=0.30
	mlp track end "$b" --status failed
	c=$(mlp track start -n gamma)
	mlp track log "$c" -p depth=6 -m auc=0.91
	d=$(mlp track start -n delta)
	mlp track log "$d" -p depth=4 -m loss=nan
}

names() {
	mlp track runs --columns run_name --csv "$@" | tail -n +2 | sort | tr '\n' ' '
}

@test "runs filter: MLflow grammar" {
	population
	[ "$(names --filter "metrics.auc > 0.9 and params.depth = '6'")" = "alpha gamma " ]
	[ "$(names --filter "metrics.auc >= 0.95")" = "alpha " ]
	[ "$(names --filter "params.opt != 'adam'")" = "beta " ]
	[ "$(names --filter "tags.team LIKE 'V%'")" = "alpha " ]
	[ "$(names --filter "tags.team LIKE 'v%'")" = "" ]
	[ "$(names --filter "tags.team ILIKE 'v%'")" = "alpha " ]
	[ "$(names --filter "attributes.status = 'FAILED'")" = "beta " ]
	[ "$(names --filter "status = 'RUNNING'")" = "delta gamma " ]
	[ "$(names --filter "run_name IN ('alpha', 'delta')")" = "alpha delta " ]
	[ "$(names --filter "params.depth NOT IN ('6', '8')")" = "delta " ]
	[ "$(names --filter 'metric.loss < 1 AND param.opt = "sgd"')" = "beta " ]
	[ "$(names --filter "metrics.\`loss\` > 0")" = "alpha beta " ]
	[ "$(names --filter 'tags."team" = '"'nlp'")" = "beta " ]
}

@test "runs filter: OR, NOT and parentheses" {
	population
	[ "$(names --filter "params.depth = '4' or metrics.auc > 0.9")" = "alpha delta gamma " ]
	[ "$(names --filter "not params.depth = '6'")" = "beta delta " ]
	[ "$(names --filter "(params.depth = '6' or params.depth = '8') and not metrics.loss > 0.25")" = "alpha gamma " ]
	[ "$(names --filter "params.opt = 'adam' OR params.opt = 'sgd' AND metrics.auc > 0.9")" = "alpha " ]
}

@test "runs --order-by sorts, runs lacking the key last either way" {
	population
	run mlp track runs --order-by metrics.auc desc --columns run_name --csv
	[ "$(echo "$output" | tail -n +2 | tr '\n' ' ')" = "alpha gamma beta delta " ]
	run mlp track runs --order-by "metrics.auc ASC" --columns run_name --csv
	[ "$(echo "$output" | tail -n +2 | tr '\n' ' ')" = "beta gamma alpha delta " ]
	run mlp track runs --order-by params.depth --order-by metrics.auc desc --columns run_name --csv
	[ "$(echo "$output" | tail -n +2 | tr '\n' ' ')" = "delta alpha gamma beta " ]
}

@test "runs --limit, --columns, --csv and the default table" {
	population
	run mlp track runs --order-by metrics.auc desc --limit 2 --columns 'run_name,metrics.auc,params.depth' --csv
	[ "${lines[0]}" = "run_name,metrics.auc,params.depth" ]
	[ "${lines[1]}" = "alpha,0.95,6" ]
	[ "${lines[2]}" = "gamma,0.91,6" ]
	[ "${#lines[@]}" -eq 3 ]
	run mlp track runs --order-by metrics.auc desc
	[[ "${lines[0]}" == "RUN"*"NAME"*"STATUS"*"STARTED"*"DURATION"*"metrics.auc" ]]
	[[ "${lines[1]}" == *alpha*FINISHED*0.95 ]]
	run mlp track runs --limit 0
	[ "${#lines[@]}" -eq 1 ]
}

@test "runs --json has MLflow's field names" {
	population
	run mlp track runs --json --filter "run_name = 'alpha'"
	[ "$status" -eq 0 ]
	[[ "$output" == '[{"run_id":"'* ]]
	[[ "$output" == *'"run_name":"alpha","status":"FINISHED"'* ]]
	[[ "$output" == *'"metrics":{"auc":0.95,"loss":0.2},"params":{"depth":"6","opt":"adam"}'* ]]
}

@test "a malformed filter prints a caret under the column and exits 2" {
	population
	run mlp track runs --filter "metrics.auc > 0.9 and params.depth == '6'"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "mlp: track runs: bad --filter: "* ]]
	[ "${lines[1]}" = "  metrics.auc > 0.9 and params.depth == '6'" ]
	[ "${lines[2]}" = "                                      ^" ]
	run --separate-stderr mlp track runs --csv --filter "metrics.auc > 'x'"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run mlp track runs --filter "params.depth > 5"
	[ "$status" -eq 2 ]
	run mlp track runs --filter "(metrics.auc > 1"
	[ "$status" -eq 2 ]
	run mlp track runs --filter "nosuch = 'x'"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown attribute 'nosuch'"* ]]
	run mlp track runs --order-by "metrics."
	[ "$status" -eq 2 ]
	run mlp track runs --limit -3
	[ "$status" -eq 2 ]
}

@test "runs -e, --deleted and --all" {
	mlp track experiment create other
	a=$(mlp track start -e other -n inother)
	b=$(mlp track start -n indefault)
	[ "$(names -e other)" = "inother " ]
	[ "$(names)" = "indefault inother " ]
	mlp track rm "$b"
	[ "$(names)" = "inother " ]
	[ "$(names --deleted)" = "indefault " ]
	[ "$(names --all)" = "indefault inother " ]
	mlp track restore "$b"
	[ "$(names)" = "indefault inother " ]
	run mlp track runs -e nope
	[ "$status" -eq 1 ]
}

@test "deleting an experiment hides its runs; gc removes them" {
	mlp track experiment create tmp
	a=$(mlp track start -e tmp -n gone)
	mlp track log "$a" -m x=1
	mlp track experiment rm tmp
	[ "$(names)" = "" ]
	run mlp track gc --older-than 1d
	[[ "$output" == *"removed 0 runs and 0 experiments"* ]]
	run mlp track gc --json
	[ "$output" = '{"runs":1,"experiments":1}' ]
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM metric')" -eq 0 ]
	run mlp track experiments --all
	[[ "$output" != *tmp* ]]
}

@test "rm, restore and gc of runs" {
	a=$(mlp track start)
	mlp track log "$a" -m x=1 -p p=1 -t t=1
	mlp track rm "$a"
	run mlp track rm "$a"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is deleted already"* ]]
	run mlp track show "$a"
	[[ "$output" == *"(deleted)"* ]]
	mlp track gc
	run mlp track show "$a"
	[ "$status" -eq 1 ]
	for t in metric latest_metric param tag run; do
		[ "$(sqlite3 .mlp/mlp.db "SELECT count(*) FROM $t")" -eq 0 ]
	done
	run mlp track gc --older-than soon
	[ "$status" -eq 2 ]
}

@test "experiments: list, create, rename, rm, restore" {
	run mlp track experiment create vision
	[ "$output" = 1 ]
	run mlp track experiment create vision
	[ "$status" -eq 1 ]
	[[ "$output" == *"experiment 'vision' already exists"* ]]
	mlp track experiment rename vision cv
	run mlp track experiments
	[[ "$output" == *"Default"* ]]
	[[ "$output" == *"cv"* ]]
	run mlp track experiments --json
	[[ "$output" == *'"experiment_id":"1","name":"cv","lifecycle_stage":"active"'* ]]
	mlp track experiment rm cv
	run mlp track experiments
	[[ "$output" != *"cv"* ]]
	run mlp track experiments --deleted
	[[ "$output" == *"cv"* ]]
	mlp track experiment restore cv
	run mlp track experiments
	[[ "$output" == *"cv"* ]]
}

@test "experiment errors" {
	run mlp track experiment rm Default
	[ "$status" -eq 2 ]
	[[ "$output" == *"Default experiment cannot be deleted"* ]]
	run mlp track experiment rename nope x
	[ "$status" -eq 1 ]
	mlp track experiment create a
	mlp track experiment create b
	run mlp track experiment rename a b
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	run mlp track experiment create ""
	[ "$status" -eq 2 ]
	run mlp track experiment create
	[ "$status" -eq 2 ]
	run mlp track experiment restore a
	[ "$status" -eq 2 ]
	[[ "$output" == *"is active already"* ]]
}

@test "show prints attributes, params, latest metrics and tags" {
	id=$(mlp track start -n shown)
	mlp track log "$id" -p depth=6 -m auc=0.9@3 -t k=v
	run mlp track show "$id"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "run $id" ]]
	[[ "$output" == *"name:        shown"* ]]
	[[ "$output" == *"depth"*"6"* ]]
	[[ "$output" == *"auc"*"0.9"*"step 3"* ]]
	run mlp track show
	[ "$status" -eq 2 ]
}

@test "compare shows runs side by side and marks differences" {
	a=$(mlp track start -n a); b=$(mlp track start -n b)
	mlp track log "$a" -p depth=6 -p lr=0.1 -m auc=0.9
	mlp track log "$b" -p depth=8 -p lr=0.1 -m auc=0.9 -m loss=1
	run mlp track compare "$a" "$b"
	[ "$status" -eq 0 ]
	[[ "$output" == *"*  params.depth  6"*"8"* ]]
	[[ "$output" == *"   params.lr     0.1"*"0.1"* ]]
	[[ "$output" == *"   metrics.auc   0.9"* ]]
	[[ "$output" == *"*  metrics.loss  -"*"1"* ]]
	run mlp track compare "$a" "$b" --json
	[[ "$output" == *'"params":{"depth":["6","8"],"lr":["0.1","0.1"]}'* ]]
	[[ "$output" == *'"differs":["params.depth","metrics.loss"]'* ]]
	run mlp track compare "$a"
	[ "$status" -eq 2 ]
	run mlp track compare "$a" ffff9999
	[ "$status" -eq 1 ]
}

@test "history prints every point in step order" {
	id=$(mlp track start)
	mlp track log "$id" -m loss=0.3@2 -m loss=0.5@0 -m loss=0.4@1
	run mlp track history "$id" loss --csv
	[ "${lines[0]}" = "step,value,timestamp" ]
	[[ "${lines[1]}" == "0,0.5,"* ]]
	[[ "${lines[3]}" == "2,0.3,"* ]]
	run mlp track history "$id" loss --json
	[[ "$output" == '[{"key":"loss","value":0.5,"step":0,'* ]]
	run mlp track history "$id" nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no metric 'nosuch'"* ]]
}

@test "plot draws in the terminal and writes SVG" {
	a=$(mlp track start -n a); b=$(mlp track start -n b)
	for s in 0 1 2 3 4 5; do
		mlp track log "$a" -m loss=$(awk "BEGIN { print 1 / ($s + 1) }")@$s
		mlp track log "$b" -m loss=$(awk "BEGIN { print 2 / ($s + 2) }")@$s
	done
	run mlp track plot "$a" "$b" -m loss
	[ "$status" -eq 0 ]
	[[ "$output" == *"⠀"* || "$output" == *"⠁"* || "$output" == *"⣀"* || "$output" =~ [⠁-⣿] ]]
	[[ "$output" == *"${a:0:8} a"* ]]
	[[ "$output" != *$'\033['* ]]
	run mlp track plot "$a" "$b" -m loss --svg out.svg
	[ "$status" -eq 0 ]
	head -c 200 out.svg | grep -q '<svg'
	[ "$(grep -c '<polyline' out.svg)" -eq 2 ]
	mlp track plot "$a" -m loss --svg - | grep -q '<svg'
	mlp track plot "$a" -m loss --svg /dev/stdout | grep -q '<svg'
	[ -L /dev/stdout ]
	run mlp track plot "$a" -m loss --svg no/such/dir/p.svg
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot create 'no/such/dir/p.svg': No such file or directory"* ]]
	run mlp track plot "$a" -m nosuch
	[ "$status" -eq 1 ]
	run mlp track plot "$a"
	[ "$status" -eq 2 ]
	run mlp track plot "$a" -m loss --width 0
	[ "$status" -eq 2 ]
}

@test "8 processes logging at once: no lock error, no lost point" {
	ids=()
	for i in 1 2 3 4 5 6 7 8; do ids+=("$(mlp track start -n p$i)"); done
	for i in 0 1 2 3 4 5 6 7; do
		(
			for s in $(seq 1 25); do
				mlp track log "${ids[$i]}" -m x=$s@$s -m y=$i@$s || exit 1
			done
			seq 1 500 | awk '{ printf "{\"metric\":\"z\",\"value\":%d,\"step\":%d}\n", $1, $1 }' |
				mlp track log "${ids[$i]}" --batch - || exit 1
		) > "log$i" 2>&1 &
	done
	fail=0
	for j in $(jobs -p); do wait "$j" || fail=1; done
	cat log*
	[ "$fail" -eq 0 ]
	! grep -qi "locked" log*
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM metric')" -eq $((8 * (50 + 500))) ]
	[ "$(sqlite3 .mlp/mlp.db "SELECT count(*) FROM latest_metric WHERE step = 25 OR step = 500")" -eq 24 ]
}

@test "every verb has -h" {
	for v in start end log runs show compare history plot rm restore gc experiments; do
		run mlp track $v -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: mlp track $v"* ]]
	done
	run mlp track experiment create -h
	[ "$status" -eq 0 ]
	run mlp track
	[ "$status" -eq 2 ]
	run mlp track -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"verbs:"* ]]
}

@test "unknown options and extra arguments are usage errors" {
	run mlp track runs --nope
	[ "$status" -eq 2 ]
	run mlp track runs extra
	[ "$status" -eq 2 ]
	run mlp track start extra
	[ "$status" -eq 2 ]
	run mlp track runs --filter
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs a value"* ]]
}

@test "artifacts: files and directories, --as, listing, JSON" {
	id=$(mlp track start)
	echo a > notes.txt
	mkdir -p plots && echo p > plots/loss.svg
	run mlp track artifact "$id" notes.txt plots
	[ "$status" -eq 0 ]
	run mlp track artifact "$id" notes.txt --as docs/readme.txt
	[ "$status" -eq 0 ]
	run mlp track artifacts "$id"
	[[ "${lines[1]}" == "docs/readme.txt"*"file"* ]]
	[[ "${lines[2]}" == "notes.txt"*"file"* ]]
	[[ "${lines[3]}" == "plots"*"dir"* ]]
	run mlp track artifacts "$id" --json
	[[ "$output" == *"\"uri\":\"runs:/$id/plots\",\"is_dir\":true"* ]]
	export MLP_RUN_ID=$id
	echo b > more.txt
	run mlp track artifact more.txt
	[ "$status" -eq 0 ]
	run mlp track artifacts
	[[ "$output" == *more.txt* ]]
}

@test "artifact bad input" {
	id=$(mlp track start)
	run mlp track artifact "$id" missing.txt
	[ "$status" -eq 1 ]
	run mlp track artifact "$id"
	[ "$status" -eq 2 ]
	echo x > a; echo y > b
	run mlp track artifact "$id" a b --as c
	[ "$status" -eq 2 ]
	run mlp track artifact "$id" a --as ../up
	[ "$status" -eq 2 ]
	run mlp track artifact ffff0000 a
	[ "$status" -eq 1 ]
}

@test "integers print as integers in tables and CSV; NaN prints as show prints it" {
	id=$(mlp track start -n t)
	mlp track end "$id"
	# times that end in 0 (%g would print 1.79629373156e+12)
	sqlite3 .mlp/mlp.db "UPDATE run SET start_time = 1796293731560,
		end_time = 1796293800000"
	mlp track log "$id" -m n=nan -m big=1000000 -m t=1796293731560 -m x=0.25
	run mlp track runs --csv -c start_time,end_time,metrics.big,metrics.t,metrics.n,metrics.none
	[ "${lines[1]}" = "1796293731560,1796293800000,1000000,1796293731560,nan," ]
	run mlp track runs -c start_time,end_time,metrics.big,metrics.n,metrics.none
	[[ "${lines[1]}" =~ ^1796293731560\ +1796293800000\ +1000000\ +nan\ *$ ]]
	run mlp track runs --csv
	[[ "${lines[1]}" == *",1796293731560,68440" ]]
	run mlp track show "$id"
	[[ "$output" == *"big                      1000000 "* ]]
	[[ "$output" == *"n                        nan "* ]]
	run mlp track history "$id" t --csv
	[[ "${lines[1]}" == "0,1796293731560,"* ]]
	# JSON keeps numbers as numbers
	run mlp track show "$id" --json
	[[ "$output" == *'"start_time":1796293731560,"end_time":1796293800000'* ]]
}

@test "a subnormal metric is a float64; a literal past DBL_MAX is refused" {
	id=$(mlp track start)
	run mlp track log "$id" -m d=1e-320 -m z=1e-400
	[ "$status" -eq 0 ]
	run mlp track show "$id" --json
	[[ "$output" == *'"d":9.9998'*'e-321'* ]]
	[[ "$output" == *'"z":0'* ]]
	run mlp track history "$id" d --csv
	[[ "${lines[1]}" == "0,9.99989e-321,"* ]]
	for v in 1e400 -1e400; do
		run mlp track log "$id" -m "o=$v"
		[ "$status" -eq 2 ]
		[[ "$output" == *"metric 'o': '$v' is out of range for a 64-bit float (write inf for infinity)"* ]]
	done
	for body in '{"metric":"o","value":1e400}' '{"metric":"o","value":"-1e999"}' \
	    '{"metrics":[{"key":"o","value":1e309}]}'; do
		run mlp track log "$id" --batch - <<<"$body"
		[ "$status" -eq 2 ]
		[[ "$output" == *"'stdin' line 1: metric 'o': \"value\" is out of range"* ]]
	done
	mlp track log "$id" -m i=inf -m j=-Infinity -m k=NaN
	mlp track log "$id" --batch - <<<'{"metric":"l","value":"inf"}'
	run mlp track show "$id" --json
	[[ "$output" == *'"i":"Infinity","j":"-Infinity","k":"NaN","l":"Infinity"'* ]]
	[[ "$output" != *'"o"'* ]]
}

@test "control characters in names and values are escaped in tables, kept in CSV and JSON" {
	a=$(mlp track start -n $'two\nlines\tand tab' -t $'note=a\nb')
	b=$(mlp track start -n $'bell\a')
	mlp track log "$a" -p $'p=x\ty'
	mlp track log "$b" -p 'p=z'
	run mlp track runs -c run_name,tags.note
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *'two\nlines\tand tab  a\nb'* ]]
	[[ "$output" == *'bell\x07'* ]]
	run mlp track show "$a"
	[[ "$output" == *'name:        two\nlines\tand tab'$'\n'* ]]
	[[ "$output" == *'p                        x\ty'$'\n'* ]]
	run mlp track compare "$a" "$b"
	[[ "$output" == *'two\nlines\tand tab'* ]]
	[[ "$output" == *'x\ty'* ]]
	[ "${#lines[@]}" -eq 4 ]
	mlp track log "$a" -m m=1
	mlp track log "$b" -m m=2
	run mlp track plot "$a" "$b" -m m
	[[ "$output" == *'two\nlines\tand tab'* ]]
	# CSV and JSON keep the real text
	run mlp track runs --csv -c run_name --filter "run_name LIKE 'two%'"
	[ "$output" = $'run_name\n"two\nlines\tand tab"' ]
	run mlp track show "$a" --json
	[[ "$output" == *'"run_name":"two\nlines\tand tab"'* ]]
}

@test "duration_ms of a running run is its time so far, as the table shows" {
	id=$(mlp track start)
	sqlite3 .mlp/mlp.db "UPDATE run SET start_time = start_time - 7200000"
	run mlp track runs --csv
	d=${lines[1]##*,}
	[ "$d" -ge 7200000 ]
	run mlp track runs
	[[ "${lines[1]}" == *RUNNING*2h0* ]]
}

@test "history lines up values of every length" {
	id=$(mlp track start)
	mlp track log "$id" -m v=0.1@0 -m v=0.12345678901234568@1 \
	    -m v=-1.2345678901234567e-300@2 -m v=12345678901234567890@3
	run mlp track history "$id" v
	[ "${#lines[@]}" -eq 5 ]
	# every line as long as the header: the columns line up
	for l in "${lines[@]:1}"; do
		[ "${#l}" -eq "${#lines[1]}" ]
	done
	[[ "${lines[0]}" =~ ^STEP\ +VALUE\ +TIME$ ]]
	[[ "${lines[4]}" == *" 1.2345678901234567e+19  "* ]]
}

@test "counts of one are singular" {
	a=$(mlp track start)
	run mlp track log -v "$a" -m m=1 -p p=1 -t t=1
	[[ "$output" == "logged 1 metric point, 1 param, 1 tag to $a" ]]
	run mlp track log -v "$a" -m m=2 -m m=3
	[[ "$output" == "logged 2 metric points, 0 params, 0 tags to $a" ]]
	mlp track rm "$a"
	run mlp track gc
	[ "$output" = "removed 1 run and 0 experiments" ]
	mlp track experiment create e
	mlp track experiment rm e
	b=$(mlp track start); c=$(mlp track start)
	mlp track rm "$b" "$c"
	run mlp track gc
	[ "$output" = "removed 2 runs and 1 experiment" ]
}

@test "a filter error echoes at most a line of a huge filter" {
	big=$(head -c 70000 /dev/zero | tr '\0' 'x')
	run mlp track runs --filter "$big"
	[ "$status" -eq 2 ]
	[[ "$output" == *"filter too long (at most 65536 bytes)"* ]]
	[ "${#output}" -lt 400 ]
	[ "${#lines[@]}" -eq 3 ]
	long=$(printf 'metrics.a > 1 AND %.0s' $(seq 2000))
	run mlp track runs --filter "${long}nosuch = 1"
	[ "$status" -eq 2 ]
	[ "${#output}" -lt 600 ]
	[[ "${lines[1]}" == "  ..."*"AND nosuch = 1" ]]
	# the caret stays under the column at fault
	caret=${lines[2]%^}
	[ "${lines[1]:${#caret}:6}" = nosuch ]
	run mlp track runs --order-by "$(head -c 5000 /dev/zero | tr '\0' 'y') desc x"
	[ "$status" -eq 2 ]
	[ "${#output}" -lt 600 ]
}

# json_ok: stdin is one JSON document of valid UTF-8 (decoded strictly, not
# as the locale would)
json_ok() {
	python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))'
}

# json_ok_id: checks stdin as json_ok does and prints its "run_id"
json_ok_id() {
	python3 -c 'import json, sys; print(json.loads(sys.stdin.buffer.read().decode("utf-8"))["run_id"])'
}

@test "text that is not UTF-8 is refused wherever tracking stores it, naming the field" {
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
	bad=$'caf\xe9'
	id=$(mlp track start -n good)
	mlp track experiment create fine
	# each: exit 2 and the field named, nothing stored
	while IFS='|' read -r want cmd; do
		eval "run $cmd"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$want"*"is not valid UTF-8"* ]]
	done <<-EOF2
	experiment name|mlp track experiment create "\$bad"
	experiment name|mlp track experiment rename fine "\$bad"
	experiment name|mlp track start -e "\$bad"
	run name|mlp track start -n "\$bad"
	tag 't'|mlp track start -t "t=\$bad"
	user|env MLP_USER="\$bad" "\$MLP" track start
	param 'p'|mlp track log "\$id" -p "p=\$bad"
	tag 't'|mlp track log "\$id" -t "t=\$bad"
	run name|mlp train --data churn.csv --target churned -p rounds=2 -n "\$bad"
	experiment name|mlp train --data churn.csv --target churned -p rounds=2 -e "\$bad"
	EOF2
	# keys are ASCII (MLflow's rule): a byte past it is an invalid character
	run mlp track log "$id" -p "k$bad=1"
	[ "$status" -eq 2 ]
	run mlp track log "$id" -m "m$bad=1"
	[ "$status" -eq 2 ]
	# batch bodies: JSON lines, MLflow log-batch and log-inputs
	for body in "{\"param\":\"p\",\"value\":\"$bad\"}" \
	    "{\"tag\":\"t\",\"value\":\"$bad\"}" \
	    "{\"metric\":\"m$bad\",\"value\":1}" \
	    "{\"params\":[{\"key\":\"p\",\"value\":\"$bad\"}]}" \
	    "{\"tags\":[{\"key\":\"t\",\"value\":\"$bad\"}]}" \
	    "{\"datasets\":[{\"dataset\":{\"name\":\"$bad\",\"digest\":\"d\"}}]}"; do
		run mlp track log "$id" --batch - <<<"$body"
		[ "$status" -eq 2 ]
		[[ "$output" == *"'stdin' line 1: "* ]]
	done
	run mlp track log "$id" --batch - <<<"{\"tag\":\"t\",\"value\":\"$bad\"}"
	[[ "$output" == *"tag 't' value 'caf\\xe9' is not valid UTF-8"* ]]
	# artifact names: --as, and a file's own name (the hint says --as)
	echo x > "$bad"
	run mlp track artifact "$id" x --as "d/$bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"artifact name"*"is not valid UTF-8"* ]]
	run mlp track artifact "$id" "$bad"
	[ "$status" -eq 2 ]
	[[ "$output" == *"hint: name it in the run with --as NAME"* ]]
	mlp track artifact "$id" "$bad" --as cafe
	# nothing of the above was stored: one run, two experiments
	[ "$(mlp track runs --all --csv -c run_id | wc -l)" -eq 2 ]
	[ "$(mlp track experiments --json | grep -o '"name"' | wc -l)" -eq 2 ]
	mlp track show "$id" --json | json_ok
}

@test "--json output of every track verb is valid UTF-8 JSON" {
	mlp track experiment create 'café ☕' --json | json_ok
	a=$(mlp track start -e 'café ☕' -n $'naïve\n"quoted"\tand\\back' \
	    -t $'note=multi\nline é' --json | json_ok_id)
	b=$(mlp track start -n 'β run' --json | json_ok_id)
	mlp track log "$a" -p 'lr=0.1 ✓' -m loss=0.5@0 -m loss=nan@1 -m inf=inf --json | json_ok
	mlp track log "$b" -p 'lr=0.2 ✗' -m loss=0.25 --json | json_ok
	echo x > 'fichier é.txt'
	mlp track artifact "$a" 'fichier é.txt' --json
	# what is not UTF-8 never gets in to spoil the output
	mlp track log "$b" -t $'bad=\xff' -p $'bad=\xfe' 2>/dev/null || :
	mlp track start -n $'\xc3(' 2>/dev/null || :
	mlp track end "$b" --json
	for cmd in "runs" "runs --all" "runs -c run_name,params.lr,metrics.loss" \
	    "show $a" "show $b" "compare $a $b" "history $a loss" \
	    "artifacts $a" "experiments" "experiments --all" "gc"; do
		run --separate-stderr mlp track $cmd --json
		[ "$status" -eq 0 ]
		[ -n "$output" ]
		printf '%s' "$output" | json_ok
	done
	run mlp track show "$a" --json
	[[ "$output" == *'"run_name":"naïve\n\"quoted\"\tand\\back"'* ]]
	# the verbs that print nothing print nothing under --json either
	for cmd in "end $a" "rm $b" "restore $b" "experiment rename 1 ok" \
	    "experiment rm ok" "experiment restore ok"; do
		run --separate-stderr mlp track $cmd --json
		[ "$status" -eq 0 ]
		[ -z "$output" ] || printf '%s' "$output" | json_ok
	done
}

@test "runs and registry events record user.name, else the login name; MLP_USER first" {
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
	unset MLP_USER
	export USER=login
	run mlp track show "$(mlp track start)" --json
	[[ "$output" == *'"user_id":"login"'* ]]
	[[ "$output" == *'"mlp.user":"login"'* ]]
	mlp config --global user.name 'Grace Hopper'
	run mlp track show "$(mlp track start)" --json
	[[ "$output" == *'"user_id":"Grace Hopper"'* ]]
	# the repository's level wins over the global one, as git's does
	mlp config user.name 'Ada Lovelace'
	run mlp track show "$(mlp track start)" --json
	[[ "$output" == *'"user_id":"Ada Lovelace"'* ]]
	[[ "$output" == *'"mlp.user":"Ada Lovelace"'* ]]
	mlp train --data churn.csv --target churned -p rounds=2 --register m \
	    >/dev/null 2>&1
	run mlp track runs --csv -c user_id --filter "status = 'FINISHED'"
	[ "${lines[1]}" = "Ada Lovelace" ]
	run mlp register show models:/m/1 --json
	[[ "$output" == *'"user_id":"Ada Lovelace"'* ]]
	mlp register alias m prod 1
	run mlp register history m --json
	[[ "$output" == *'"user":"Ada Lovelace"'* ]]
	MLP_USER=ci mlp register alias m staging 1
	run mlp register history m --json
	[[ "$output" == *'"user":"ci"'* ]]
	run env MLP_USER=ci "$MLP" track show "$(MLP_USER=ci mlp track start)" --json
	[[ "$output" == *'"user_id":"ci"'* ]]
}

# the identity tags of the process pid as mlp records it
proc_tags() {
	local start boot
	start=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)
	boot=$(cat /proc/sys/kernel/random/boot_id)
	echo "$start $boot"
}

# fake_owner RUN HOST PID START: the run as recorded by a process
fake_owner() {
	sqlite3 .mlp/mlp.db "INSERT OR REPLACE INTO tag (run, key, value)
		SELECT id, 'mlp.source.host', '$2' FROM run WHERE uuid = '$1';
		INSERT OR REPLACE INTO tag (run, key, value)
		SELECT id, 'mlp.source.pid', '$3' FROM run WHERE uuid = '$1';
		INSERT OR REPLACE INTO tag (run, key, value)
		SELECT id, 'mlp.source.pid.start', '$4' FROM run WHERE uuid = '$1'"
}

status_of() {
	sqlite3 .mlp/mlp.db "SELECT status FROM run WHERE uuid = '$1'"
}

@test "a run whose mlp train was killed (kill -9) is KILLED, not RUNNING forever" {
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
	run env MLP_TEST_KILL_AT=3 "$MLP" train --data churn.csv \
	    --target churned -p rounds=6 --checkpoint-every 1
	[ "$status" -eq 137 ]
	r=$(sqlite3 .mlp/mlp.db "SELECT uuid FROM run")
	[ "$(status_of "$r")" = RUNNING ]
	run mlp track show "$r" --json
	[[ "$output" == *'"mlp.source.pid":"'[0-9]* ]]
	[[ "$output" == *'"mlp.source.pid.start":"'[0-9]* ]]
	[[ "$output" == *'"status":"KILLED"'* ]]
	[[ "$output" == *'"mlp.error":"its process (pid '[0-9]*" on $(uname -n)) ended without ending the run"* ]]
	[[ "$output" != *'"end_time":null'* ]]
	run mlp track runs --csv -c run_id,status
	[ "${lines[1]}" = "$r,KILLED" ]
	# resumed, it runs (and is recorded) again, and finishes
	run mlp train --resume "$r"
	[ "$status" -eq 0 ]
	run mlp track runs --csv -c status
	[ "${lines[1]}" = FINISHED ]
}

@test "reconcile: runs, show and train status end only runs whose process on this host is gone" {
	host=$(uname -n)
	live=$(mlp track start -n live)
	reused=$(mlp track start -n reused)
	dead=$(mlp track start -n dead)
	elsewhere=$(mlp track start -n elsewhere)
	manual=$(mlp track start -n manual)
	done_=$(mlp track start -n done)
	mlp track end "$done_"
	# a process that is gone
	sh -c 'exit 0' & gone=$!
	wait "$gone"
	fake_owner "$live" "$host" $$ "$(proc_tags $$)"
	fake_owner "$reused" "$host" $$ "1 $(cat /proc/sys/kernel/random/boot_id)"
	fake_owner "$dead" "$host" "$gone" "$(proc_tags $$)"
	fake_owner "$elsewhere" "other-host.example" "$gone" "1"
	fake_owner "$done_" "$host" "$gone" "1"
	run mlp track runs --csv -c run_name,status --order-by run_name
	[ "$output" = "run_name,status
dead,KILLED
done,FINISHED
elsewhere,RUNNING
live,RUNNING
manual,RUNNING
reused,KILLED" ]
	# show and train status reconcile too
	again=$(mlp track start -n again)
	fake_owner "$again" "$host" "$gone" "1"
	mlp track show "$again" >/dev/null
	[ "$(status_of "$again")" = KILLED ]
	again=$(mlp track start -n again2)
	fake_owner "$again" "$host" "$gone" "1"
	mlp train status "$again" >/dev/null 2>&1 || :
	[ "$(status_of "$again")" = KILLED ]
}
