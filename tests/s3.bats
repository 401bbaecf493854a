#!/usr/bin/env bats
# The s3:// remote against a local S3-compatible server (s3rver from npm,
# which .ci/run installs into build/s3rver). s3rver checks access keys but
# not signatures, so the headers sent are checked through MLP_S3_TRACE.
# Skipped when node or s3rver is not there.

load helper

setup_file() {
	local root s3rver
	root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	s3rver=${S3RVER:-$root/build/s3rver/node_modules/.bin/s3rver}
	export S3RVER_BIN=
	command -v node >/dev/null && [ -x "$s3rver" ] || return 0
	export S3_DIR="$BATS_FILE_TMPDIR/s3"
	export S3_PORT=$((20000 + RANDOM % 20000))
	mkdir -p "$S3_DIR"
	"$s3rver" -d "$S3_DIR" -p "$S3_PORT" -a 127.0.0.1 -s \
	    --configure-bucket mlp >"$BATS_FILE_TMPDIR/s3rver.log" 2>&1 3>&- &
	echo $! > "$BATS_FILE_TMPDIR/s3rver.pid"
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null && {
			S3RVER_BIN=$s3rver
			return 0
		}
		sleep 0.1
	done
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/s3rver.pid" ] &&
	    kill "$(cat "$BATS_FILE_TMPDIR/s3rver.pid")" 2>/dev/null || true
}

setup() {
	[ -n "$S3RVER_BIN" ] || skip "s3rver is not installed (npm install s3rver into build/s3rver)"
	setup_repo
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL
	P="t$BATS_TEST_NUMBER-$RANDOM"
	mlp remote add origin "s3://mlp/$P"
	mlp config remote.origin.endpoint "http://127.0.0.1:$S3_PORT"
}

@test "push and pull round trip through s3" {
	mkdir -p d/sub
	for i in $(seq 1 150); do echo "$i" > "d/sub/f$i"; done
	mlp -q register d -n fraud >/dev/null
	echo c > c && mlp -q register c -n fraud -a champion >/dev/null
	run mlp push --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":2,"versions_skipped":0,"objects":152,'* ]]
	run mlp push --json
	[ "$output" = '{"versions":0,"versions_skipped":2,"objects":0,"bytes":0,"objects_skipped":0,"aliases":0,"aliases_removed":0,"conflicts":[]}' ]
	# the batched existence check lists prefixes (over 64 objects)
	echo new > n && mlp -q register n -n fraud >/dev/null
	run mlp push --json
	[[ "$output" == '{"versions":1,"versions_skipped":2,"objects":1,'* ]]
	run mlp remote status --json
	[[ "$output" == *'"only_here":{"objects":0,"bytes":0,"versions":[]},"only_there":{"objects":0,"bytes":0,"versions":[]}'* ]]
	mkdir ../b && cd ../b && mlp -q init
	mlp remote add origin "s3://mlp/$P"
	mlp config remote.origin.endpoint "http://127.0.0.1:$S3_PORT"
	run mlp pull origin models:/fraud@champion --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"versions":1,"versions_skipped":0,"objects":1,"bytes":2,"objects_skipped":0,"aliases":1,"aliases_removed":0,"conflicts":[]}' ]
	run mlp pull --json
	[[ "$output" == '{"versions":2,"versions_skipped":1,"objects":152,'* ]]
	mlp register checkout models:/fraud/1 out
	[ "$(cat out/sub/f150)" = 150 ]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "s3 requests are signed with SigV4 and carry the payload hash" {
	echo a > a && mlp -q register a -n m >/dev/null
	MLP_S3_TRACE=1 run mlp push
	[ "$status" -eq 0 ]
	[[ "$output" == *"PUT /mlp/$P/objects/"* ]]
	[[ "$output" == *"Authorization: AWS4-HMAC-SHA256 Credential=S3RVER/"*"/us-east-1/s3/aws4_request"* ]]
	[[ "$output" == *"SignedHeaders=host;x-amz-content-sha256;x-amz-date"* ]]
	oid=$(printf 'a\n' | sha256sum | cut -d' ' -f1)
	[[ "$output" == *"x-amz-content-sha256: $oid"* ]]
	# s3rver checks the access key (not the signature): an unknown one
	# is refused with S3's error code
	AWS_ACCESS_KEY_ID=NOPE run mlp push
	[ "$status" -ne 0 ]
	[[ "$output" == *"HTTP 403 InvalidAccessKeyId"* ]]
}

@test "a tampered object in the bucket is refused on pull" {
	echo a > a && mlp -q register a -n m >/dev/null
	mlp -q push
	oid=$(printf 'a\n' | sha256sum | cut -d' ' -f1)
	f=$(find "$S3_DIR" -path "*$P/objects/${oid:0:2}/${oid:2}*" -type f | grep -v metadata | head -n 1)
	[ -n "$f" ]
	echo evil > "$f"
	mkdir ../b && cd ../b && mlp -q init
	mlp remote add origin "s3://mlp/$P"
	mlp config remote.origin.endpoint "http://127.0.0.1:$S3_PORT"
	run mlp pull
	[ "$status" -eq 1 ]
	[[ "$output" == *"on the remote is damaged"* ]]
	run mlp register list --json
	[ "$output" = "[]" ]
}

@test "s3 needs credentials" {
	unset AWS_ACCESS_KEY_ID
	run mlp push
	[ "$status" -eq 2 ]
	[[ "$output" == *"AWS_ACCESS_KEY_ID"* ]]
}
