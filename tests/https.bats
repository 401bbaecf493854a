#!/usr/bin/env bats
# The http:// and https:// remotes against a local nginx with the dav
# module (dav_methods PUT), started per file on 127.0.0.1 and stopped by
# PID. Skipped when nginx or its dav module is not there.

load helper

setup_file() {
	export NGINX_OK= NG="$BATS_FILE_TMPDIR/nginx"
	command -v nginx >/dev/null || return 0
	nginx -V 2>&1 | grep -q http_dav_module || return 0
	command -v openssl >/dev/null || return 0
	mkdir -p "$NG/www/store" "$NG/logs" "$NG/tmp"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$NG/key.pem" \
	    -out "$NG/cert.pem" >/dev/null 2>&1 || return 0
	export HTTP_PORT=$((20000 + RANDOM % 20000))
	export HTTPS_PORT=$((HTTP_PORT + 1))
	cat > "$NG/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo 'user root;')
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $NG/tmp;
	proxy_temp_path $NG/tmp;
	fastcgi_temp_path $NG/tmp;
	uwsgi_temp_path $NG/tmp;
	scgi_temp_path $NG/tmp;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		listen 127.0.0.1:$HTTPS_PORT ssl;
		ssl_certificate $NG/cert.pem;
		ssl_certificate_key $NG/key.pem;
		location / {
			root $NG/www;
			dav_methods PUT DELETE;
			create_full_put_path on;
			client_max_body_size 0;
			autoindex off;
		}
		location /ro/ {
			root $NG/www;
			limit_except GET HEAD { deny all; }
		}
	}
}
CONF
	nginx -c "$NG/nginx.conf" -p "$NG" -g 'daemon off;' \
	    >"$NG/logs/stdout" 2>&1 3>&- &
	echo $! > "$NG/run.pid"
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && {
			NGINX_OK=1
			return 0
		}
		sleep 0.1
	done
}

teardown_file() {
	[ -f "$NG/run.pid" ] && kill "$(cat "$NG/run.pid")" 2>/dev/null || true
}

setup() {
	[ -n "$NGINX_OK" ] || skip "nginx with the dav module is not installed"
	setup_repo
	unset MLP_REMOTE_TOKEN
	P="t$BATS_TEST_NUMBER-$RANDOM"
	URL="http://127.0.0.1:$HTTP_PORT/store/$P"
	mlp remote add origin "$URL"
}

@test "push and pull round trip through http" {
	mkdir -p d/sub
	for i in $(seq 1 70); do echo "$i" > "d/sub/f$i"; done
	mlp -q register d -n fraud -a champion >/dev/null
	run mlp push --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":1,"versions_skipped":0,"objects":'* ]]
	[ -f "$NG/www/store/$P/models/fraud/1.json" ]
	[ -f "$NG/www/store/$P/models/fraud/aliases.json" ]
	# a second push sends nothing
	run mlp push --json
	[ "$status" -eq 0 ]
	[ "$output" = '{"versions":0,"versions_skipped":1,"objects":0,"bytes":0,"objects_skipped":0,"aliases":0,"aliases_removed":0,"conflicts":[]}' ]
	mkdir ../b && cd ../b && mlp -q init
	mlp remote add origin "$URL"
	run mlp pull origin models:/fraud/1 --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":1,"versions_skipped":0,"objects":'* ]]
	run mlp pull origin models:/fraud@champion --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":0,"versions_skipped":1,'* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
	mlp register checkout models:/fraud/1 out
	diff -r out ../repo/d
}

@test "http remotes cannot list: pull with no URI and status say so" {
	echo a > a && mlp -q register a -n m >/dev/null
	mlp -q push
	run mlp pull
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -le 2 ]
	[[ "$output" == *"no listing"*"models:/NAME/VERSION"* ]]
	run mlp remote status
	[ "$status" -ne 0 ]
	[[ "$output" == *"no listing"* ]]
}

@test "a missing version is not found" {
	run mlp pull origin models:/nope/3
	[ "$status" -ne 0 ]
	[[ "$output" == *"nope"* ]]
}

@test "a tampered object on the server is refused on pull" {
	echo a > a && mlp -q register a -n m >/dev/null
	mlp -q push
	oid=$(printf 'a\n' | sha256sum | cut -d' ' -f1)
	f="$NG/www/store/$P/objects/${oid:0:2}/${oid:2}"
	[ -f "$f" ]
	echo evil > "$f"
	mkdir ../b && cd ../b && mlp -q init
	mlp remote add origin "$URL"
	run mlp pull origin models:/m/1
	[ "$status" -eq 1 ]
	[[ "$output" == *"on the remote is damaged"* ]]
	run mlp register list --json
	[ "$output" = "[]" ]
}

@test "a document over 64 MiB from the server is refused" {
	mkdir -p "$NG/www/store/$P/models/big"
	head -c 70000000 /dev/zero > "$NG/www/store/$P/models/big/1.json"
	run mlp pull origin models:/big/1
	[ "$status" -ne 0 ]
	[[ "$output" == *"GET $URL/models/big/1.json: the response is larger than 64 MiB"* ]]
	run mlp register list --json
	[ "$output" = "[]" ]
	rm "$NG/www/store/$P/models/big/1.json"
}

@test "https with a self-signed certificate needs caInfo" {
	mlp config remote.origin.url "https://127.0.0.1:$HTTPS_PORT/store/$P"
	echo a > a && mlp -q register a -n m >/dev/null
	run mlp push
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"https://127.0.0.1:$HTTPS_PORT/store/$P/"*"certificate"* ]]
	mlp config remote.origin.caInfo "$NG/cert.pem"
	run mlp push --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"versions":1,'* ]]
	# or no checks at all
	mlp config remote.origin.caInfo /nonexistent
	mlp config remote.origin.sslVerify false
	run mlp push --json
	[ "$status" -eq 0 ]
}

@test "http errors name the URL and the status" {
	mlp config remote.origin.url "http://127.0.0.1:$HTTP_PORT/ro/$P"
	echo a > a && mlp -q register a -n m >/dev/null
	run mlp push
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"PUT http://127.0.0.1:$HTTP_PORT/ro/$P/objects/"*": HTTP 403"* ]]
	mlp config remote.origin.url "http://127.0.0.1:1/$P"
	run mlp push
	[ "$status" -ne 0 ]
	[[ "$output" == *"http://127.0.0.1:1/$P/"*"onnect"* ]]
}

@test "http credentials: a bearer token or basic auth" {
	echo a > a && mlp -q register a -n m >/dev/null
	MLP_REMOTE_TOKEN=sekrit MLP_HTTP_TRACE=1 run mlp push
	[ "$status" -eq 0 ]
	[[ "$output" == *"Authorization: Bearer sekrit"* ]]
	mlp config remote.origin.user alice
	mlp config remote.origin.password pw
	echo b > b && mlp -q register b -n m >/dev/null
	MLP_HTTP_TRACE=1 run mlp push
	[ "$status" -eq 0 ]
	[[ "$output" == *"Authorization: Basic $(printf alice:pw | base64)"* ]]
}

@test "http URLs are checked" {
	run mlp remote add bad "http:///nohost"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not an http:// URL"* ]]
	run mlp remote add bad2 "https://u:p@host/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"remote.NAME.user"* ]]
}
