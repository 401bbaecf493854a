#!/usr/bin/env bats
# mlp serve: the prediction server's endpoints, both inference protocols
# and MLflow's, errors, metrics, the model cache, stopping. Servers listen on
# a free port of 127.0.0.1 and are stopped by PID.

load helper

setup() {
	setup_repo
	EX="$BATS_TEST_DIRNAME/../share/examples/train"
	XGB="$BATS_TEST_DIRNAME/data/xgb"
	cp "$EX"/churn.csv "$EX"/flowers.csv .
}

teardown() {
	stop_background
}

# serve ARGS...: mlp serve in this repository (helper.bash's serve_in).
serve() {
	serve_in . "$@"
}

# stop: SIGTERM, and the exit status in STOPPED.
stop() {
	kill -TERM "$PID"
	STOPPED=0
	wait "$PID" || STOPPED=$?
}

train_churn() {
	mlp train --data churn.csv --target churned -p rounds=10 \
	    --register churn --alias champion >/dev/null
}

# one row of churn.csv's features as a JSON list, in the model's order
churn_row() {
	/usr/bin/python3 - "$@" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open("churn.csv")))
print(json.dumps([rows[int(sys.argv[1])][c] for c in sys.argv[2:]]))
EOF
}

@test "serve -h works anywhere" {
	cd "$BATS_TEST_TMPDIR"
	run mlp serve -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"--memory-budget"* ]]
}

@test "bad options and models are refused before listening" {
	run mlp serve -p abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--port 'abc'"* ]]
	run mlp serve -p 70000
	[ "$status" -eq 2 ]
	run mlp serve --max-body 0 -m x.json
	[ "$status" -eq 2 ]
	run mlp serve --max-body 12Q -m x.json
	[ "$status" -eq 2 ]
	run mlp serve --timeout -1 -m x.json
	[ "$status" -eq 2 ]
	run mlp serve extra
	[ "$status" -eq 2 ]
	run mlp serve -m "$XGB/reg.json="
	[ "$status" -eq 2 ]
	run mlp serve -p 0 -m nosuch.json
	[ "$status" -eq 1 ]
	[[ "$output" == "mlp: serve: "*"nosuch.json"* ]]
	echo '{"learner": 1}' > bad.json
	run mlp serve -p 0 -m bad.json
	[ "$status" -eq 1 ]
	[[ "$output" == "mlp: serve: "*"bad.json"* ]]
	run mlp serve -p 0 -m "$XGB/reg.json=a" -m "$XGB/binary.json=a"
	[ "$status" -eq 1 ]
	[[ "$output" == *"two models are served as 'a'"* ]]
	run mlp serve -p 0 -m "$XGB/reg.json=a/b"
	[ "$status" -eq 1 ]
	run mlp serve -p 0 -m "$XGB/reg.json" --pin nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"--pin 'nosuch'"* ]]
	run mlp serve -p 0 -m models:/nosuch/1
	[ "$status" -eq 1 ]
	run mlp serve --host no.such.host.invalid -p 0 -m "$XGB/reg.json"
	[ "$status" -eq 1 ]
	cd "$BATS_TEST_TMPDIR"
	run mlp serve -p 0
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: serve: nothing to serve"* ]]
	[[ "${lines[1]}" == "hint: "* ]]
}

@test "a port in use is an error naming it" {
	serve -m "$XGB/reg.json"
	port=${URL##*:}
	run mlp serve -p "$port" -m "$XGB/reg.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"port $port"* ]]
}

@test "OIP v2: server metadata, health, model metadata and readiness" {
	serve -m "$XGB/binary.json=fraud"
	req GET /v2
	[ "$CODE" = 200 ]
	[ "$(json name <<<"$BODY")" = mlp ]
	[ "$(json extensions <<<"$BODY")" = "[]" ]
	req GET /v2/health/live
	[ "$CODE" = 200 ]
	req GET /v2/health/ready
	[ "$CODE" = 200 ]
	req GET /v2/models/fraud
	[ "$CODE" = 200 ]
	[ "$(json name <<<"$BODY")" = fraud ]
	[ "$(json versions <<<"$BODY")" = '["1"]' ]
	[ "$(json platform <<<"$BODY")" = xgboost ]
	[ "$(json inputs 0 datatype <<<"$BODY")" != "" ]
	req GET /v2/models/fraud/versions/1
	[ "$CODE" = 200 ]
	req GET /v2/models/fraud/ready
	[ "$CODE" = 200 ]
	[ "$(json ready <<<"$BODY")" = true ]
	req GET /v2/models/fraud/versions/1/ready
	[ "$CODE" = 200 ]
	req GET /v2/models/nosuch
	[ "$CODE" = 404 ]
	[[ "$(json error <<<"$BODY")" == *"'nosuch'"* ]]
	req GET /v2/models/fraud/versions/9
	[ "$CODE" = 404 ]
	req GET /v2/models/nosuch/ready
	[ "$CODE" = 404 ]
}

@test "OIP v2 infer: a [batch, features] tensor or a tensor per feature, id echoed, outputs selected" {
	serve -m "$XGB/binary.json=fraud"
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	row=$(sed -n 2p "$XGB/inputs.csv")
	req POST /v2/models/fraud/infer -d "{\"id\": \"r1\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$row]}]}"
	[ "$CODE" = 200 ]
	[ "$(json id <<<"$BODY")" = r1 ]
	[ "$(json model_name <<<"$BODY")" = fraud ]
	[ "$(json model_version <<<"$BODY")" = 1 ]
	[ "$(json outputs 0 name <<<"$BODY")" = predict ]
	[ "$(json outputs 0 shape <<<"$BODY")" = "[1]" ]
	want=$(sed -n 2p "$XGB/binary.pred.csv")
	got=$(json outputs 0 data 0 <<<"$BODY")
	/usr/bin/python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(abs(a - b) > 1e-6)" "$got" "$want"
	# nested row-major data, FP32
	req POST /v2/models/fraud/infer -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP32\", \"data\": [[$row]]}]}"
	[ "$CODE" = 200 ]
	# one input per feature
	req GET /v2/models/fraud
	body=$(/usr/bin/python3 - "$XGB/inputs.csv" "$BODY" <<'EOF'
import csv, json, sys
r = list(csv.reader(open(sys.argv[1])))
names = [i["name"] for i in json.loads(sys.argv[2])["inputs"]]
print(json.dumps({"inputs": [{"name": h, "shape": [2], "datatype": "FP64",
    "data": [float(r[1][j]), float(r[2][j])]} for j, h in enumerate(names)]}))
EOF
)
	req POST /v2/models/fraud/infer -d "$body"
	[ "$CODE" = 200 ]
	[ "$(json outputs 0 shape <<<"$BODY")" = "[2]" ]
	# outputs selection: probabilities only
	req POST /v2/models/fraud/infer -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$row]}], \"outputs\": [{\"name\": \"probabilities\"}]}"
	[ "$CODE" = 200 ]
	[ "$(json outputs 0 name <<<"$BODY")" = probabilities ]
	[ "$(json outputs 0 shape <<<"$BODY")" = "[1,2]" ]
	run json outputs 1 <<<"$BODY"
	[ "$status" -ne 0 ]
	# by version
	req POST /v2/models/fraud/versions/1/infer -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$row]}]}"
	[ "$CODE" = 200 ]
}

@test "OIP v2 infer: bad requests get 4xx with a JSON error naming the field, and the server goes on" {
	serve -m "$XGB/reg.json=m"
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	req POST /v2/models/m/infer -d '{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1, 2]}]}'
	[ "$CODE" = 400 ]
	[ -n "$(json error <<<"$BODY")" ]
	req POST /v2/models/m/infer -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"BYTES\", \"data\": [$(seq -s, $n | sed 's/[0-9]*/"&"/g')]}]}"
	[ "$CODE" = 400 ]
	[[ "$(json error <<<"$BODY")" == *BYTES* ]]
	req POST /v2/models/m/infer -d '{"inputs": '
	[ "$CODE" = 400 ]
	req POST /v2/models/m/infer -d 'not json'
	[ "$CODE" = 400 ]
	req POST /v2/models/m/infer -d '{}'
	[ "$CODE" = 400 ]
	req POST /v2/models/m/infer -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$(seq -s, $n | sed 's/^1,/1e999,/')]}]}"
	[ "$CODE" = 400 ]
	deep=$(printf '[%.0s' $(seq 5000))
	req POST /v2/models/m/infer -d "{\"inputs\": $deep"
	[ "$CODE" = 400 ]
	req POST /v2/models/nosuch/infer -d '{}'
	[ "$CODE" = 404 ]
	req GET /v2/models/m/infer
	[ "$CODE" = 405 ]
	req DELETE /v2/models/m
	[ "$CODE" = 405 ]
	req GET /v2/nosuch
	[ "$CODE" = 404 ]
	[ -n "$(json error <<<"$BODY")" ]
	req GET /v2/health/live
	[ "$CODE" = 200 ]
}

@test "bodies over --max-body get 413, by Content-Length or while chunked" {
	serve -m "$XGB/reg.json=m" --max-body 1K
	head -c 5000 /dev/zero | tr '\0' ' ' > big
	req POST /v2/models/m/infer --data-binary @big
	[ "$CODE" = 413 ]
	[[ "$(json error <<<"$BODY")" == *"--max-body"* ]]
	req POST /v2/models/m/infer -H 'Transfer-Encoding: chunked' --data-binary @big
	[ "$CODE" = 413 ]
	req GET /v2/health/live
	[ "$CODE" = 200 ]
}

@test "KServe V1: model status and :predict with instances" {
	serve -m "$XGB/reg.json=m"
	req GET /v1/models/m
	[ "$CODE" = 200 ]
	[ "$BODY" = '{"name":"m","ready":true}' ]
	row=$(sed -n 2p "$XGB/inputs.csv")
	req POST /v1/models/m:predict -d "{\"instances\": [[$row]]}"
	[ "$CODE" = 200 ]
	want=$(mlp predict "$XGB/reg.json" -i "$XGB/inputs.csv" --json | json predictions 0)
	[ "$(json predictions 0 <<<"$BODY")" = "$want" ]
	req GET /v1/models/nosuch
	[ "$CODE" = 404 ]
	req POST /v1/models/m:predict -d '{"nothing": 1}'
	[ "$CODE" = 400 ]
}

@test "MLflow /invocations: the four JSON forms and CSV, 415 for other types, /ping /health /version" {
	train_churn
	serve -m models:/churn/1
	cols='["age","tenure","monthly","plan","support_calls"]'
	head -3 churn.csv > rows.csv
	want=$(mlp predict models:/churn/1 -i rows.csv --json)
	data=$(/usr/bin/python3 - <<'EOF'
import csv, json
rows = list(csv.DictReader(open("rows.csv")))
cols = [c for c in rows[0] if c != "churned"]
print(json.dumps({"columns": cols, "data": [[r[c] for c in cols] for r in rows]}))
EOF
)
	req POST /invocations -H 'Content-Type: application/json' -d "{\"dataframe_split\": $data}"
	[ "$CODE" = 200 ]
	[ "$BODY" = "$want" ]
	records=$(/usr/bin/python3 -c 'import csv, json; print(json.dumps(list(csv.DictReader(open("rows.csv")))))')
	req POST /invocations -H 'Content-Type: application/json' -d "{\"dataframe_records\": $records}"
	[ "$CODE" = 200 ]
	[ "$BODY" = "$want" ]
	req POST /invocations -H 'Content-Type: application/json' -d "{\"instances\": $records, \"params\": {}}"
	[ "$CODE" = 200 ]
	[ "$BODY" = "$want" ]
	req POST /invocations -H 'Content-Type: application/json; charset=utf-8' -d "{\"inputs\": $records}"
	[ "$CODE" = 200 ]
	[ "$BODY" = "$want" ]
	req POST /invocations -H 'Content-Type: text/csv' --data-binary @rows.csv
	[ "$CODE" = 200 ]
	[ "$BODY" = "$want" ]
	# which version answered
	curl -s -D headers -o /dev/null -H 'Content-Type: text/csv' --data-binary @rows.csv "$URL/invocations"
	grep -qi '^X-MLP-Model-Version: 1' headers
	req POST /invocations -H 'Content-Type: text/plain' -d 'x'
	[ "$CODE" = 415 ]
	req POST /invocations -H 'Content-Type: application/json; charset=latin-1' -d '{}'
	[ "$CODE" = 415 ]
	req POST /invocations -H 'Content-Type: application/json' -d "{\"instances\": $records, \"inputs\": $records}"
	[ "$CODE" = 400 ]
	req GET /invocations
	[ "$CODE" = 405 ]
	req GET /ping
	[ "$CODE" = 200 ]
	req GET /health
	[ "$CODE" = 200 ]
	req GET /version
	[ "$CODE" = 200 ]
	[ -n "$BODY" ]
}

@test "several models: /invocations?model=NAME, and none by default" {
	serve -m "$XGB/reg.json=a" -m "$XGB/binary.json=b"
	row=$(sed -n 2p "$XGB/inputs.csv")
	req POST '/invocations?model=b' -H 'Content-Type: application/json' -d "{\"instances\": [[$row]]}"
	[ "$CODE" = 200 ]
	{ echo a,b,c,d,e,g; tail -n +2 "$XGB/inputs.csv"; } > named.csv
	want=$(mlp predict "$XGB/binary.json" -i named.csv --json | json predictions 0)
	[ "$(json predictions 0 <<<"$BODY")" = "$want" ]
	req POST /invocations -H 'Content-Type: application/json' -d "{\"instances\": [[$row]]}"
	[ "$CODE" = 400 ]
	[[ "$(json message <<<"$BODY")" == *"?model="* ]]
	[ "$(json error_code <<<"$BODY")" = BAD_REQUEST ]
	req POST '/invocations?model=nosuch' -H 'Content-Type: application/json' -d "{\"instances\": [[$row]]}"
	[ "$CODE" = 404 ]
	[ "$(json error_code <<<"$BODY")" = RESOURCE_DOES_NOT_EXIST ]
}

@test "served predictions equal mlp predict's, bit for bit, for every learner and imported XGBoost models" {
	mlp train --data churn.csv --target churned -p rounds=8 --register gbdt >/dev/null
	mlp train --data churn.csv --target churned --algo logistic --register logit >/dev/null
	mlp train --data churn.csv --target tenure --algo linear --register lin >/dev/null
	mlp train --data churn.csv --target tenure -p rounds=8 -p objective=reg:squarederror --register reg >/dev/null
	mlp train --data flowers.csv --target species -p rounds=5 -p objective=multi:softprob -p num_class=3 --register soft >/dev/null
	mlp register "$XGB/softmax.json" -n xsoftmax --flavor xgboost >/dev/null
	mlp register "$XGB/softprob.json" -n xsoftprob --flavor xgboost >/dev/null
	serve -m models:/gbdt/1 -m models:/logit/1 -m models:/lin/1 -m models:/reg/1 \
	    -m models:/soft/1 -m models:/xsoftmax/1 -m models:/xsoftprob/1
	for m in gbdt logit lin reg; do
		mlp predict models:/$m/1 -i churn.csv --json > want.json
		curl -s -H 'Content-Type: text/csv' --data-binary @churn.csv "$URL/invocations?model=$m" > got.json
		cmp want.json got.json
	done
	mlp predict models:/soft/1 -i flowers.csv --json > want.json
	curl -s -H 'Content-Type: text/csv' --data-binary @flowers.csv "$URL/invocations?model=soft" > got.json
	cmp want.json got.json
	for m in xsoftmax xsoftprob; do
		mlp predict models:/$m/1 -i "$XGB/inputs.csv" --json > want.json
		curl -s -H 'Content-Type: text/csv' --data-binary @"$XGB/inputs.csv" "$URL/invocations?model=$m" > got.json
		cmp want.json got.json
	done
}

@test "/metrics: Prometheus text that promtool accepts, requests by model, version, protocol and code" {
	serve -m "$XGB/reg.json=m"
	row=$(sed -n 2p "$XGB/inputs.csv")
	req POST /v1/models/m:predict -d "{\"instances\": [[$row]]}"
	req POST /v1/models/m:predict -d '{}'
	req GET /metrics
	[ "$CODE" = 200 ]
	grep -q '^mlp_requests_total{model="m",version="1",protocol="v1",code="200"} 1$' <<<"$BODY"
	grep -q '^mlp_requests_total{model="m",version="1",protocol="v1",code="400"} 1$' <<<"$BODY"
	grep -q '^mlp_request_errors_total{model="m",version="1",protocol="v1",code="400"} 1$' <<<"$BODY"
	grep -q '^mlp_models_loaded 1$' <<<"$BODY"
	grep -q '^mlp_build_info{version=".*"} 1$' <<<"$BODY"
	grep -q '^mlp_request_duration_seconds_bucket{model="m",protocol="v1",le="+Inf"} 2$' <<<"$BODY"
	curl -s -D headers -o /dev/null "$URL/metrics"
	grep -qi '^Content-Type: text/plain; version=0.0.4' headers
	command -v promtool >/dev/null || skip "promtool (Debian's prometheus) is not installed"
	run promtool check metrics <<<"$BODY"
	[ "$status" -eq 0 ]
}

@test "a real Prometheus scrapes the server and reports the target up" {
	command -v prometheus >/dev/null || skip "prometheus is not installed"
	serve -m "$XGB/reg.json=m"
	hostport=${URL#http://}
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat > prom.yml <<EOF
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: mlp
    static_configs: [{targets: ["$hostport"]}]
EOF
	prometheus --config.file=prom.yml --storage.tsdb.path=tsdb \
	    --web.listen-address=127.0.0.1:$port > prom.log 2>&1 &
	BG_PIDS+=("$!")
	up=
	for i in $(seq 150); do
		up=$(curl -s "http://127.0.0.1:$port/api/v1/query?query=up" |
		    /usr/bin/python3 -c 'import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")' 2>/dev/null)
		[ "$up" = 1 ] && break
		sleep 0.2
	done
	[ "$up" = 1 ] || { cat prom.log; false; }
}

@test "many models within a memory budget: least recently used evicted, pins kept" {
	serve -m "$XGB/reg.json=a" -m "$XGB/binary.json=b" -m "$XGB/softprob.json=c" --memory-budget 1 --pin c
	row=$(sed -n 2p "$XGB/inputs.csv")
	for m in a b a b; do
		req POST /v1/models/$m:predict -d "{\"instances\": [[$row]]}"
		[ "$CODE" = 200 ]
	done
	req GET /metrics
	evictions=$(sed -n 's/^mlp_model_evictions_total //p' <<<"$BODY")
	[ "$evictions" -ge 3 ]
	# the pin and the last used one
	grep -q '^mlp_models_loaded 2$' <<<"$BODY"
	req POST /v1/models/c:predict -d "{\"instances\": [[$row]]}"
	[ "$CODE" = 200 ]
}

@test "SIGTERM: stops accepting, finishes the request in flight, exits 0" {
	serve -m "$XGB/reg.json=m"
	row=$(sed -n 2p "$XGB/inputs.csv")
	/usr/bin/python3 -c "
import json
print(json.dumps({'instances': [[$row]] * 4000}))" > big.json
	# a slow upload keeps the request in flight while the signal comes
	curl -s -o slow.out -w '%{http_code}' --limit-rate 100k \
	    -d @big.json "$URL/v1/models/m:predict" > slow.code &
	client=$!
	sleep 1
	stop
	wait "$client"
	[ "$STOPPED" -eq 0 ]
	[ "$(cat slow.code)" = 200 ]
	[ "$(json predictions <<<"$(cat slow.out)" | tr , '\n' | wc -l)" -eq 4000 ]
	run curl -s "$URL/v2/health/live"
	[ "$status" -ne 0 ]
}

@test "a model path works outside a repository; models:/ needs one" {
	cd "$BATS_TEST_TMPDIR"
	serve -m "$XGB/reg.json"
	req GET /v2/models/reg
	[ "$CODE" = 200 ]
	run mlp serve -p 0 -m models:/churn/1
	[ "$status" -eq 1 ]
	[[ "$output" == *"repository"* ]]
}

# Two versions of churn: 1 (5 rounds) and 2 (9 rounds).
two_versions() {
	mlp train --data churn.csv --target churned -p rounds=5 --register churn >/dev/null
	mlp train --data churn.csv --target churned -p rounds=9 --register churn >/dev/null
}

# infer_churn [curl args]: one OIP request for churn; the version that
# answered in VERSION.
infer_churn() {
	req POST /v2/models/churn/infer "$@" -d '{"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP64", "data": [41, 53.43, 0, 0, 30]}]}'
	VERSION=$(json model_version <<<"$BODY" 2>/dev/null || true)
}

# wait_version V: until the deployment answers with version V (5 s).
wait_version() {
	local i

	for i in $(seq 50); do
		infer_churn
		[ "$VERSION" = "$1" ] && return 0
		sleep 0.1
	done
	echo "still version $VERSION, not $1"
	return 1
}

@test "deployments: served as they change, lazily loaded, a heartbeat while running" {
	two_versions
	serve
	req GET /v2/models/churn
	[ "$CODE" = 404 ]
	mlp -q deploy models:/churn/1
	wait_version 1
	req GET /metrics
	grep -q '^mlp_models_loaded 1$' <<<"$BODY"
	mlp -q deploy models:/churn/2
	wait_version 2
	req GET /metrics
	grep -q '^mlp_model_swaps_total [1-9]' <<<"$BODY"
	n=$(sqlite3 .mlp/mlp.db "SELECT count(*) FROM server WHERE pid = $PID AND deployments = 1")
	[ "$n" -eq 1 ]
	for i in $(seq 30); do
		state=$(sqlite3 .mlp/mlp.db "SELECT state FROM server WHERE pid = $PID")
		[ "$(json routes churn stable <<<"$state")" = 2 ] && break
		sleep 0.1
	done
	[ "$(json routes churn stable <<<"$state")" = 2 ]
	stop
	[ "$STOPPED" -eq 0 ]
	n=$(sqlite3 .mlp/mlp.db "SELECT count(*) FROM server WHERE pid = $PID")
	[ "$n" -eq 0 ]
}

@test "a version that fails to load is never switched to; the failure is in the heartbeat" {
	two_versions
	mlp -q deploy models:/churn/1
	serve
	wait_version 1
	# version 2's objects vanish, and the deployment is changed behind
	# deploy's back
	oid=$(sqlite3 .mlp/mlp.db "SELECT oid FROM model_version WHERE version = 2")
	chmod -R u+w .mlp/objects
	rm -rf ".mlp/objects/${oid:0:2}/${oid:2}"
	sqlite3 .mlp/mlp.db "UPDATE deployment SET previous = stable, stable = 2, generation = generation + 1 WHERE name = 'churn'"
	for i in $(seq 50); do
		state=$(sqlite3 .mlp/mlp.db "SELECT state FROM server WHERE pid = $PID")
		[ "$(json failed churn version <<<"$state" 2>/dev/null)" = 2 ] && break
		sleep 0.1
	done
	[ "$(json failed churn version <<<"$state")" = 2 ]
	for i in $(seq 20); do
		infer_churn
		[ "$CODE" = 200 ]
		[ "$VERSION" = 1 ]
	done
}

@test "canary: the share of requests within tolerance over 2000, sticky routing keys, the version in the response" {
	two_versions
	mlp -q deploy models:/churn/1
	mlp -q deploy models:/churn/2 --canary 20
	serve
	for i in $(seq 50); do
		n=$(sqlite3 .mlp/mlp.db "SELECT json_extract(state, '\$.routes.churn.canary') FROM server WHERE pid = $PID")
		[ "$n" = 2 ] && break
		sleep 0.1
	done
	body='{"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP64", "data": [41, 53.43, 0, 0, 30]}]}'
	canary=$(for i in $(seq 2000); do echo "url = \"$URL/v2/models/churn/infer\""; echo "data = '$body'"; echo "next"; done |
	    sed '$d' | curl -s -K - | grep -o '"model_version":"2"' | wc -l)
	# 20% of 2000 is 400; 5 standard deviations is 90
	[ "$canary" -gt 310 ] && [ "$canary" -lt 490 ]
	# one key, one version, every time
	for key in alice bob carol dave erin frank; do
		first=
		for i in 1 2 3 4 5; do
			infer_churn -H "X-MLP-Routing-Key: $key"
			[ -z "$first" ] && first=$VERSION
			[ "$VERSION" = "$first" ]
		done
	done
	# MLflow's protocol says it in a header
	curl -s -D headers -o /dev/null -H 'Content-Type: application/json' -H 'X-MLP-Routing-Key: alice' \
	    -d '{"instances": [[41, 53.43, 0, "basic", 30]]}' "$URL/invocations"
	grep -qi '^X-MLP-Model-Version: [12]' headers
	# a version by number
	req POST /v2/models/churn/versions/2/infer -d "$body"
	[ "$(json model_version <<<"$BODY")" = 2 ]
	req POST /v2/models/churn/versions/3/infer -d "$body"
	[ "$CODE" = 404 ]
}

@test "hot swap under load: 20 deploys alternate two versions while wrk runs; every response is 2xx from one of them" {
	command -v wrk >/dev/null || skip "wrk is not installed"
	two_versions
	mlp -q deploy models:/churn/1
	serve
	wait_version 1
	cat > swap.lua <<'EOF'
wrk.method = "POST"
wrk.body = '{"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP64", "data": [41, 53.43, 0, 0, 30]}]}'
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; v1 = 0; v2 = 0; n = 0 end
function response(status, headers, body)
	n = n + 1
	if status ~= 200 then bad = bad + 1
	elseif body:find('"model_version":"1"', 1, true) then v1 = v1 + 1
	elseif body:find('"model_version":"2"', 1, true) then v2 = v2 + 1
	else bad = bad + 1 end
end
function done(summary, latency, requests)
	local b, a, c, t = 0, 0, 0, 0
	for _, th in ipairs(threads) do
		b = b + th:get("bad"); a = a + th:get("v1")
		c = c + th:get("v2"); t = t + th:get("n")
	end
	io.write(string.format("bad %d v1 %d v2 %d n %d\n", b, a, c, t))
end
EOF
	wrk -t2 -c16 -d8s -s swap.lua "$URL/v2/models/churn/infer" > wrk.out 2>&1 &
	load=$!
	sleep 0.5
	for i in $(seq 20); do
		mlp -q deploy models:/churn/$((i % 2 + 1))
		sleep 0.25
	done
	wait "$load"
	cat wrk.out
	read -r _ bad _ v1 _ v2 _ n < <(grep '^bad ' wrk.out)
	[ "$bad" -eq 0 ]
	[ "$v1" -gt 0 ] && [ "$v2" -gt 0 ]
	! grep -q 'Socket errors' wrk.out
	! grep -q 'Non-2xx' wrk.out
	req GET /metrics
	swaps=$(sed -n 's/^mlp_model_swaps_total //p' <<<"$BODY")
	[ "$swaps" -ge 10 ]
}

@test "serving a read-only repository: deployments are served, no heartbeat is written" {
	[ "$(id -u)" -ne 0 ] || skip "root writes anywhere"
	two_versions
	mlp -q deploy models:/churn/1
	chmod -R a-w .mlp
	serve
	wait_version 1
	chmod -R u+w .mlp
}

@test "--log-predictions: a JSON line per request (sampled), rotated by size, written off the request path" {
	serve -m "$XGB/binary.json=fraud" --log-predictions plog --log-max-size 4K
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	row=$(sed -n 2p "$XGB/inputs.csv")
	for i in $(seq 30); do
		req POST /v2/models/fraud/infer -d "{\"id\": \"q$i\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$row]}]}"
		[ "$CODE" = 200 ]
	done
	{ echo a,b,c,d,e,g; tail -n +2 "$XGB/inputs.csv"; } > named.csv
	req POST /invocations -H 'Content-Type: text/csv' --data-binary @named.csv
	[ "$CODE" = 200 ]
	stop
	[ "$STOPPED" -eq 0 ]
	[ "$(ls plog | wc -l)" -ge 2 ]
	cat plog/*.jsonl > all
	[ "$(wc -l < all)" -eq 31 ]
	/usr/bin/python3 - "$XGB/binary.json" <<'EOF'
import json
recs = [json.loads(l) for l in open("all")]
ids = sorted(r["request_id"] for r in recs if r["protocol"] == "v2")
assert ids == sorted("q%d" % i for i in range(1, 31)), ids
for r in recs:
    assert r["model"] == "fraud" and r["version"] == "1", r
    assert r["latency_ms"] >= 0 and r["time"].endswith("Z")
    assert len(r["inputs"]["data"]) == len(r["predictions"])
    assert len(r["inputs"]["columns"]) == len(r["inputs"]["data"][0])
EOF
	# --sample: about a tenth
	serve -m "$XGB/binary.json=fraud" --log-predictions plog2 --sample 0.1
	for i in $(seq 300); do echo "url = \"$URL/v1/models/fraud:predict\""; echo "data = '{\"instances\": [[$row]]}'"; echo next; done |
	    sed '$d' | curl -s -K - > /dev/null
	stop
	n=$(cat plog2/*.jsonl | wc -l)
	[ "$n" -gt 5 ] && [ "$n" -lt 70 ]
	run mlp serve -m "$XGB/binary.json" --sample 0.5
	[ "$status" -eq 2 ]
	run mlp serve -m "$XGB/binary.json" --log-predictions plog --sample 2
	[ "$status" -eq 2 ]
	touch notadir
	run mlp serve -p 0 -m "$XGB/binary.json" --log-predictions notadir
	[ "$status" -eq 1 ]
	[[ "$output" == *"notadir"* ]]
}

# rss PID: resident KiB
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

@test "abuse: slow clients (slowhttptest) do not make the service unavailable" {
	command -v slowhttptest >/dev/null || skip "slowhttptest is not installed"
	serve -m "$XGB/reg.json=m" --timeout 5
	port=${URL##*:}
	slowhttptest -c 400 -H -i 5 -r 200 -t GET -u "$URL/v2/health/live" \
	    -x 24 -p 3 -l 8 -o slow > slow.log 2>&1 &
	attack=$!
	sleep 3
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	row=$(sed -n 2p "$XGB/inputs.csv")
	for i in 1 2 3; do
		run curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL/v2/models/m/infer" -d "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP64\", \"data\": [$row]}]}"
		[ "$output" = 200 ]
		sleep 1
	done
	wait "$attack" || true
	kill -0 "$PID"
}

@test "abuse: thousands of idle keep-alive connections hold bounded memory" {
	serve -m "$XGB/reg.json=m"
	before=$(rss "$PID")
	port=${URL##*:}
	/usr/bin/python3 - "$port" "$PID" > conns.out <<'EOF'
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, n = int(sys.argv[1]), min(3000, hard - 100)
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    assert b" 200 " in s.recv(4096)
time.sleep(0.5)
rss = [l for l in open("/proc/%s/status" % sys.argv[2]) if l.startswith("VmRSS:")][0].split()[1]
print(n, rss)
EOF
	read -r n after < conns.out
	echo "$n connections: $before KiB before, $after KiB with them"
	[ "$n" -ge 900 ]
	# bounded: under 40 KiB a connection (nginx takes about 1)
	[ $(( (after - before) / n )) -lt 40 ]
	req GET /v2/health/live
	[ "$CODE" = 200 ]
}

@test "connections: large bodies on many connections, requests in pieces, a silent connection closed after --timeout" {
	serve -m "$XGB/reg.json=m" --timeout 2
	port=${URL##*:}
	row=$(sed -n 2p "$XGB/inputs.csv")
	/usr/bin/python3 - "$port" "$row" <<'EOF'
import json, socket, sys, time
port, row = int(sys.argv[1]), [float(v) for v in sys.argv[2].split(",")]

def request(rows):
    body = json.dumps({"instances": [row] * rows}).encode()
    return (b"POST /v1/models/m:predict HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body

def answer(s):
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    n = int([l for l in head.split(b"\r\n")
             if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(body) < n:
        body += s.recv(65536)
    assert b" 200 " in head.split(b"\r\n")[0], head
    return json.loads(body)["predictions"]

one = None
# more connections with large bodies than get the large buffers: the
# rest are served the same, twice each on one connection
big = request(1000)
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
for _ in range(2):
    for s in socks:
        s.sendall(big)
    for s in socks:
        p = answer(s)
        assert len(p) == 1000 and len(set(p)) == 1, p[:3]
        one = one if one is not None else p[0]
        assert p[0] == one
for s in socks:
    s.close()
# the headers, then the body a second later; then a request a byte at a time
s = socket.create_connection(("127.0.0.1", port))
r = request(300)
head, body = r.split(b"\r\n\r\n", 1)
s.sendall(head + b"\r\n\r\n")
time.sleep(1)
s.sendall(body)
assert answer(s)[0] == one
for b in request(1):
    s.send(bytes([b]))
assert answer(s) == [one]
s.close()
# a connection that says nothing is closed after --timeout (2 s)
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(10)
t = time.time()
assert s.recv(1) == b""
assert 1 <= time.time() - t <= 6, time.time() - t
EOF
	req GET /v2/health/live
	[ "$CODE" = 200 ]
}

@test "abuse: mutated requests (zzuf) never crash the server" {
	command -v zzuf >/dev/null || skip "zzuf is not installed"
	serve -m "$XGB/binary.json=m" -m "$XGB/reg.json=r"
	port=${URL##*:}
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	row=$(sed -n 2p "$XGB/inputs.csv")
	mk() {	# mk FILE METHOD PATH [CONTENT-TYPE BODY]
		local body=${5-}
		printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n' "$2" "$3" > "$1"
		[ -z "${4-}" ] || printf 'Content-Type: %s\r\n' "$4" >> "$1"
		printf 'Content-Length: %d\r\nConnection: close\r\n\r\n%s' "${#body}" "$body" >> "$1"
	}
	mk r1 POST /v2/models/m/infer application/json "{\"id\": \"a\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP32\", \"data\": [[$row]]}], \"outputs\": [{\"name\": \"predict\"}]}"
	mk r2 POST '/invocations?model=r' application/json "{\"dataframe_split\": {\"columns\": $(head -1 "$XGB/inputs.csv" | sed 's/[^,]*/"&"/g; s/^/[/; s/$/]/'), \"data\": [[$row]]}}"
	mk r3 POST /invocations?model=m text/csv "$(head -3 "$XGB/inputs.csv")"
	mk r4 POST /v1/models/r:predict application/json "{\"instances\": [[$row], [$row]]}"
	mk r5 GET /v2/models/m/versions/1
	for seed in $(seq 150); do
		for f in r1 r2 r3 r4 r5; do
			zzuf -s "$seed" -r 0.004:0.04 cat "$f" > mutated
			/usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(open("mutated", "rb").read())
s.shutdown(socket.SHUT_WR)
try:
    while s.recv(65536): pass
except Exception: pass' "$port" || true
		done
		kill -0 "$PID"
	done
	req GET /v2/health/live
	[ "$CODE" = 200 ]
}

# oip_valid SCHEMA: the JSON on stdin is valid against the OIP spec's
# schema of that name (tests/data/oip/schema.json).
oip_valid() {
	/usr/bin/python3 -c '
import json, sys, jsonschema
doc = json.load(open(sys.argv[1]))
schema = dict(doc["definitions"][sys.argv[2]], definitions=doc["definitions"])
jsonschema.validate(json.load(sys.stdin), schema)' \
	    "$BATS_TEST_DIRNAME/data/oip/schema.json" "$1"
}

@test "OIP responses are valid against the spec's schemas" {
	/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
	serve -m "$XGB/softprob.json=m"
	n=$(awk -F, 'NR == 1 { print NF }' "$XGB/inputs.csv")
	row=$(sed -n 2p "$XGB/inputs.csv")
	req GET /v2
	oip_valid metadata_server_response <<<"$BODY"
	req GET /v2/models/m
	oip_valid metadata_model_response <<<"$BODY"
	req GET /v2/models/m/versions/1
	oip_valid metadata_model_response <<<"$BODY"
	req POST /v2/models/m/infer -d "{\"id\": \"x\", \"inputs\": [{\"name\": \"x\", \"shape\": [2, $n], \"datatype\": \"FP32\", \"data\": [[$row], [$row]]}]}"
	[ "$CODE" = 200 ]
	oip_valid inference_response <<<"$BODY"
	req POST /v2/models/m/infer -d "{\"id\": \"x\", \"inputs\": [{\"name\": \"x\", \"shape\": [1, $n], \"datatype\": \"FP32\", \"data\": [$row]}], \"outputs\": [{\"name\": \"probabilities\"}], \"parameters\": {\"a\": 1}}"
	[ "$CODE" = 200 ]
	oip_valid inference_response <<<"$BODY"
	for path in /v2/models/nosuch /v2/models/m/versions/7 /v2/nosuch; do
		req GET "$path"
		[ "$CODE" = 404 ]
		oip_valid error_response <<<"$BODY"
	done
	req POST /v2/models/m/infer -d '{"inputs": 1}'
	[ "$CODE" = 400 ]
	oip_valid error_response <<<"$BODY"
}

@test "the quickstart (make demo) goes to a deployed model answering curl on both protocols, then feature store to train to serve by entity key" {
	mkdir "$BATS_TEST_TMPDIR/demo"
	run env PATH="$(dirname "$MLP"):$PATH" sh "$BATS_TEST_DIRNAME/../share/examples/quickstart/run.sh" "$BATS_TEST_TMPDIR/demo"
	[ "$status" -eq 0 ] || { echo "$output" | tail -20; false; }
	[[ "$output" == *'"model_name":"churn","model_version":"1"'* ]]
	[[ "$output" == *'{"predictions":['* ]]
	[[ "$output" == *'"feature_names":["driver_id","rating","fare_count_7d"]'* ]]
	[ "$(printf '%s\n' "$output" | grep -A1 'a prediction by driver id' | tail -n 1 | sed 's/[0-9.]*,[0-9.]*/N,N/')" = '{"predictions":[N,N]}' ]
}

@test "completion: deployments after --pin, model sources after -m" {
	mlp train --data churn.csv --target churned -p rounds=3 --register churn >/dev/null
	mlp -q deploy models:/churn/1 --name web
	run mlp __complete serve --pin ''
	[ "$output" = web ]
	run mlp __complete serve -m models:/
	[[ "$output" == *"models:/churn/"* ]]
}

@test "concurrent first requests for a deployment load it once" {
	two_versions
	mlp -q deploy models:/churn/2
	serve
	body='{"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP64", "data": [41, 53.43, 0, 0, 30]}]}'
	pids=()
	for i in $(seq 16); do
		curl -s -o "c$i" -w '%{http_code}\n' -d "$body" "$URL/v2/models/churn/infer" > "s$i" &
		pids+=("$!")
	done
	wait "${pids[@]}"
	[ "$(cat s* | sort -u)" = 200 ]
	req GET /metrics
	grep -q '^mlp_model_loads_total 1$' <<<"$BODY"
}
