#!/usr/bin/env bats
# mlp predict: scoring CSV rows with a model

load helper

setup() {
	setup_repo
	EX="$BATS_TEST_DIRNAME/../share/examples/train"
	XGB="$BATS_TEST_DIRNAME/data/xgb"
	cp "$EX"/churn.csv "$EX"/flowers.csv .
}

train_churn() {
	mlp train --data churn.csv --target churned -p rounds=10 \
	    --register churn --alias champion | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p'
}

@test "predict -h" {
	run mlp predict -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--input"* ]]
}

@test "predict a run's model: a probability per row, in order" {
	r=$(train_churn)
	run mlp predict "runs:/$r/model" -i churn.csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "prediction" ]
	[ "${#lines[@]}" -eq 3001 ]
	printf '%s\n' "${lines[@]:1}" | awk '$1 < 0 || $1 > 1 { bad = 1 } END { exit bad }'
}

@test "models:/ by alias, stdin, -o, and a checked-out directory outside a repository" {
	train_churn >/dev/null
	mlp predict models:/churn@champion < churn.csv > a.csv
	mlp predict models:/churn/1 -i churn.csv -o b.csv
	cmp a.csv b.csv
	mlp register checkout models:/churn/1 "$BATS_TEST_TMPDIR/m"
	cd "$BATS_TEST_TMPDIR"
	mlp predict m -i repo/churn.csv > c.csv
	cmp repo/a.csv c.csv
}

@test "--json is MLflow's scoring response" {
	train_churn >/dev/null
	head -n 3 churn.csv > two.csv
	run mlp predict models:/churn/1 -i two.csv --json
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\{\"predictions\":\[[0-9.e-]+,[0-9.e-]+\]\}$ ]]
}

@test "MLflow's JSON input: the four formats score as the CSV does" {
	train_churn >/dev/null
	head -n 3 churn.csv > two.csv
	want=$(mlp predict models:/churn/1 -i two.csv)
	# tenure,monthly,support_calls,plan,age,churned
	r1=$(sed -n 2p churn.csv) r2=$(sed -n 3p churn.csv)
	row() { printf '%s' "$1" | awk -F, '{ printf "[%s, %s, %s, \"%s\", %s]", $1, $2, $3, $4, $5 }'; }
	rec() { printf '%s' "$1" | awk -F, '{ printf "{\"age\": %s, \"plan\": \"%s\", \"tenure\": %s, \"monthly\": %s, \"support_calls\": %s}", $5, $4, $1, $2, $3 }'; }
	printf '{"dataframe_split": {"columns": ["tenure", "monthly", "support_calls", "plan", "age"], "data": [%s, %s]}}' \
	    "$(row "$r1")" "$(row "$r2")" > split.json
	printf '{"dataframe_records": [%s, %s]}' "$(rec "$r1")" "$(rec "$r2")" > records.json
	printf '{"instances": [%s, %s]}' "$(row "$r1")" "$(row "$r2")" > instances.txt
	run mlp predict models:/churn/1 -i split.json
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	run mlp predict models:/churn/1 -i records.json
	[ "$output" = "$want" ]
	run mlp predict models:/churn/1 -t json < instances.txt
	[ "$output" = "$want" ]
	run mlp predict models:/churn/1 -i instances.txt --content-type json --json
	[[ "$output" =~ ^\{\"predictions\":\[[0-9.e-]+,[0-9.e-]+\]\}$ ]]
	# an output named .json gets MLflow's response, as --json
	mlp predict models:/churn/1 -i split.json -o out.json
	[ "$(cat out.json)" = "$(mlp predict models:/churn/1 -i split.json --json)" ]
}

@test "bad JSON input names where; -t takes csv or json" {
	train_churn >/dev/null
	echo '{"columns": ["a"], "data": [[1]]}' > old.json
	run mlp predict models:/churn/1 -i old.json
	[ "$status" -eq 1 ]
	[[ "$output" == *"'old.json': {\"columns\", \"data\"} is MLflow 1.x's format"* ]]
	echo '{"dataframe_records": [{"tenure": "x"}]}' > bad.json
	run mlp predict models:/churn/1 -i bad.json
	[ "$status" -eq 1 ]
	[[ "$output" == *"no record has the column 'monthly'"* ]]
	echo '{"inputs": {"tenure": ["x"], "monthly": [1], "support_calls": [1], "plan": ["basic"], "age": [3]}}' > word.json
	run mlp predict models:/churn/1 -i word.json
	[ "$status" -eq 1 ]
	[[ "$output" == *"'word.json': inputs.tenure[0] ('tenure'): \"x\" is not a number"* ]]
	run mlp predict models:/churn/1 -i word.json -t xml
	[ "$status" -eq 2 ]
	[[ "$output" == *"--content-type 'xml': expected csv or json"* ]]
	# a .json read as CSV when told so
	run mlp predict models:/churn/1 -i word.json -t csv
	[ "$status" -eq 1 ]
}

@test "multi-class: a column per class" {
	r=$(mlp train --data flowers.csv --target species -p objective=multi:softprob \
	    -p num_class=3 -p rounds=5 | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p')
	run mlp predict "runs:/$r/model" -i flowers.csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "prob_0,prob_1,prob_2" ]
}

@test "the input's columns are matched by name; extra ones are ignored" {
	train_churn >/dev/null
	# reorder the columns and drop the target
	awk -F, -v OFS=, '{ print $6 == "" ? "" : "x", $5, $4, $3, $2, $1 }' churn.csv |
	    sed '1s/^x,/extra,/' > shuffled.csv
	mlp predict models:/churn/1 -i shuffled.csv > s.csv
	mlp predict models:/churn/1 -i churn.csv > o.csv
	cmp s.csv o.csv
}

@test "bad input: a missing column is named" {
	train_churn >/dev/null
	cut -d, -f1,3- churn.csv > nomonthly.csv
	run mlp predict models:/churn/1 -i nomonthly.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no column 'monthly'"* ]]
}

@test "bad input: a word in a numeric column names line and column" {
	train_churn >/dev/null
	head -n 5 churn.csv > bad.csv
	echo "x,1,1,basic,3,0" >> bad.csv
	run mlp predict models:/churn/1 -i bad.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"line 6 column 1 ('tenure')"* ]]
}

@test "-o: a failure leaves the file as it was; symlinks and pipes are written through" {
	train_churn >/dev/null
	head -n 5 churn.csv > good.csv
	cp good.csv bad.csv
	echo "x,1,1,basic,3,0" >> bad.csv
	echo old > out.csv
	run mlp predict models:/churn/1 -i bad.csv -o out.csv
	[ "$status" -eq 1 ]
	[ "$(cat out.csv)" = old ]
	[ -z "$(ls | grep '\.tmp-')" ]
	mlp predict models:/churn/1 -i good.csv -o out.csv
	[ "$(wc -l < out.csv)" -eq 5 ]
	ln -s out.csv link.csv
	mlp predict models:/churn/1 -i good.csv -o link.csv
	[ -L link.csv ]
	[ "$(mlp predict models:/churn/1 -i good.csv -o /dev/stdout | wc -l)" -eq 5 ]
	[ -L /dev/stdout ]
	run mlp predict models:/churn/1 -i good.csv -o no/such/dir/x.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot create"*"No such file or directory"* ]]
}

@test "Ctrl-C during -o FILE leaves nothing beside FILE; errors name FILE, not its temporary" {
	train_churn >/dev/null
	echo old > out.csv
	mkfifo in.fifo
	{ head -n 100 churn.csv; sleep 60; } > in.fifo &
	writer=$!
	"$MLP" predict models:/churn/1 -i in.fifo -o out.csv &
	pid=$!
	for _ in $(seq 1 100); do
		ls out.csv.tmp-* >/dev/null 2>&1 && break
		sleep 0.1
	done
	ls out.csv.tmp-*
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	kill "$writer" 2>/dev/null || :
	[ "$status" -eq 130 ]
	[ "$(cat out.csv)" = old ]
	[ -z "$(ls out.csv.tmp-* 2>/dev/null)" ]
	# a directory that is not there: FILE is named
	run mlp predict models:/churn/1 -i churn.csv -o nodir/p.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot create 'nodir/p.csv': No such file or directory"* ]]
	[[ "$output" != *"tmp-"* ]]
}

@test "JSON piped without -t json is refused with a hint" {
	train_churn >/dev/null
	run mlp predict models:/churn/1 <<< '{"inputs": [[1, 2, 3, "basic", 40]]}'
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"'stdin' is JSON, not CSV"* ]]
	[[ "${lines[1]}" == "hint: "*"-t json"* ]]
	run mlp predict models:/churn/1 -t json <<< '{"inputs": [[1, 2, 3, "basic", 40]]}'
	[ "$status" -eq 0 ]
}

@test "the CSV header may arrive in pieces: a pause in a pipe, no final newline, CR line ends, 50,000 columns" {
	train_churn >/dev/null
	want=$(mlp predict models:/churn/1 -i churn.csv | sed -n 2p)
	# a pause inside the header
	run bash -c '{ head -c 10 churn.csv; sleep 0.5; tail -c +11 churn.csv | head -n 2; } | "$MLP" predict models:/churn/1 | sed -n 2p'
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	# a header alone, without its newline
	run bash -c 'head -n 1 churn.csv | tr -d "\n" | "$MLP" predict models:/churn/1'
	[ "$status" -eq 0 ]
	[ "$output" = prediction ]
	# classic Mac line ends
	head -n 2 churn.csv | tr '\n' '\r' > cr.csv
	run mlp predict models:/churn/1 -i cr.csv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "$want" ]
	# 50,000 columns: a header of 600 KB, trained on and scored
	awk 'BEGIN { OFS = ","; for (i = 0; i < 50000; i++) printf "%sc%05d", i ? "," : "", i; print ",y"
		for (r = 0; r < 40; r++) { for (i = 0; i < 50000; i++) printf "%s%d", i ? "," : "", (r * 7 + i) % 5; print "," r % 2 } }' > wide.csv
	out=$(mlp train -d wide.csv -t y -p rounds=2 -p max_bin=4 -j 1)
	run mlp predict "$(printf '%s\n' "$out" | grep '^runs:/')" -i wide.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 41 ]
}

@test "file:// URIs as MLflow writes them, escapes decoded; other hosts refused" {
	train_churn >/dev/null
	mlp register checkout models:/churn/1 "my model"
	head -n 4 churn.csv > few.csv
	run mlp predict "file://$PWD/my%20model" -i few.csv
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	mlp -q register "file://localhost$PWD/my%20model" -n viauri
	run mlp register show models:/viauri/1
	[[ "$output" == *"source:      file://localhost$PWD/my%20model"* ]]
	run mlp predict file://elsewhere/m -i few.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"only local file URIs"* ]]
	run mlp predict "file://$PWD/my%2" -i few.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad %-escape"* ]]
	run mlp register file:///no/such/dir -n x
	[ "$status" -ne 0 ]
	[[ "$output" == *"source '/no/such/dir' does not exist"* ]]
}

@test "bad input: no model, a missing model, not a model" {
	run mlp predict
	[ "$status" -eq 2 ]
	run mlp predict nothere.json -i churn.csv
	[ "$status" -eq 1 ]
	echo '{"hello": 1}' > notmodel.json
	run mlp predict notmodel.json -i churn.csv
	[ "$status" -eq 1 ]
	run mlp predict models:/nope/1 -i churn.csv
	[ "$status" -eq 1 ]
	# a registered version that is no model: named as stored, not by
	# where it was checked out
	mlp -q register notmodel.json -n notmodel >/dev/null
	run mlp predict models:/notmodel/1 -i churn.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"models:/notmodel/1: 'model.json' is neither"* ]]
	[[ "$output" != *".mlp/tmp"* ]]
}

# compare CSV predictions (header skipped) with XGBoost's, within 1e-6
same_as_xgboost() {
	tail -n +2 "$1" > got.csv
	tail -n +2 "$2" > want.csv
	[ "$(wc -l < got.csv)" -eq "$(wc -l < want.csv)" ]
	paste -d, got.csv want.csv | awk -F, '{
		n = NF / 2
		for (i = 1; i <= n; i++) {
			d = $i - $(i + n); if (d < 0) d = -d
			if (d > 1e-6) { print "row " NR ": " $0; bad = 1 }
		}
	} END { exit bad }'
}

@test "XGBoost JSON models predict as XGBoost does (within 1e-6)" {
	for m in reg softprob softmax; do
		mlp predict "$XGB/$m.json" -i "$XGB/inputs.csv" -o "$m.csv"
		same_as_xgboost "$m.csv" "$XGB/$m.pred.csv"
	done
	head -n 1 "$(ls "$XGB"/softprob.pred.csv)" >/dev/null
	[ "$(head -n 1 softprob.csv)" = "prob_0,prob_1,prob_2" ]
	[ "$(head -n 1 softmax.csv)" = "class" ]
	# a model with feature names takes its columns by those names
	run mlp predict "$XGB/binary.json" -i "$XGB/inputs.csv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no column 'a'"* ]]
	{ echo a,b,c,d,e,g; tail -n +2 "$XGB/inputs.csv"; } > named.csv
	mlp predict "$XGB/binary.json" -i named.csv -o binary.csv
	same_as_xgboost binary.csv "$XGB/binary.pred.csv"
}

@test "MLP_PREDICT_ISA: every walker predicts the same bytes; an unknown one is refused" {
	train_churn >/dev/null
	mlp predict models:/churn/1 -i churn.csv -o best.csv
	mlp predict "$XGB/softprob.json" -i "$XGB/inputs.csv" -o softprob.csv
	for isa in scalar avx2 avx512 ""; do
		MLP_PREDICT_ISA=$isa mlp predict models:/churn/1 -i churn.csv \
		    -o "isa-$isa.csv"
		cmp best.csv "isa-$isa.csv"
		MLP_PREDICT_ISA=$isa mlp predict "$XGB/softprob.json" \
		    -i "$XGB/inputs.csv" -o "softprob-$isa.csv"
		cmp softprob.csv "softprob-$isa.csv"
	done
	MLP_PREDICT_ISA=sse9 run mlp predict models:/churn/1 -i churn.csv
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: predict: MLP_PREDICT_ISA: unknown instruction set 'sse9': expected scalar, avx2 or avx512" ]
	[ "${lines[1]}" = "hint: unset it for the best the processor has" ]
}

@test "register --flavor xgboost: converted, the original kept, same predictions" {
	run mlp register "$XGB/softprob.json" -n xgb --flavor xgboost --alias prod
	[ "$status" -eq 0 ]
	[[ "$output" == *"models:/xgb/1"* ]]
	mlp register checkout models:/xgb@prod m
	grep -q '^  xgboost:' m/MLmodel
	grep -q '^  mlp:' m/MLmodel
	cmp m/model.xgb.json "$XGB/softprob.json"
	[ -f m/model.json ]
	mlp predict models:/xgb@prod -i "$XGB/inputs.csv" -o p.csv
	same_as_xgboost p.csv "$XGB/softprob.pred.csv"
	run mlp register show models:/xgb/1 --json
	[[ "$output" == *"softprob.json"* ]]
}

@test "a model declaring more classes than its trees hold is refused, by predict and register" {
	# 940 bytes that made predict allocate 512 GiB (1048576 classes)
	for nc in 1048576 4000; do
		printf '{"learner": {"gradient_booster": {"name": "gbtree", "model": {"trees": [{"tree_param": {"num_nodes": "1"}, "left_children": [-1], "right_children": [-1], "split_indices": [0], "split_conditions": [0.5], "default_left": [0]}], "tree_info": [0]}}, "learner_model_param": {"base_score": "0.5", "num_class": "%s", "num_feature": "1"}, "objective": {"name": "multi:softprob"}}}' "$nc" > classes.json
		printf 'f0\n1\n' > one.csv
		run mlp predict classes.json -i one.csv
		[ "$status" -eq 1 ]
		[[ "$output" == *"'classes.json'"*"num_class"* ]]
		run mlp register classes.json -n big --flavor xgboost
		[ "$status" -eq 1 ]
		[[ "$output" == *"num_class"* ]]
	done
	run mlp register list --json
	[ "$output" = "[]" ]
}

@test "chunks are sized by memory: 10,000 classes score within 2 GB of address space" {
	if grep -qa __asan_init "$MLP"; then
		skip "AddressSanitizer's shadow memory needs more address space"
	fi
	# 65536 rows x 10000 classes x 8 bytes would be 5 GB at once
	awk 'BEGIN {
		printf "{\"learner\": {\"gradient_booster\": {\"name\": \"gbtree\", \"model\": {\"trees\": ["
		for (t = 0; t < 10000; t++)
			printf "%s{\"tree_param\": {\"num_nodes\": \"1\"}, \"left_children\": [-1], \"right_children\": [-1], \"split_indices\": [0], \"split_conditions\": [0.5], \"default_left\": [0]}", t ? "," : ""
		printf "], \"tree_info\": ["
		for (t = 0; t < 10000; t++)
			printf "%s%d", t ? "," : "", t
		printf "]}}, \"learner_model_param\": {\"base_score\": \"0.5\", \"num_class\": \"10000\", \"num_feature\": \"1\"}, \"objective\": {\"name\": \"multi:softprob\"}}}"
	}' > wide.json
	printf 'f0\n1\n2\n' > rows.csv
	run bash -c 'ulimit -v 2000000; "$MLP" predict wide.json -i rows.csv -j 1 | tail -n 1 | tr , "\n" | sort -u'
	[ "$status" -eq 0 ]
	[ "$output" = 0.0001 ]
}

@test "model files over 128 MiB are refused before they are parsed" {
	{ printf '{"format": 1, "origin": "'; head -c 140000000 /dev/zero | tr '\0' 'x'; printf '"}'; } > huge.json
	run mlp predict huge.json -i churn.csv
	[ "$status" -eq 1 ]
	[[ "$output" == *"'huge.json' is larger than 128 MiB"* ]]
	rm huge.json
}

@test "register --flavor: an unknown flavor, a file that is not that flavor" {
	run mlp register "$XGB/reg.json" -n x --flavor pytorch
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown flavor 'pytorch' (valid: xgboost)"* ]]
	echo '{"learner": {"gradient_booster": {"name": "gblinear"}}}' > lin.json
	run mlp register lin.json -n x --flavor xgboost
	[ "$status" -eq 1 ]
	[[ "$output" == *"lin.json"* ]]
	run mlp register list --json
	[ "$output" = "[]" ]
	[ -z "$(ls .mlp/tmp)" ]
}
