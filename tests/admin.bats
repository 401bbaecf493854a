#!/usr/bin/env bats
# mlp serve's admin API (--token-file) and mlp deploy --target http://: two
# repositories, a client that registers and deploys and a server's, whose
# mlp serve listens on a free port of 127.0.0.1 and is stopped by PID.

load helper

setup() {
	setup_home
	EX="$BATS_TEST_DIRNAME/../share/examples/train"
	XGB="$BATS_TEST_DIRNAME/data/xgb"
	CLI="$BATS_TEST_TMPDIR/client"
	SRV="$BATS_TEST_TMPDIR/server"
	mkdir -p "$CLI" "$SRV"
	(cd "$SRV" && "$MLP" -q init)
	cd "$CLI"
	"$MLP" -q init
	cp "$EX"/churn.csv .
	head -4 churn.csv > rows.csv
	TOKEN=0123456789abcdef0123456789abcdef
	printf '%s\n' "$TOKEN" > "$BATS_TEST_TMPDIR/tok"
	chmod 600 "$BATS_TEST_TMPDIR/tok"
	unset MLP_DEPLOY_TOKEN
}

teardown() {
	stop_background
}

# serve ARGS...: mlp serve in the server's repository (helper.bash's
# serve_in).
serve() {
	serve_in "$SRV" "$@"
}

# admin METHOD PATH [curl args...]: req with the token.
admin() {
	local method=$1 path=$2

	shift 2
	req "$method" "$path" -H "Authorization: Bearer $TOKEN" "$@"
}

srvsql() {
	sqlite3 -cmd '.timeout 10000' "$SRV/.mlp/mlp.db" "$@"
}

# Versions 1 and 2 of churn in the client's repository.
models() {
	local r

	for r in 3 5; do
		mlp -q train --data churn.csv --target churned -p rounds=$r \
		    --register churn >/dev/null
	done
}

# infer [curl args...]: OIP infer of rows.csv on the server's deployment
# $DEP (default churn); the version that answered in VERSION, the
# predictions in PRED (as mlp predict --json prints them).
infer() {
	local body

	body=$(/usr/bin/python3 - <<'EOF'
import csv, json
rows = list(csv.DictReader(open("rows.csv")))
cols = [c for c in rows[0] if c != "churned"]
ins = []
for c in cols:
    cat = c == "plan"
    ins.append({"name": c, "shape": [len(rows)], "datatype": "BYTES" if cat else "FP64",
                "data": [r[c] if cat else float(r[c]) for r in rows]})
print(json.dumps({"inputs": ins}))
EOF
)
	CODE=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' \
	    -d "$body" "$@" "$URL/v2/models/${DEP:-churn}/infer")
	BODY=$(cat "$BATS_TEST_TMPDIR/body")
	VERSION=$(json model_version <<<"$BODY" 2>/dev/null || true)
	PRED=$(json outputs 0 data <<<"$BODY" 2>/dev/null || true)
	PRED="{\"predictions\":$PRED}"
}

# until_served V: until the server answers with version V (10 s at most).
until_served() {
	local i

	for i in $(seq 100); do
		infer
		[ "$VERSION" = "$1" ] && return 0
		sleep 0.1
	done
	echo "version $VERSION answers, not $1"
	return 1
}

# What identifies a process, as mlp records it (see tests/deploy.bats).
pid_start() {
	echo "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20) $(cat /proc/sys/kernel/random/boot_id)"
}

@test "--token-file: the first line, 16 bytes or more, readable by its owner only" {
	cd "$SRV"
	run mlp serve -p 0 --token-file nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == "mlp: serve: --token-file 'nosuch': No such file or directory" ]]
	printf '%s\n' "$TOKEN" > t644
	chmod 644 t644
	run mlp serve -p 0 --token-file t644
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"--token-file 't644': group or others may read or write it (mode 0644)"* ]]
	[[ "${lines[1]}" == "hint: chmod 600 't644'" ]]
	printf 'short\n%s\n' "$TOKEN" > t
	chmod 600 t
	run mlp serve -p 0 --token-file t
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"the token on its first line is 5 bytes: it must be 16 to 4096"* ]]
	[[ "${lines[1]}" == "hint: make one with: openssl rand -hex 32 > 't'" ]]
	: > t
	run mlp serve -p 0 --token-file t
	[ "$status" -eq 1 ]
	[[ "$output" == *"is 0 bytes"* ]]
	printf 'abcdefgh ijklmnopq\n' > t
	run mlp serve -p 0 --token-file t
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds a space"* ]]
	run mlp serve -p 0 --token-file .
	[ "$status" -eq 1 ]
	[[ "$output" == *"a directory"* ]]
	# a CRLF line end is not part of the token
	printf '%s\r\nmore\n' "$TOKEN" > t
	serve --token-file t
	admin GET /mlp/v1/deployments
	[ "$CODE" = 200 ]
}

@test "a server without --token-file has no admin API: 404, and deploy says how to open it" {
	serve
	req GET /v2
	[ "$(json extensions <<<"$BODY")" = "[]" ]
	for ep in "POST /v2/repository/index" \
	    "POST /v2/repository/models/churn/load" \
	    "POST /v2/repository/models/churn/unload" "PUT /mlp/v1/models" \
	    "GET /mlp/v1/deployments" "POST /mlp/v1/deployments/churn"; do
		# shellcheck disable=SC2086
		admin $ep
		[ "$CODE" = 404 ]
		[[ "$(json error <<<"$BODY")" == *"--token-file"* ]]
	done
	models
	MLP_DEPLOY_TOKEN=$TOKEN run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: target $URL: no such endpoint: /mlp/v1/models (the admin API exists when mlp serve is started with --token-file)" ]]
	[[ "${lines[1]}" == "hint: start mlp serve there with --token-file FILE" ]]
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 0 ]
}

@test "no token is 401 (WWW-Authenticate: Bearer), another is 403; mlp deploy says so and exits 1" {
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	req GET /v2
	[ "$(json extensions <<<"$BODY")" = '["model_repository"]' ]
	curl -s -D headers -o body -X POST "$URL/v2/repository/index"
	grep -q '^HTTP/1.1 401' headers
	grep -qi '^WWW-Authenticate: Bearer' headers
	[[ "$(json error < body)" == *"Authorization: Bearer TOKEN"* ]]
	for ep in "GET /mlp/v1/deployments" "PUT /mlp/v1/models" \
	    "POST /mlp/v1/deployments/churn" "POST /v2/repository/models/x/load" \
	    "GET /mlp/nosuch"; do
		# shellcheck disable=SC2086
		req $ep
		[ "$CODE" = 401 ]
		# shellcheck disable=SC2086
		req $ep -H "Authorization: Bearer ${TOKEN}x"
		[ "$CODE" = 403 ]
		[ "$(json error <<<"$BODY")" = "the token is not this server's" ]
	done
	req POST /v2/repository/index -H "Authorization: Basic $TOKEN"
	[ "$CODE" = 401 ]
	req POST /v2/repository/index -H "Authorization: Bearer ${TOKEN%?}"
	[ "$CODE" = 403 ]
	req POST /v2/repository/index -H "Authorization: bearer  $TOKEN"
	[ "$CODE" = 200 ]
	# the prediction endpoints need no token
	req GET /v2/health/ready
	[ "$CODE" = 200 ]
	models
	run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: target $URL: the server asks for a token (HTTP 401): "* ]]
	[[ "${lines[1]}" == "hint: set MLP_DEPLOY_TOKEN (or the config's deploy.token) to the token of the server's --token-file" ]]
	MLP_DEPLOY_TOKEN=wrong-token-of-some-length run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: target $URL: the token was refused (HTTP 403): the token is not this server's" ]]
	run mlp deploy status churn --target "$URL"
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP 401"* ]]
	# nothing reached the server's repository
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 0 ]
	[ "$(srvsql 'SELECT count(*) FROM deployment')" = 0 ]
	# the config's token works, and the environment's wins over it
	mlp config deploy.token "$TOKEN"
	run mlp deploy status churn --target "$URL"
	[[ "$output" == *"no deployment 'churn'"* ]]
	MLP_DEPLOY_TOKEN=wrong-token-of-some-length run mlp deploy status churn --target "$URL"
	[[ "$output" == *"HTTP 403"* ]]
}

@test "deploy --target http://: the version travels with its objects and the server answers with it" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	export MLP_DEPLOY_TOKEN=$TOKEN
	run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sent models:/churn/1 to $URL" ]
	[ "${lines[1]}" = "deployment 'churn' now serves models:/churn/1 (generation 1)" ]
	# the server's repository holds the version, same name, number, object
	[ "$(srvsql 'SELECT m.name, v.version, v.oid FROM model_version v JOIN model m ON m.id = v.model')" = \
	    "$(sqlite3 .mlp/mlp.db "SELECT m.name, v.version, v.oid FROM model_version v JOIN model m ON m.id = v.model WHERE v.version = 1")" ]
	(cd "$SRV" && mlp fsck >/dev/null)
	# and nothing of it is recorded here
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM deployment')" = 0 ]
	until_served 1
	[ "$CODE" = 200 ]
	[ "$PRED" = "$(mlp predict models:/churn/1 -i rows.csv --json)" ]
	# deploying again sends it again, changes nothing
	run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = "deployment 'churn' already serves models:/churn/1: nothing to change" ]
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 1 ]
	# --json, with --wait on that server's servers
	run mlp -q deploy models:/churn/2 --target "$URL" --wait --json
	[ "$status" -eq 0 ]
	[ "$(pyj 'd["stable"], d["previous"], d["target"], d["servers"], d["action"]')" = "(2, 1, '$URL', 1, 'deploy')" ]
	infer
	[ "$VERSION" = 2 ]
	[ "$PRED" = "$(mlp predict models:/churn/2 -i rows.csv --json)" ]
	# the history there says who, from where
	run mlp deploy history churn --target "$URL" --json
	[ "$(pyj '[(e["action"], e["stable"], e["user"], e["host"]) for e in d]')" = \
	    "[('deploy', 1, 'tester', '$(hostname)'), ('deploy', 2, 'tester', '$(hostname)')]" ]
	[ "$(pyj 'd[0]["detail"]')" = "models:/churn/1" ]
}

@test "a canary, promote and rollback on the remote; list, status and history read it" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	export MLP_DEPLOY_TOKEN=$TOKEN
	mlp -q deploy models:/churn/1 --target "$URL" --name web
	DEP=web
	run mlp deploy models:/churn/2 --target "$URL" --name web --canary 30 --wait
	[ "$status" -eq 0 ]
	[[ "$output" == *"deployment 'web' now serves models:/churn/1, canary models:/churn/2 at 30% (generation 2)"* ]]
	# both answer, each a sticky key's choice
	seen=
	for k in $(seq 40); do
		infer -H "X-MLP-Routing-Key: user$k"
		seen="$seen $VERSION"
	done
	[[ "$seen" == *" 1"* && "$seen" == *" 2"* ]]
	infer -H "X-MLP-Routing-Key: user7"
	v=$VERSION
	for k in 1 2 3; do
		infer -H "X-MLP-Routing-Key: user7"
		[ "$VERSION" = "$v" ]
	done
	run mlp deploy status web --target "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" == *"target      $URL"* ]]
	[[ "$output" == *"canary      models:/churn/2, 30% of requests"* ]]
	[[ "$output" == *"servers     1 live"* ]]
	[[ "$output" == *"ready"* ]]
	run mlp deploy status --target "$URL" --json
	[ "$(pyj '[(x["name"], x["canary"], x["state"], x["servers"][0]["routes"]["canary"]) for x in d]')" = \
	    "[('web', 2, 'canary', 2)]" ]
	run mlp deploy list --target "$URL"
	[[ "${lines[1]}" == "web "*"churn"*"2 (30%)"*"$URL"* ]]
	run mlp deploy promote web --target "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = "deployment 'web' now serves models:/churn/2 (generation 3)" ]
	until_served 2
	run mlp deploy rollback web --target "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = "deployment 'web' now serves models:/churn/1 (generation 4)" ]
	until_served 1
	# what the state refuses there is refused, naming it
	run mlp deploy promote web --target "$URL"
	[ "$status" -eq 1 ]
	[ "$output" = "mlp: deploy promote: target $URL: deployment 'web' has no canary to promote" ]
	run mlp deploy rollback nosuch --target "$URL"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy rollback: target $URL: no deployment 'nosuch'" ]]
	run mlp deploy history web --target "$URL"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk 'NR > 1 { print $3 }' | tr '\n' ' ')" = "deploy canary promote rollback " ]
	run mlp deploy rm web --target "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = "removed deployment 'web' (its history stays)" ]
	[ "$(srvsql 'SELECT count(*) FROM deployment')" = 0 ]
	# this repository's deployments are not the server's
	run mlp deploy promote web
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mlp: deploy promote: no deployment 'web'" ]
	[ "${lines[1]}" = "hint: 'mlp deploy list' lists this repository's deployments; a remote mlp serve's need --target http://HOST:PORT" ]
	run mlp deploy status web --target local
	[ "$status" -eq 1 ]
	run mlp deploy promote web --target kserve
	[ "$status" -eq 2 ]
	[[ "$output" == *"--target names a remote mlp serve (http://HOST:PORT)"* ]]
	run mlp deploy models:/churn/1 --target "$URL" -o x.yaml
	[ "$status" -eq 2 ]
	[[ "$output" == *"-o is for target kserve"* ]]
}

@test "gates are checked here, against the run in this repository; a locked deployment there exits 4" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	export MLP_DEPLOY_TOKEN=$TOKEN
	run mlp deploy models:/churn/1 --target "$URL" --require "metrics.train_auc > 2"
	[ "$status" -eq 3 ]
	[[ "$output" == *"metrics.train_auc > 2"* ]]
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 0 ]
	run mlp deploy models:/churn/1 --target "$URL" --require "metrics.train_auc > 0.5"
	[ "$status" -eq 0 ]
	# a lock held there by a live process
	sleep 600 &
	BG_PIDS+=("$!")
	srvsql "INSERT INTO deployment_lock (deployment, user, host, pid,
	    pid_start, since) VALUES ('churn', 'bob', '$(hostname)', $!,
	    '$(pid_start $!)', 1796313600000)"
	run mlp deploy models:/churn/2 --target "$URL"
	[ "$status" -eq 4 ]
	# the version went up first; the change was refused there
	[ "${lines[0]}" = "sent models:/churn/2 to $URL" ]
	[[ "${lines[1]}" == "mlp: deploy create: target $URL: deployment 'churn' is locked by bob@$(hostname) pid $! since "* ]]
	[ "${lines[2]}" = "hint: --wait-lock waits until it is free" ]
	[ "$(srvsql 'SELECT stable FROM deployment')" = 1 ]
	run mlp deploy models:/churn/2 --target "$URL" --wait-lock --timeout 0.5
	[ "$status" -eq 4 ]
	(sleep 1; srvsql "DELETE FROM deployment_lock") &
	BG_PIDS+=("$!")
	run mlp deploy models:/churn/2 --target "$URL" --wait-lock
	[ "$status" -eq 0 ]
	[[ "$output" == *"now serves models:/churn/2"* ]]
}

@test "--wait on the remote: a server there that never serves it rolls the deployment back (exit 5)" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	export MLP_DEPLOY_TOKEN=$TOKEN
	mlp -q deploy models:/churn/1 --target "$URL"
	# a second server of that repository, which routes nothing
	sleep 600 &
	BG_PIDS+=("$!")
	srvsql "INSERT INTO server (host, pid, pid_start, url, deployments,
	    started, seen, state) VALUES ('$(hostname)', $!, '$(pid_start $!)',
	    'http://127.0.0.1:9', 1, 0, 9999999999999, '{}')"
	run mlp deploy models:/churn/2 --target "$URL" --wait --timeout 1
	[ "$status" -eq 5 ]
	[[ "$output" == *"rolled back deployment 'churn' to its state before: timed out after"*"http://127.0.0.1:9"* ]]
	run mlp deploy history churn --target "$URL" --json
	[ "$(pyj '[(e["action"], e["stable"]) for e in d]')" = \
	    "[('deploy', 1), ('deploy', 2), ('auto-rollback', 1)]" ]
	until_served 1
}

@test "a server that cannot be reached is a clear error" {
	models
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	MLP_DEPLOY_TOKEN=$TOKEN run mlp deploy models:/churn/1 --target "http://127.0.0.1:$port"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: target http://127.0.0.1:$port: cannot reach mlp serve: "* ]]
	[[ "${lines[1]}" == "hint: is mlp serve running there"* ]]
	run mlp deploy models:/churn/1 --target "http://user@host:1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not an http:// URL"* ]]
	run mlp deploy models:/churn/1 --target "http://"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown target 'http://'"* ]]
}

@test "a version larger than the server's --max-body: 413, and a hint" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok" --max-body 2k
	MLP_DEPLOY_TOKEN=$TOKEN run mlp deploy models:/churn/1 --target "$URL"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: deploy create: target $URL: request body of "*" bytes is over the limit of 2048 (--max-body)" ]]
	[[ "${lines[1]}" == "hint: the version's export is larger than the server takes: start mlp serve there with a larger --max-body" ]]
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 0 ]
}

@test "OIP's model repository extension: index, load, unload" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	MLP_DEPLOY_TOKEN=$TOKEN mlp -q deploy models:/churn/1 --target "$URL"
	until_served 1
	admin POST /v2/repository/index
	[ "$CODE" = 200 ]
	[ "$BODY" = '[{"name":"churn","version":"1","state":"READY","reason":""}]' ]
	admin POST /v2/repository/models/churn/unload
	[ "$CODE" = 200 ]
	[ -z "$BODY" ]
	admin POST /v2/repository/index -d '{}'
	[ "$BODY" = '[{"name":"churn","version":"1","state":"UNAVAILABLE","reason":"unloaded (it loads on its first request)"}]' ]
	admin POST /v2/repository/index -d '{"ready": true}'
	[ "$BODY" = '[]' ]
	admin POST /v2/repository/models/churn/load -d '{"parameters": {}}'
	[ "$CODE" = 200 ]
	admin POST /v2/repository/index -d '{"ready": true}'
	[ "$(json 0 state <<<"$BODY")" = READY ]
	# pinned: unloaded only by unload, and answering meanwhile
	infer
	[ "$VERSION" = 1 ]
	admin POST /v2/repository/models/nosuch/load
	[ "$CODE" = 404 ]
	[ "$(json error <<<"$BODY")" = "model 'nosuch' is not served" ]
	admin POST /v2/repository/index -d '{"ready": 1}'
	[ "$CODE" = 400 ]
	[ "$(json error <<<"$BODY")" = '"ready" must be true or false' ]
	admin POST /v2/repository/index -d 'not json'
	[ "$CODE" = 400 ]
	admin GET /v2/repository/index
	[ "$CODE" = 405 ]
	admin GET /v2/repository/models/churn/load
	[ "$CODE" = 405 ]
	admin POST /v2/repository/models/churn/reload
	[ "$CODE" = 404 ]
	# a server of -m models has the extension too
	kill "$PID"
	wait "$PID" || true
	serve --token-file "$BATS_TEST_TMPDIR/tok" -m "$XGB/binary.json=fraud"
	admin POST /v2/repository/index
	[ "$BODY" = '[{"name":"fraud","version":"1","state":"READY","reason":""}]' ]
	admin POST /mlp/v1/deployments/fraud -d '{"action": "rollback"}'
	[ "$CODE" = 409 ]
	[[ "$(json error <<<"$BODY")" == *"serves -m models"* ]]
}

@test "PUT /mlp/v1/models: an export becomes a version there; garbage is 400 and writes nothing" {
	models
	mlp register export models:/churn/2 -o v2.tar.gz
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	objects() { find "$SRV/.mlp/objects" -type f | wc -l; }
	before=$(objects)
	head -c 5000 /dev/urandom > garbage
	admin PUT /mlp/v1/models --data-binary @garbage
	[ "$CODE" = 400 ]
	[[ "$(json error <<<"$BODY")" == "'request body': "* ]]
	# a cut archive
	head -c 300 v2.tar.gz > cut.tar.gz
	admin PUT /mlp/v1/models --data-binary @cut.tar.gz
	[ "$CODE" = 400 ]
	admin PUT /mlp/v1/models
	[ "$CODE" = 400 ]
	[[ "$(json error <<<"$BODY")" == "no archive"* ]]
	[ "$(objects)" = "$before" ]
	[ "$(find "$SRV/.mlp/tmp" -type f | wc -l)" = 0 ]
	[ "$(srvsql 'SELECT count(*) FROM model_version')" = 0 ]
	admin POST /mlp/v1/models
	[ "$CODE" = 405 ]
	# the export, with its number
	admin PUT /mlp/v1/models --data-binary @v2.tar.gz -H 'X-MLP-User: alice'
	[ "$CODE" = 201 ]
	[ "$(json name <<<"$BODY")" = churn ]
	[ "$(json version <<<"$BODY")" = 2 ]
	[ "$(json created <<<"$BODY")" = true ]
	[ "$(srvsql 'SELECT version, user FROM model_version')" = "2|alice" ]
	admin PUT /mlp/v1/models --data-binary @v2.tar.gz
	[ "$CODE" = 200 ]
	[ "$(json created <<<"$BODY")" = false ]
	# version 2 there holding another object is a conflict
	(cd "$SRV" && mlp -q train --data "$CLI/churn.csv" --target churned \
	    -p rounds=2 --register other >/dev/null)
	mlp register export models:/churn/1 -o v1.tar.gz
	srvsql "UPDATE model_version SET oid = (SELECT oid FROM model_version
	    WHERE model = (SELECT id FROM model WHERE name = 'other'))
	    WHERE version = 2"
	admin PUT /mlp/v1/models --data-binary @v2.tar.gz
	[ "$CODE" = 409 ]
	[[ "$(json error <<<"$BODY")" == *"version 2 of 'churn' exists with another object"* ]]
}

@test "POST /mlp/v1/deployments: bad requests are 4xx naming the field; GET answers the state" {
	models
	serve --token-file "$BATS_TEST_TMPDIR/tok"
	admin POST /mlp/v1/deployments/churn -d 'not json'
	[ "$CODE" = 400 ]
	admin POST /mlp/v1/deployments/churn -d '{}'
	[ "$CODE" = 400 ]
	[[ "$(json error <<<"$BODY")" == '"action" must be one of'* ]]
	admin POST /mlp/v1/deployments/churn -d '{"action": "explode"}'
	[ "$CODE" = 400 ]
	admin POST /mlp/v1/deployments/churn -d '{"action": "deploy", "model": "churn"}'
	[ "$CODE" = 400 ]
	[[ "$(json error <<<"$BODY")" == '"model" (a name) and "version"'* ]]
	admin POST /mlp/v1/deployments/churn -d '{"action": "deploy", "model": "churn", "version": 1.5}'
	[ "$CODE" = 400 ]
	admin POST /mlp/v1/deployments/churn -d '{"action": "deploy", "model": "churn", "version": 1}'
	[ "$CODE" = 404 ]
	[[ "$(json error <<<"$BODY")" == *"on this server (mlp deploy --target uploads it"* ]]
	admin POST '/mlp/v1/deployments/a%40b' -d '{"action": "rm"}'
	[ "$CODE" = 400 ]
	admin POST /mlp/v1/deployments/churn -d '{"action": "promote"}'
	[ "$CODE" = 404 ]
	admin GET /mlp/v1/deployments/churn
	[ "$CODE" = 404 ]
	admin GET /mlp/v1/deployments/churn/history
	[ "$CODE" = 404 ]
	admin DELETE /mlp/v1/deployments/churn
	[ "$CODE" = 405 ]
	admin GET /mlp/v1/deployments/churn/nosuch
	[ "$CODE" = 404 ]
	# a version that cannot be served is refused before anything changes
	echo hello > notes.txt
	(cd "$SRV" && mlp -q register "$CLI/notes.txt" -n junk)
	admin POST /mlp/v1/deployments/junk -d '{"action": "deploy", "model": "junk", "version": 1}'
	[ "$CODE" = 422 ]
	[[ "$(json error <<<"$BODY")" == "models:/junk/1 cannot be served: "* ]]
	[ "$(srvsql 'SELECT count(*) FROM deployment')" = 0 ]
	mlp register export models:/churn/1 -o v1.tar.gz
	admin PUT /mlp/v1/models --data-binary @v1.tar.gz
	admin POST /mlp/v1/deployments/churn -d '{"action": "deploy", "model": "churn", "version": 1, "user": "ci", "host": "runner-7", "detail": "from CI"}'
	[ "$CODE" = 200 ]
	[ "$(json stable <<<"$BODY")" = 1 ]
	[ "$(json changed <<<"$BODY")" = true ]
	[ "$(json action <<<"$BODY")" = deploy ]
	admin POST /mlp/v1/deployments/churn -d '{"action": "canary", "model": "churn", "version": 1, "canary_pct": 10}'
	[ "$CODE" = 409 ]
	[[ "$(json error <<<"$BODY")" == *"a canary must be another"* ]]
	admin GET /mlp/v1/deployments/churn
	[ "$CODE" = 200 ]
	[ "$(json target <<<"$BODY")" = local ]
	[ "$(json state <<<"$BODY")" = stable ]
	[ "$(json servers 0 url <<<"$BODY")" = "$URL" ]
	admin GET /mlp/v1/deployments/churn/history
	[ "$(json 0 user <<<"$BODY")" = ci ]
	[ "$(json 0 host <<<"$BODY")" = runner-7 ]
	[ "$(json 0 detail <<<"$BODY")" = "from CI" ]
	admin GET /mlp/v1/deployments
	[ "$(json 0 name <<<"$BODY")" = churn ]
	# the lock is released after each change
	[ "$(srvsql 'SELECT count(*) FROM deployment_lock')" = 0 ]
}
