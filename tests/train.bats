#!/usr/bin/env bats
# mlp train: built-in learners as tracked runs

load helper

setup() {
	setup_repo
	EX="$BATS_TEST_DIRNAME/../share/examples/train"
	cp "$EX"/churn.csv "$EX"/houses.csv "$EX"/flowers.csv .
}

# the run id of the last line "runs:/RUN/model"
run_of() {
	printf '%s\n' "$1" | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p' | tail -n 1
}

@test "train -h lists the verbs; train run -h the learner options" {
	run mlp train -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"run"*"status"*"logs"*"cancel"* ]]
	run mlp train run -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--valid-fraction"* ]]
	[[ "$output" == *"--register"* ]]
}

@test "train outside a repository says so" {
	cd "$BATS_TEST_TMPDIR"
	mkdir out && cd out
	run mlp train --data x.csv --target y
	[ "$status" -ne 0 ]
	[[ "$output" == *"not an mlp repository"* || "$output" == *"no .mlp"* ]]
}

@test "gbdt from flags: a finished run with params, metrics, digest and model" {
	run mlp train --data churn.csv --target churned --valid-fraction 0.2 \
	    -p rounds=20 -p max_depth=4 -p learning_rate=0.3 -e churn -n first
	[ "$status" -eq 0 ]
	r=$(run_of "$output")
	[ -n "$r" ]
	run mlp track show "$r" --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"status":"FINISHED"'* ]]
	[[ "$output" == *'"algo":"gbdt"'* ]]
	[[ "$output" == *'"rounds":"20"'* ]]
	[[ "$output" == *'"max_depth":"4"'* ]]
	[[ "$output" == *'"lambda":"1"'* ]]
	[[ "$output" == *'"mlp.dataset.train.digest":"'$(sha256sum churn.csv | cut -c1-64)'"'* ]]
	[[ "$output" == *'"valid_auc"'* ]]
	[[ "$output" == *'"train_logloss"'* ]]
	# a point per iteration, and the final metrics one step after
	run mlp track history "$r" valid_logloss --json
	[ "$(printf '%s' "$output" | grep -o '"step"' | wc -l)" -eq 21 ]
	run mlp track artifacts "$r"
	[[ "$output" == *"model"* ]]
	# split counts per feature, as MLflow's XGBoost autologging logs them
	mlp register checkout "runs:/$r/feature_importance_weight.json" fi.json
	grep -Eq '^\{"[a-z_]+":[1-9][0-9]*(,"[a-z_]+":[1-9][0-9]*)*\}$' fi.json
	grep -q '"tenure":' fi.json
	mlp register checkout "runs:/$r/model" m
	grep -q 'flavors:' m/MLmodel
	grep -q 'run_id: '"$r" m/MLmodel
	grep -q 'signature:' m/MLmodel
	[ -f m/model.json ]
}

@test "runs are found by their datasets: name, digest, context" {
	mlp train --data churn.csv --target churned -p rounds=3 -n c >/dev/null
	mlp train --data houses.csv --target price --algo linear \
	    --valid-fraction 0.2 -n h >/dev/null
	names() { mlp track runs -f "$1" -c run_name | tail -n +2 | sort | tr '\n' ' '; }
	[ "$(names "datasets.name = 'churn.csv'")" = "c " ]
	[ "$(names "datasets.digest = '$(sha256sum houses.csv | cut -c1-64)'")" = "h " ]
	[ "$(names "datasets.context = 'valid'")" = "h " ]
	[ "$(names "datasets.name LIKE '%.csv' AND NOT datasets.context = 'valid'")" = "c " ]
	mlp train --data - --target churned -p rounds=2 -n s < churn.csv >/dev/null
	[ "$(names "datasets.name = 'stdin'")" = "s " ]
	[ "$(names "datasets.digest = '$(sha256sum churn.csv | cut -c1-64)'")" = "c s " ]
	run mlp track runs -f "datasets.rows = '3'"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown dataset field"*"datasets.context"* ]]
	run mlp track runs -o datasets.name
	[ "$status" -eq 2 ]
	[[ "$output" == *"only in a filter"* ]]
}

@test "the held-out AUC of gbdt on the example data is good" {
	run mlp -q train --data churn.csv --target churned --valid-fraction 0.25 \
	    -p rounds=40 -p max_depth=3 -p learning_rate=0.2 --json
	[ "$status" -eq 0 ]
	auc=$(printf '%s' "$output" | sed 's/.*"valid_auc":\([0-9.e-]*\).*/\1/')
	awk -v a="$auc" 'BEGIN { exit !(a > 0.7) }'
}

@test "a spec file, -p over its params, registered with an alias" {
	cat > spec.yaml <<'YAML'
experiment: churn
name: from-spec
data: churn.csv
target: churned
valid_fraction: 0.2
algo: gbdt
params:
  rounds: 10
  max_depth: 3
register:
  name: churn
  aliases: [candidate]
YAML
	run mlp train spec.yaml -p rounds=7
	[ "$status" -eq 0 ]
	[[ "$output" == *"models:/churn/1"* ]]
	r=$(run_of "$output")
	run mlp track show "$r" --json
	[[ "$output" == *'"rounds":"7"'* ]]
	[[ "$output" == *'"max_depth":"3"'* ]]
	run mlp track artifacts "$r"
	[[ "$output" == *"spec.yaml"* ]]
	run mlp register show models:/churn@candidate --json
	[ "$status" -eq 0 ]
	[[ "$output" == *"$r"* ]]
	# lineage: the data the run read, by digest
	[[ "$output" == *'"datasets":[{"context":"train","digest":"'$(sha256sum churn.csv | cut -c1-64)'"'* ]]
	run mlp register show models:/churn/1
	[[ "$output" == *"data:      train $(sha256sum churn.csv | cut -c1-12) "* ]]
}

@test "paths in a spec are relative to the spec's directory" {
	mkdir -p conf
	printf 'data: ../churn.csv\ntarget: churned\nparams: {rounds: 3}\n' > conf/s.yaml
	run mlp train conf/s.yaml
	[ "$status" -eq 0 ]
}

@test "linear regression and logistic regression" {
	run mlp -q train --data houses.csv --target price --algo linear \
	    --valid-fraction 0.2 --json
	[ "$status" -eq 0 ]
	r2=$(printf '%s' "$output" | sed 's/.*"valid_r2":\([0-9.e-]*\).*/\1/')
	awk -v a="$r2" 'BEGIN { exit !(a > 0.8) }'
	run mlp -q train --data churn.csv --target churned --algo logistic \
	    --valid-fraction 0.2 --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"valid_auc"'* ]]
	# no split counts for a linear model
	r=$(printf '%s' "$output" | sed 's/.*"run_id":"\([0-9a-f]*\)".*/\1/')
	run mlp track artifacts "$r"
	[ "$status" -eq 0 ]
	[[ "$output" == *model* ]]
	[[ "$output" != *feature_importance* ]]
}

@test "multi-class gbdt" {
	run mlp -q train --data flowers.csv --target species --valid-fraction 0.2 \
	    -p objective=multi:softprob -p num_class=3 -p rounds=10 --json
	[ "$status" -eq 0 ]
	acc=$(printf '%s' "$output" | sed 's/.*"valid_maccuracy":\([0-9.e-]*\).*/\1/')
	awk -v a="$acc" 'BEGIN { exit !(a > 0.85) }'
}

@test "early stopping keeps the best iteration" {
	run mlp -q train --data churn.csv --target churned --valid-fraction 0.3 \
	    -p rounds=300 -p learning_rate=0.5 -p max_depth=6 \
	    -p early_stopping_rounds=5 --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"best_iteration":'* ]]
	it=$(printf '%s' "$output" | sed 's/.*"iterations":\([0-9]*\).*/\1/')
	[ "$it" -lt 300 ]
}

@test "checkpoints: every N iterations, the newest K kept; none once finished" {
	run env MLP_TEST_KILL_AT=11 "$MLP" train --data churn.csv \
	    --target churned -p rounds=12 --checkpoint-every 3 \
	    --checkpoint-keep 2
	[ "$status" -eq 137 ]
	r=$(mlp track runs -c run_id | sed -n 2p)
	[ "$(ls .mlp/checkpoints/"$r" | grep -c '^[0-9]*\.json$')" -eq 2 ]
	[ -f .mlp/checkpoints/"$r"/spec.json ]
	[ -f .mlp/checkpoints/"$r"/00000009.json ]
	[ -f .mlp/checkpoints/"$r"/00000006.json ]
	# the model is stored when it finishes: nothing is left beside it
	mlp train --resume "$r" >/dev/null 2>&1
	[ ! -e .mlp/checkpoints/"$r" ]
	r=$(mlp train --data churn.csv --target churned -p rounds=2 \
	    --checkpoint-every 1 | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p')
	[ -n "$r" ]
	[ ! -e .mlp/checkpoints/"$r" ]
	[ -z "$(ls .mlp/checkpoints)" ]
}

@test "track gc of a training run removes what train kept beside it" {
	run env MLP_TEST_KILL_AT=3 "$MLP" train --data churn.csv \
	    --target churned -p rounds=5 --checkpoint-every 1
	r=$(mlp track runs -c run_id | sed -n 2p)
	[ -f .mlp/checkpoints/"$r"/00000003.json ]
	run env MLP_TEST_KILL_AT=2 "$MLP" train --data churn.csv \
	    --target churned -p rounds=5 --checkpoint-every 1
	keep=$(mlp track runs -c run_id | sed -n 2p)
	[ "$keep" != "$r" ]
	mlp track rm "$r"
	run mlp track gc --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"runs":1'* ]]
	[ ! -e .mlp/checkpoints/"$r" ]
	[ -d .mlp/checkpoints/"$keep" ]
}

@test "checkpoints from the repository's configuration" {
	mlp config train.checkpointEvery 4
	mlp config train.checkpointKeep 1
	run env MLP_TEST_KILL_AT=8 "$MLP" train --data churn.csv \
	    --target churned -p rounds=9
	[ "$status" -eq 137 ]
	r=$(mlp track runs -c run_id | sed -n 2p)
	[ "$(ls .mlp/checkpoints/"$r" | grep -c '^[0-9]*\.json$')" -eq 1 ]
	[ -f .mlp/checkpoints/"$r"/00000008.json ]
	mlp config train.checkpointEvery often
	run mlp train --data churn.csv --target churned -p rounds=8
	[ "$status" -eq 2 ]
	[[ "$output" == *"config train.checkpointEvery: 'often' is not a number"* ]]
}

@test "the same seed and threads give the same model" {
	a=$(run_of "$(mlp train --data churn.csv --target churned -p rounds=5 \
	    -p subsample=0.8 -p colsample=0.8 -p seed=3 -j 2)")
	b=$(run_of "$(mlp train --data churn.csv --target churned -p rounds=5 \
	    -p subsample=0.8 -p colsample=0.8 -p seed=3 -j 2)")
	mlp register checkout "runs:/$a/model" a
	mlp register checkout "runs:/$b/model" b
	cmp a/model.json b/model.json
}

@test "the progress bar fits the terminal's width" {
	# a terminal that draws, whatever TERM the suite was started with
	TERM=xterm COLUMNS=40 script -qec "$MLP train -d churn.csv -t churned -p rounds=30" /dev/null > out.txt
	grep -qa '30/30' out.txt
	# every redraw (\r BAR ESC[K) stays within 39 columns
	tr '\r' '\n' < out.txt | grep -a $'\033\\[K' | sed 's/\x1b\[K.*//' |
	    awk '{ n++ } length > 39 { bad = 1 } END { exit bad || !n }'
}

@test "Ctrl-C ends the run KILLED" {
	"$MLP" train --data churn.csv --target churned -p rounds=1000000 \
	    -p max_depth=2 > out.txt 2> err.txt &
	pid=$!
	sleep 2
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	run mlp track runs --json
	[[ "$output" == *'"status":"KILLED"'* ]]
}

@test "bad input: a missing target column is named" {
	run mlp train --data churn.csv --target nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"'churn.csv' has no target column 'nope'"* ]]
	run mlp track runs --json
	[ "$output" = "[]" ]
}

@test "bad input: a word in a numeric column names file, line and column" {
	# past the rows sampled (64 KiB) to decide the columns' types
	{ cat churn.csv; tail -n +2 churn.csv; } > bad.csv
	echo "5,abc,1,basic,40,0" >> bad.csv
	run mlp train --data bad.csv --target churned
	[ "$status" -eq 1 ]
	[[ "$output" == *"'bad.csv' line 6002 column 2 ('monthly'): 'abc' is not a number"* ]]
}

@test "bad input: an empty file, a header alone" {
	: > empty.csv
	run mlp train --data empty.csv --target y
	[ "$status" -eq 1 ]
	[[ "$output" == *"'empty.csv' is empty"* ]]
	echo "a,y" > header.csv
	run mlp train --data header.csv --target y
	[ "$status" -eq 1 ]
	[[ "$output" == *"'header.csv' has no rows"* ]]
}

@test "bad input: NaN, missing or infinite targets name the line" {
	printf 'a,y\n1,0\n2,NaN\n' > nan.csv
	run mlp train --data nan.csv --target y
	[ "$status" -eq 1 ]
	[[ "$output" == *"'nan.csv' line 3: the target 'y' is missing or NaN"* ]]
	printf 'a,y\n1,0\n\n"x\ny",1\n2,inf\n' > inf.csv
	run mlp train --data inf.csv --target y
	[ "$status" -eq 1 ]
	[[ "$output" == *"'inf.csv' line 6: the target 'y' is infinite"* ]]
	run mlp track runs --json
	[ "$output" = "[]" ]
}

@test "constant features train without error" {
	printf 'c,x,y\n' > const.csv
	for i in $(seq 1 200); do echo "1,$((i % 7)),$((i % 2))" >> const.csv; done
	run mlp train --data const.csv --target y -p rounds=3
	[ "$status" -eq 0 ]
	run mlp train --data const.csv --target y --algo logistic
	[ "$status" -eq 0 ]
}

@test "bad input: unknown learner and parameter list the valid ones" {
	run mlp train --data churn.csv --target churned --algo forest
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown learner 'forest' (valid: gbdt, linear, logistic)"* ]]
	run mlp train --data churn.csv --target churned -p depth=3
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown parameter 'depth' for gbdt, did you mean 'max_depth'? (valid: "* ]]
	run mlp train --data churn.csv --target churned -p learning_rate=7
	[ "$status" -eq 2 ]
	[[ "$output" == *"parameter 'learning_rate': 7 is out of range"* ]]
	run mlp train --data churn.csv --target churned -p rounds
	[ "$status" -eq 2 ]
	# nothing was recorded for usage errors
	run mlp track runs --json
	[ "$output" = "[]" ]
}

@test "input mistakes leave no run: every check is made before the run exists" {
	no_runs() {
		run mlp track runs --json
		[ "$output" = "[]" ]
	}
	run mlp train -d nosuch.csv -t churned
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'nosuch.csv'"* ]]
	no_runs
	run mlp train -d churn.csv -t nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"'churn.csv' has no target column 'nosuch' (columns: tenure, "* ]]
	no_runs
	run mlp train -d churn.csv -t churned --features tenure,nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"'churn.csv' has no feature column 'nosuch'"* ]]
	no_runs
	run mlp train -d churn.csv -t churned --categorical nosuch
	[ "$status" -eq 1 ]
	no_runs
	run mlp train -d churn.csv -t churned -p early_stopping_rounds=5
	[ "$status" -eq 2 ]
	[[ "$output" == *"early_stopping_rounds needs validation data"* ]]
	no_runs
	run mlp train -d flowers.csv -t species -p objective=multi:softprob
	[ "$status" -eq 2 ]
	[[ "$output" == *"multi:softprob needs num_class"* ]]
	no_runs
	run mlp train -d flowers.csv -t species -p objective=multi:softprob -p num_class=2
	[ "$status" -eq 1 ]
	[[ "$output" == *"'flowers.csv' line "*": label 2 is not a class of multi:softprob (num_class=2: 0 to 1)"* ]]
	no_runs
	run mlp train -d flowers.csv -t species -p objective=binary:logistic
	[ "$status" -eq 1 ]
	[[ "$output" == *"'flowers.csv' line "*": label 2 is not a class of binary:logistic"* ]]
	no_runs
	run mlp train -d flowers.csv -t species --algo logistic
	[ "$status" -eq 1 ]
	[[ "$output" == *"'flowers.csv' line "*": label 2 is not 0 or 1"* ]]
	no_runs
	printf 'a,y\n1,0\n2,1\n' > v.csv
	run mlp train -d churn.csv -t churned --valid v.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"'v.csv' has no column 'tenure'"* ]]
	no_runs
	run mlp train -d churn.csv -t churned -p eval_metric=mlogloss
	[ "$status" -eq 1 ]
	[[ "$output" == *"eval_metric 'mlogloss' does not apply to binary:logistic"* ]]
	no_runs
	# a Slurm submission reads the files' headers first (no sbatch needed)
	run mlp train --backend slurm -d churn.csv -t nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"'churn.csv' has no target column 'nosuch'"* ]]
	run mlp train --backend slurm -d churn.csv -t churned --valid v.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"'v.csv' has no target column 'churned'"* ]]
	run mlp train --backend slurm -d nosuch.csv -t churned
	[ "$status" -eq 1 ]
	no_runs
	# a trailing comma in the header: a column without a name
	sed 's/$/,/' churn.csv > comma.csv
	run mlp train -d comma.csv -t churned
	[ "$status" -eq 1 ]
	[[ "$output" == *"'comma.csv': column 7 has no name (a trailing comma in the header?)"* ]]
	no_runs
	run mlp train -d comma.csv -t churned --features tenure,monthly -p rounds=2
	[ "$status" -eq 0 ]
}

@test "CSV names and levels that are not UTF-8 are refused when a training set is read" {
	{ head -n 3 churn.csv; printf '5,20,1,b\xe9sic,40,0\n'; tail -n +4 churn.csv; } > latin1.csv
	run mlp train -d latin1.csv -t churned
	[ "$status" -eq 1 ]
	[[ "$output" == *"'latin1.csv' line 4 column 4 ('plan'): value 'b\\xe9' is not valid UTF-8"* ]]
	{ printf 'tenure,\xe2ge,churned\n'; tail -n +2 churn.csv | cut -d, -f1,5,6; } > name.csv
	run mlp train -d name.csv -t churned
	[ "$status" -eq 1 ]
	[[ "$output" == *"'name.csv' line 1 column 2: name '\\xe2' is not valid UTF-8"* ]]
	run mlp track runs --json
	[ "$output" = "[]" ]
}

@test "XGBoost's parameter names are taken, recorded under mlp's; unknown ones get a suggestion" {
	run mlp train -d churn.csv -t churned --valid-fraction 0.2 -p eta=0.2 \
	    -p colsample_bytree=0.8 -p gamma=0.1 -p reg_lambda=2 -p reg_alpha=0.5 \
	    -p num_boost_round=4 -p nthread=1 -p random_state=3
	[ "$status" -eq 0 ]
	[[ "$output" == *"finished after 4 iterations"* ]]
	r=$(run_of "$output")
	run mlp track show "$r" --json
	[[ "$output" == *'"learning_rate":"0.2"'* ]]
	[[ "$output" == *'"colsample":"0.8"'* ]]
	[[ "$output" == *'"min_split_gain":"0.1"'* ]]
	[[ "$output" == *'"lambda":"2"'* ]]
	[[ "$output" == *'"alpha":"0.5"'* ]]
	[[ "$output" == *'"rounds":"4"'* ]]
	[[ "$output" == *'"seed":"3"'* ]]
	[[ "$output" != *'"eta"'* ]]
	[[ "$output" != *'"nthread"'* ]]
	run mlp train -d churn.csv -t churned -p min_split_loss=0.1 -p gamma=0.2
	[ "$status" -eq 2 ]
	[[ "$output" == *"parameter 'min_split_gain' is given twice, as 'gamma' too"* ]]
	run mlp train -d churn.csv -t churned -p max_dept=3
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown parameter 'max_dept' for gbdt, did you mean 'max_depth'?"* ]]
	run mlp train -d churn.csv -t churned -p n_estimator=3
	[[ "$output" == *"did you mean 'n_estimators'?"* ]]
	printf 'data: churn.csv\ntarget: churned\nparams: {eta: 0.5, n_estimators: 1}\n' > s.yaml
	run mlp train s.yaml
	[ "$status" -eq 0 ]
	# one iteration, said in the singular
	[[ "$output" == *"finished after 1 iteration"$'\n'* ]]
	r=$(run_of "$output")
	run mlp track show "$r" --json
	[[ "$output" == *'"learning_rate":"0.5"'* ]]
	[[ "$output" == *'"rounds":"1"'* ]]
	run mlp track runs --json
	[ "$(printf '%s' "$output" | grep -o '"run_id"' | wc -l)" -eq 2 ]
}

@test "eval_metric's metrics are in the final step with the defaults" {
	out=$(mlp train -d churn.csv -t churned --valid-fraction 0.2 -p rounds=3 \
	    -p eval_metric=auc,mae --json 2>/dev/null)
	[[ "$out" == *'"valid_mae":'* ]]
	[[ "$out" == *'"valid_logloss":'* ]]
	r=$(printf '%s' "$out" | sed 's/.*"run_id":"\([0-9a-f]*\)".*/\1/')
	for m in train_auc valid_auc train_mae valid_mae valid_logloss valid_accuracy; do
		run mlp track history "$r" "$m" --json
		[[ "$output" == *'"step":4'* ]]
	done
	# every iteration logs what eval_metric names, and only that
	run mlp track history "$r" valid_logloss --json
	[ "$(printf '%s' "$output" | grep -o '"step"' | wc -l)" -eq 1 ]
}

@test "bad input: spec errors name file and line" {
	printf 'data: churn.csv\ntarget: churned\ncolour: red\n' > s.yaml
	run mlp train s.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'s.yaml' line 3: unknown key 'colour' (valid: "* ]]
	printf 'data: [churn.csv\n' > broken.yaml
	run mlp train broken.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'broken.yaml' line "* ]]
	run mlp train missing.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'missing.yaml'"* ]]
}

@test "spec files: a key given twice names both lines; deep or large specs are refused" {
	printf 'data: churn.csv\ntarget: churned\nparams:\n  rounds: 3\n  rounds: 5\n' > dup.yaml
	run mlp train dup.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'dup.yaml' line 5: duplicate key 'rounds' (first at line 4)"* ]]
	printf 'data: churn.csv\ntarget: x\ntarget: churned\n' > dup2.yaml
	run mlp train dup2.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 3: duplicate key 'target' (first at line 2)"* ]]
	# 100,000 levels took libyaml 50 s: refused at the 65th
	{ printf 'params: '; head -c 100000 /dev/zero | tr '\0' '['; } > deep.yaml
	run mlp train deep.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'deep.yaml' line 1: nested more than 64 levels deep"* ]]
	head -c 5000000 /dev/zero | tr '\0' '\n' > big.yaml
	run mlp train big.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"'big.yaml' is larger than 4 MiB"* ]]
	run mlp track runs --json
	[ "$output" = "[]" ]
}

@test "bad input: usage errors" {
	run mlp train --target churned
	[ "$status" -eq 2 ]
	[[ "$output" == *"no training data"* ]]
	run mlp train --data churn.csv
	[ "$status" -eq 2 ]
	[[ "$output" == *"no target column"* ]]
	run mlp train --data churn.csv --target churned --valid-fraction 1.5
	[ "$status" -eq 2 ]
	run mlp train --data churn.csv --target churned --alias x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--alias goes with --register"* ]]
	run mlp train --data churn.csv --target churned --register m --alias latest
	[ "$status" -eq 2 ]
	[[ "$output" == *"reserved"* ]]
}

@test "an external trainer: the fd protocol, its output and artifacts" {
	cat > trainer.sh <<'SH'
#!/bin/sh
echo "param lr 0.1" >&$MLP_TRACK_FD
echo "tag note two words" >&$MLP_TRACK_FD
for i in 1 2 3; do echo "metric loss 0.$((9 - i)) $i" >&$MLP_TRACK_FD; done
echo "this is not a record" >&$MLP_TRACK_FD
echo "training on $MLP_RUN_ID in $MLP_DIR"
echo "a warning" >&2
mkdir "$MLP_ARTIFACT_DIR/model" && echo weights > "$MLP_ARTIFACT_DIR/model/w.txt"
SH
	chmod +x trainer.sh
	run mlp train --cmd './trainer.sh' -e ext --register extmodel
	[ "$status" -eq 0 ]
	[[ "$output" == *"training on "*" in $PWD/.mlp"* ]]
	[[ "$output" == *"a warning"* ]]
	[[ "$output" == *"MLP_TRACK_FD line 6: unknown kind 'this'"* ]]
	[[ "$output" == *"models:/extmodel/1"* ]]
	r=$(printf '%s\n' "$output" | sed -n 's|^runs:/\([0-9a-f]*\)$|\1|p')
	run mlp track show "$r" --json
	[[ "$output" == *'"status":"FINISHED"'* ]]
	[[ "$output" == *'"lr":"0.1"'* ]]
	[[ "$output" == *'"note":"two words"'* ]]
	run mlp track history "$r" loss --json
	[ "$(printf '%s' "$output" | grep -o '"step"' | wc -l)" -eq 3 ]
	run mlp track artifacts "$r"
	[[ "$output" == *"model"* ]]
	[[ "$output" == *"stdout.txt"* ]]
	[[ "$output" == *"stderr.txt"* ]]
	mlp register checkout "runs:/$r/stderr.txt" err.txt
	[ "$(cat err.txt)" = "a warning" ]
}

@test "an external trainer gets -d, --valid, -t and -p as MLP_DATA, MLP_VALID, MLP_TARGET, MLP_PARAM_*, recorded" {
	cat > trainer.sh <<'SH'
#!/bin/sh
echo "data=$MLP_DATA valid=$MLP_VALID target=$MLP_TARGET depth=$MLP_PARAM_MAX_DEPTH lr=$MLP_PARAM_LEARNING_RATE"
SH
	chmod +x trainer.sh
	cp churn.csv v.csv
	run mlp train --cmd ./trainer.sh -d churn.csv --valid v.csv -t churned \
	    -p max_depth=4 -p learning-rate=0.1
	[ "$status" -eq 0 ]
	[[ "$output" == *"data=churn.csv valid=v.csv target=churned depth=4 lr=0.1"* ]]
	r=$(printf '%s\n' "$output" | sed -n 's|^runs:/\([0-9a-f]*\)$|\1|p')
	run mlp track show "$r" --json
	[[ "$output" == *'"max_depth":"4"'* ]]
	[[ "$output" == *'"learning-rate":"0.1"'* ]]
	[[ "$output" == *'"target":"churned"'* ]]
	[[ "$output" == *'"mlp.dataset.train.digest":"'$(sha256sum churn.csv | cut -c1-64)'"'* ]]
	[[ "$output" == *'"mlp.dataset.valid.name":"v.csv"'* ]]
	# what does not apply to an external trainer is refused, before a run
	n=$(mlp track runs -c run_id | tail -n +2 | wc -l)
	for opt in "--algo linear" "--features a" "--valid-fraction 0.2" \
	    "--seed 3" "-j 2" "--checkpoint-every 5" "--categorical a"; do
		# shellcheck disable=SC2086
		run mlp train --cmd ./trainer.sh $opt
		[ "$status" -eq 2 ]
		[[ "$output" == *"is for the built-in learners"* ]]
	done
	run mlp train --cmd ./trainer.sh -d nosuch.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'nosuch.csv'"* ]]
	run mlp train --cmd ./trainer.sh -p 'a b=1'
	[ "$status" -eq 2 ]
	[ "$(mlp track runs -c run_id | tail -n +2 | wc -l)" -eq "$n" ]
}

@test "train logs prints an external trainer's kept output, each stream apart" {
	run mlp train --shell --cmd 'echo to-out; echo to-err >&2'
	[ "$status" -eq 0 ]
	r=$(mlp track runs -c run_id | sed -n 2p)
	[ "$(mlp train logs "$r" 2>/dev/null)" = to-out ]
	[ "$(mlp train logs "$r" 2>&1 >/dev/null)" = to-err ]
	run mlp train --data churn.csv --target churned -p rounds=2
	r=$(run_of "$output")
	run mlp train logs "$r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no output to show"* ]]
	run mlp train logs
	[ "$status" -eq 2 ]
}

@test "the fd protocol: extra fields, a line over 1 MiB, a last line without newline" {
	cat > t.sh <<'SH'
#!/bin/sh
echo "metric m 1 2 3" >&3
head -c 1100000 /dev/zero | tr '\0' a >&3
echo " and its end" >&3
echo "metric kept 2 1" >&3
printf 'metric last 3' >&3
SH
	chmod +x t.sh
	run mlp train --cmd ./t.sh
	[ "$status" -eq 0 ]
	[[ "$output" == *"line 1: metric 'm': expected NAME VALUE [STEP], found more"* ]]
	[[ "$output" == *"line 2: longer than 1 MiB, dropped"* ]]
	[ "${#output}" -lt 2000 ]
	r=$(printf '%s\n' "$output" | sed -n 's|^runs:/\([0-9a-f]*\)$|\1|p')
	run mlp track show "$r" --json
	[[ "$output" == *'"metrics":{"kept":2,"last":3}'* ]]
}

@test "train logs shows a running trainer's output so far; -f follows it to the end" {
	cat > slow.sh <<'SH'
#!/bin/sh
echo first
echo first-err >&2
while [ ! -f go ]; do sleep 0.05; done
echo last
SH
	chmod +x slow.sh
	mlp train --cmd ./slow.sh >/dev/null 2>&1 &
	pid=$!
	r=
	for _ in $(seq 1 100); do
		r=$(mlp track runs -f "status = 'RUNNING'" -c run_id | sed -n 2p)
		[ -n "$r" ] && [ -n "$(mlp train logs "$r" 2>/dev/null)" ] && break
		sleep 0.05
	done
	[ -n "$r" ]
	[ "$(mlp train logs "$r" 2>/dev/null)" = first ]
	[ "$(mlp train logs "$r" 2>&1 >/dev/null)" = first-err ]
	(sleep 0.5; touch go) &
	run mlp train logs -f "$r"
	[ "$status" -eq 0 ]
	[[ "$output" == *first*last* ]]
	wait "$pid"
	run mlp track show "$r" --json
	[[ "$output" == *'"status":"FINISHED"'* ]]
	[ "$(mlp train logs "$r" 2>/dev/null | tr '\n' ' ')" = "first last " ]
}

@test "train logs -f stops when the mlp process running the trainer is gone" {
	"$MLP" train --shell --cmd 'echo started; echo $$ > child.pid; exec sleep 60' \
	    >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ -s child.pid ] && break
		sleep 0.05
	done
	r=$(mlp track runs -f "status = 'RUNNING'" -c run_id | sed -n 2p)
	[ -n "$r" ]
	kill -9 "$pid"
	wait "$pid" || true
	run timeout 20 "$MLP" train logs -f "$r"
	kill "$(cat child.pid)" 2>/dev/null || true
	[ "$status" -eq 0 ]
	[[ "$output" == *started* ]]
	[[ "$output" == *"the mlp process running run ${r:0:8} is gone"* ]]
}

@test "an external trainer that fails: FAILED, its exit status" {
	run mlp train --cmd 'sh -c "echo partial >&$MLP_TRACK_FD; exit 3"'
	[ "$status" -eq 3 ]
	[[ "$output" == *"the command exited with status 3"* ]]
	run mlp track runs --json
	[[ "$output" == *'"status":"FAILED"'* ]]
	run mlp train --cmd 'no-such-trainer-here'
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot run 'no-such-trainer-here'"* ]]
}

@test "--shell runs the command through sh; words are split without it" {
	run mlp train --shell --cmd 'echo "metric m 1" >&$MLP_TRACK_FD && echo shelled'
	[ "$status" -eq 0 ]
	[[ "$output" == *"shelled"* ]]
	run mlp train --cmd "printf '%s\n' 'one arg' two"
	[ "$status" -eq 0 ]
	[[ "$output" == *"one arg"* ]]
	run mlp train --cmd "echo 'unterminated"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unterminated quote"* ]]
	run mlp train --shell
	[ "$status" -eq 2 ]
}

@test "Ctrl-C stops an external trainer: KILLED, the child gone" {
	# a duration of its own: other tests on the machine may sleep too
	secs=$((300 + $$ % 1000))
	"$MLP" train --cmd "sleep $secs" > out.txt 2> err.txt &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	run mlp track runs --json
	[[ "$output" == *'"status":"KILLED"'* ]]
	! pgrep -fx "sleep $secs" >/dev/null
}

@test "a stop that reaches the trainer too (as scancel's does) ends the run KILLED" {
	secs=$((1300 + $$ % 1000))
	"$MLP" train --cmd "sleep $secs" > out.txt 2> err.txt &
	pid=$!
	for _ in $(seq 50); do
		child=$(pgrep -fx "sleep $secs") && break
		sleep 0.1
	done
	[ -n "$child" ]
	# the trainer first, then mlp: the trainer is gone when mlp acts
	kill -TERM "$child"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ]
	run mlp track runs --json
	[[ "$output" == *'"status":"KILLED"'* ]]
}

@test "--resume of a run whose mlp train still runs is refused" {
	secs=$((300 + $$ % 1000))
	"$MLP" train --cmd "sleep $secs" > out.txt 2> err.txt &
	pid=$!
	for _ in $(seq 50); do
		r=$(mlp track runs --json | grep -o '"run_id":"[0-9a-f]*"' |
		    cut -d'"' -f4)
		[ -n "$r" ] && break
		sleep 0.1
	done
	[ -n "$r" ]
	run mlp train --resume "$r"
	kill -INT "$pid"
	wait "$pid" || true
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: train run: run ${r:0:8} is still running" ]]
	[[ "${lines[1]}" == "hint: stop its mlp train first"* ]]
}

@test "a submitted job whose run was cancelled before it started leaves the run cancelled" {
	# an sbatch that only queues: the job would run 'mlp train --run-id'
	mkdir -p bin
	printf '#!/bin/sh\necho 42\n' > bin/sbatch
	chmod 755 bin/sbatch
	run env PATH="$PWD/bin:$PATH" "$MLP" train --backend slurm \
	    -d churn.csv -t churned -p rounds=2
	[ "$status" -eq 0 ]
	r=$(mlp track runs --json | grep -o '"run_id":"[0-9a-f]*"' | cut -d'"' -f4)
	run mlp track show "$r" --json
	[[ "$output" == *'"status":"SCHEDULED"'* ]]
	# cancelled (train cancel ends it KILLED), then the job starts
	mlp track end "$r" --status killed
	run mlp train --run-id "$r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"run ${r:0:8} is KILLED: it was ended before this job could take it up"* ]]
	run mlp track show "$r" --json
	[[ "$output" == *'"status":"KILLED"'* ]]
	[[ "$output" != *'"mlp.error"'* ]]
}

@test "the example specs train: gbdt with early stopping, ridge, three classes" {
	for s in churn houses flowers; do
		run mlp train "$EX/$s.yaml"
		[ "$status" -eq 0 ]
		r=$(run_of "$output")
		[ -n "$r" ]
		run mlp track show "$r" --json
		[ "$status" -eq 0 ]
		[[ "$output" == *'"status":"FINISHED"'* || "$output" == *'"status": "FINISHED"'* ]]
	done
	[ "$(mlp track runs -e churn --json | grep -o '"run_id"' | wc -l)" -eq 1 ]
}

@test "the Python example trainer" {
	command -v python3 >/dev/null || skip "no python3"
	run mlp train --cmd "python3 $EX/train.py --epochs 3 --data churn.csv"
	[ "$status" -eq 0 ]
	r=$(printf '%s\n' "$output" | sed -n 's|^runs:/\([0-9a-f]*\)$|\1|p')
	run mlp track history "$r" train_logloss --json
	[ "$(printf '%s' "$output" | grep -o '"step"' | wc -l)" -eq 3 ]
}

@test "--resume continues a killed run from its checkpoint to the same model" {
	args="--data churn.csv --target churned --valid-fraction 0.2 -p rounds=40 -p max_depth=3 -p subsample=0.8 -p seed=5 -j 2"
	# shellcheck disable=SC2086
	run env MLP_TEST_KILL_AT=23 "$MLP" train $args --checkpoint-every 10
	[ "$status" -eq 137 ]
	# its process is gone: no longer RUNNING (mlp_track_reconcile)
	run mlp track runs --json
	[[ "$output" == *'"status":"KILLED"'* ]]
	r=$(printf '%s' "$output" | sed 's/.*"run_id":"\([0-9a-f]*\)".*/\1/')
	[ -f .mlp/checkpoints/"$r"/00000020.json ]
	run mlp train --resume "${r:0:8}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resuming run ${r:0:8} from iteration 20"* ]]
	[[ "$output" == *"runs:/$r/model"* ]]
	# one uninterrupted history: 21 and 22 were logged before the kill
	# and again after the resume, once each in the end
	run mlp track history "$r" valid_auc --csv
	[ "$(printf '%s\n' "$output" | tail -n +2 | cut -d, -f1 | tr '\n' ' ')" = "$(seq 1 41 | tr '\n' ' ')" ]
	# shellcheck disable=SC2086
	b=$(mlp train $args | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p')
	mlp register checkout "runs:/$r/model" a
	mlp register checkout "runs:/$b/model" b
	cmp a/model.json b/model.json
	run mlp train --resume "$r"
	[ "$status" -eq 1 ]
	[[ "$output" == *"finished already"* ]]
	run mlp train --resume "$r" -p rounds=3
	[ "$status" -eq 2 ]
}
