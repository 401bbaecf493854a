#!/usr/bin/env bats
# Repositories this process cannot write: on a read-only mount, owned by
# another user, on a full disk. Every command that only reads works and
# prints what it prints on a writable repository; every command that writes
# fails with exit 1, says "repository is read-only" or "disk is full", and
# leaves the repository as it was. Mounts need root: without it the tests
# skip. Every mount is undone in teardown, whatever the test did.

load helper

EX=$BATS_TEST_DIRNAME/../share/examples/train

# Commands that need no repository, or make one.
NOREPO="init help version"
# Commands that run until stopped: tests/serve.bats serves a read-only
# repository.
SERVERS="serve"

# The reads, one command line each; $R, $R2 and $SLURM are runs, $OUT a
# directory outside the repository.
reads() {
	cat <<EOF
config --get core.format
config --list
track runs -f "attributes.status != 'RUNNING'"
track runs --json
track runs --all --csv -f "attributes.status != 'RUNNING'"
track show $R
track compare $R $R2
track history $R loss
track plot $R -m loss
track artifacts $R
track experiments --all
register list
register list --json
register show models:/churn@champion
register show models:/churn/1 --json
register history churn
register diff models:/churn/1 models:/churn/2
register checkout models:/churn/1 $OUT/co
register export models:/churn/2 -o $OUT/churn2.tar.gz
deploy list
deploy list --json
deploy status
deploy status churn --json
deploy history churn
feature plan
feature plan --json
feature list
feature list --json
feature show driver_trips
feature show eta --json
feature apply
feature dataset --spine spine.csv --service eta -o $OUT/ds.csv
feature dataset --spine spine.csv -f driver_trips:fare_sum_1d --json -o $OUT/ds2.csv
feature get eta --key driver_id=1,2 --at 2021-01-02T00:00:00Z
feature get driver_trips --key driver_id=1 --at 2021-01-02T00:00:00Z --json
predict models:/churn@champion -i churn.csv -o $OUT/pred.csv
predict runs:/$R2/model -i churn.csv -o $OUT/pred2.csv
fsck
gc -n
remote list
remote status
train status
train status $SLURM
train logs $SLURM
__complete track show ''
EOF
}

# The writes: each would change the repository if it could.
writes() {
	cat <<EOF
track start -n x
track end $OPEN
track log $OPEN -m loss=0.1
track artifact $OPEN notes.txt
track rm $R
track restore $GONE
track gc
track experiment create e2
track experiment rename keep kept
track experiment rm keep
track experiment restore old
register create notes.txt -n m2
register alias churn prod 2
register alias rm churn champion
register tag churn a=b
register stage churn 1 production
register rm models:/churn/2
register import $BASE/churn.tar.gz -n imp
deploy create models:/churn/1 -n churn2
deploy models:/churn/1
deploy promote churn
deploy rollback churn
deploy rm churn
feature apply features2.yaml
feature ingest trips trips2.csv
feature materialize --end 2021-01-03T00:00:00Z
feature push driver_trips events.jsonl
feature compact driver_trips
gc
config core.x 1
config --unset core.format
remote add o2 file://$BASE/elsewhere
remote rm origin
pull
train run --data churn.csv --target churned -p rounds=2
train cancel $SLURM
EOF
}

# The fixture, built once: runs (finished, running, deleted, one sent to
# "Slurm"), two versions of a model with an alias and a tag, experiments, a
# remote with a version to pull, a version not yet pushed, an export, a
# deployment with a canary.
setup_file() {
	local fix=$BATS_FILE_TMPDIR/fixture other

	[ "$(id -u)" -eq 0 ] || return 0
	export HOME=$BATS_FILE_TMPDIR/home MLP_USER=tester
	unset MLP_DIR MLP_RUN_ID
	mkdir -p "$HOME" "$fix/repo"
	cd "$fix/repo"
	"$MLP" -q init
	cp "$EX/churn.csv" .
	echo hello > notes.txt
	"$MLP" -q train --data churn.csv --target churned -p rounds=5 \
	    --register churn --alias champion >/dev/null
	"$MLP" train --data churn.csv --target churned -p rounds=7 \
	    --register churn 2>/dev/null |
	    sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p' > "$fix/r2"
	r=$("$MLP" track start -n manual)
	echo "$r" > "$fix/r"
	"$MLP" track log "$r" -p a=1 -m loss=0.5 -m loss=0.4 -t k=v
	"$MLP" -q track artifact "$r" notes.txt
	"$MLP" track end "$r"
	"$MLP" track start -n open > "$fix/open"
	gone=$("$MLP" track start -n gone)
	"$MLP" track end "$gone"
	"$MLP" -q track rm "$gone"
	echo "$gone" > "$fix/gone"
	"$MLP" -q track experiment create keep
	"$MLP" -q track experiment create old
	"$MLP" -q track experiment rm old
	"$MLP" -q register tag churn team=x
	slurm=$("$MLP" track start -n queued)
	echo "$slurm" > "$fix/slurm"
	mkdir -p ".mlp/checkpoints/$slurm"
	echo "epoch 1" > ".mlp/checkpoints/$slurm/slurm-42.out"
	sqlite3 .mlp/mlp.db "INSERT INTO tag (run, key, value) SELECT id,
	    'mlp.slurm.job_id', '42' FROM run WHERE uuid = '$slurm'"
	"$MLP" -q remote add origin "file://$fix/remote"
	"$MLP" -q push
	other=$fix/other
	mkdir -p "$other"
	(cd "$other" && "$MLP" -q init && echo other > o.txt &&
	    "$MLP" -q register o.txt -n shared &&
	    "$MLP" -q remote add origin "file://$fix/remote" && "$MLP" -q push)
	rm -rf "$other"
	"$MLP" -q register notes.txt -n later
	"$MLP" -q register export models:/churn/1 -o "$fix/churn.tar.gz"
	"$MLP" -q deploy models:/churn/1
	"$MLP" -q deploy models:/churn/2 --canary 10
	# the feature catalog: applied, and a change to apply
	cat > features.yaml <<'EOF'
entities:
  - {name: driver, join_keys: [driver_id]}
sources:
  - {name: trips, path: trips.csv}
feature_views:
  - {name: driver_trips, entity: driver, source: trips, ttl: 7d,
     aggregations: [{column: fare, op: sum, windows: [1d, 7d]}]}
feature_services:
  - {name: eta, features: [driver_trips]}
EOF
	"$MLP" -q feature apply >/dev/null
	sed 's/ttl: 7d/ttl: 30d/' features.yaml > features2.yaml
	# the offline store: a batch ingested, a spine, rows to ingest
	printf 'driver_id,event_ts,fare\n1,2021-01-01T00:00:00Z,10\n' > trips.csv
	"$MLP" -q feature ingest trips >/dev/null
	printf 'driver_id,event_ts\n1,2021-01-02T00:00:00Z\n' > spine.csv
	printf 'driver_id,event_ts,fare\n2,2021-01-03T00:00:00Z,1\n' > trips2.csv
	# the online store: materialized, and an event to push
	"$MLP" -q feature materialize --end 2021-01-02T00:00:00Z >/dev/null
	printf '{"driver_id": 1, "event_ts": "2021-01-03T00:00:00Z", "fare": 2}\n' > events.jsonl
}

# A copy of the fixture per test, in a directory every user may enter.
setup() {
	setup_home
	BASE=
	[ "$(id -u)" -eq 0 ] || return 0
	BASE=$(mktemp -d /tmp/mlp-disk.XXXXXX)
	chmod 755 "$BASE"
	if ! mount -t tmpfs -o size=1m tmpfs "$BASE" 2>/dev/null; then
		rmdir "$BASE"
		BASE=
		return 0
	fi
	umount "$BASE"
	cp -a "$BATS_FILE_TMPDIR/fixture/." "$BASE/"
	chmod 755 "$BASE"
	SRC=$BASE/repo
	OUT=$BASE/out
	mkdir -p "$OUT" "$BASE/tmp" "$BASE/bin"
	chmod 1777 "$OUT" "$BASE/tmp"
	export TMPDIR=$BASE/tmp
	R=$(cat "$BASE/r")
	R2=$(cat "$BASE/r2")
	OPEN=$(cat "$BASE/open")
	GONE=$(cat "$BASE/gone")
	SLURM=$(cat "$BASE/slurm")
	# Slurm's tools: the job is running; scancel leaves a trace
	printf '#!/bin/sh\necho RUNNING\n' > "$BASE/bin/squeue"
	printf '#!/bin/sh\ntouch %s/scancel-ran\n' "$BASE" > "$BASE/bin/scancel"
	chmod 755 "$BASE/bin/squeue" "$BASE/bin/scancel"
	export PATH=$BASE/bin:$PATH
	(cd "$SRC" && "$MLP" -q config remote.origin.url "file://$BASE/remote")
}

# Whatever a test did or failed to do: every mount under $BASE goes,
# innermost first, and $BASE only once none is left.
teardown() {
	local m

	[ -n "$BASE" ] || return 0
	for m in $(awk -v b="$BASE/" 'index($2, b) == 1 { print $2 }' \
	    /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	if awk -v b="$BASE/" 'index($2, b) == 1 { f = 1 } END { exit !f }' \
	    /proc/self/mounts; then
		echo "# mounts left under $BASE" >&3
		return 1
	fi
	rm -rf "$BASE"
}

needs_mounts() {
	[ -n "$BASE" ] || skip "needs root, and the right to mount file systems"
}

# mount_ro DIR: a read-only bind mount of the repository at DIR.
mount_ro() {
	mkdir -p "$1"
	mount --bind "$SRC" "$1"
	mount -o remount,ro,bind "$1"
}

# mount_full [old]: the repository on a small file system, then filled;
# sets SRC to the repository there. With old, as an older mlp left it: no
# mlp.db-wal and mlp.db-shm.
mount_full() {
	mkdir -p "$BASE/full"
	mount -t tmpfs -o size=4m,mode=755 tmpfs "$BASE/full"
	cp -a "$SRC" "$BASE/full/"
	SRC=$BASE/full/repo
	[ "$1" != old ] || rm -f "$SRC"/.mlp/mlp.db-wal "$SRC"/.mlp/mlp.db-shm
	dd if=/dev/zero of="$BASE/full/fill" bs=64k 2>/dev/null || true
	[ "$(df --output=avail "$BASE/full" | tail -n 1)" -eq 0 ]
}

# What the repository holds: the database's content (read from a copy, so
# nothing here touches the repository), the config, every other file.
snapshot() {
	local copy

	copy=$(mktemp -d)
	cp -a "$1"/.mlp/mlp.db* "$copy/"
	sqlite3 "$copy/mlp.db" .dump
	rm -rf "$copy"
	cat "$1/.mlp/config"
	(cd "$1/.mlp" && find . -path ./mlp.db -prune -o -path './mlp.db-*' \
	    -prune -o -printf '%p %s\n' | sort)
}

# run_each LIST DIR NAME [WRAPPER...]: runs each line of LIST in DIR,
# recording "$ LINE", its output and "exit N" into $BASE/NAME.log; the
# files line i writes in $OUT move to $OUT.NAME/i.
run_each() {
	local list=$1 dir=$2 name=$3 line i=0 rc
	shift 3

	: > "$BASE/$name.log"
	while IFS= read -r line; do
		i=$((i + 1))
		rm -rf "${OUT:?}"/*
		echo "\$ $line" >> "$BASE/$name.log"
		rc=0
		(cd "$dir" && eval "$* \"\$MLP\" $line") >> "$BASE/$name.log" \
		    2>&1 || rc=$?
		echo "exit $rc" >> "$BASE/$name.log"
		for f in "$OUT"/*; do
			[ -e "$f" ] || continue
			mkdir -p "$OUT.$name/$i"
			mv "$f" "$OUT.$name/$i/"
		done
	done < <($list)
	sed -i "s|$dir|REPO|g" "$BASE/$name.log"
}

# same_reads NAME: the reads recorded as NAME printed and wrote what they
# printed and wrote on the writable repository (archives by listing: they
# hold times).
same_reads() {
	diff -u "$BASE/rw.log" "$BASE/$1.log"
	for f in $(cd "$OUT.rw" && find . -type f ! -name '*.tar.gz'); do
		cmp "$OUT.rw/$f" "$OUT.$1/$f"
	done
	for f in $(cd "$OUT.rw" && find . -type f -name '*.tar.gz'); do
		diff <(tar -tzf "$OUT.rw/$f") <(tar -tzf "$OUT.$1/$f")
	done
}

# refused NAME WORDS: every write recorded as NAME exited 1 and said WORDS.
refused() {
	local bad

	bad=$(awk -v words="$2" '
		/^\$ / { cmd = $0; said = 0; next }
		index($0, words) { said = 1 }
		/^exit / { if ($2 != 1 || !said) print cmd " -> " $0 }
	' "$BASE/$1.log")
	[ -z "$bad" ] || { echo "not refused with '$2':"; echo "$bad"; \
	    cat "$BASE/$1.log"; false; }
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "every command and verb is here as a read or a write" {
	local t all missing=

	all=$(reads; writes; echo push)
	while read -r t; do
		case " $NOREPO $SERVERS " in *" ${t%% *} "*) continue ;; esac
		# a command with verbs is covered verb by verb
		[[ $t == *" "* ]] || ! "$MLP" help "$t" | grep -q '^verbs:' ||
		    continue
		grep -q "^$t\( \|\$\)" <<<"$all" || missing+=" '$t'"
	done < <(mlp_targets)
	[ -z "$missing" ] || { echo "not classified:$missing"; false; }
}

@test "read-only mount: every read works and prints what it prints on a writable repository" {
	needs_mounts
	run_each reads "$SRC" rw
	mount_ro "$BASE/ro"
	run_each reads "$BASE/ro" ro
	same_reads ro
	# not a vacuous comparison: the reads did read
	grep -q '^churn .*champion=1' "$BASE/ro.log"
	grep -q '0 problems' "$BASE/ro.log"
	grep -q '^feature view driver_trips, version 1' "$BASE/ro.log"
	grep -q '^No changes. The catalog matches the specs.' "$BASE/ro.log"
	[ "$(cat "$OUT".ro/*/pred*.csv | wc -l)" -eq 6002 ]
}

@test "read-only mount: every write fails with exit 1, says 'repository is read-only', and changes nothing" {
	needs_mounts
	before=$(snapshot "$SRC")
	mount_ro "$BASE/ro"
	run_each writes "$BASE/ro" ro
	refused ro "repository is read-only"
	grep -q "^hint: commands that only read still work" "$BASE/ro.log"
	! grep -q "attempt to write\|unable to open" "$BASE/ro.log"
	[ ! -e "$BASE/scancel-ran" ]
	[ "$(snapshot "$SRC")" = "$before" ]
}

@test "read-only mount of a repository an older mlp closed (no mlp.db-wal, mlp.db-shm)" {
	needs_mounts
	run_each reads "$SRC" rw
	rm -f "$SRC"/.mlp/mlp.db-wal "$SRC"/.mlp/mlp.db-shm
	mount_ro "$BASE/ro"
	run_each reads "$BASE/ro" ro
	same_reads ro
	cd "$BASE/ro"
	run mlp track start
	[ "$status" -eq 1 ]
	[[ "$output" == *"repository is read-only: '$BASE/ro/.mlp' is on a read-only file system"* ]]
	[ ! -e "$SRC/.mlp/mlp.db-wal" ]
}

@test "read-only mount: push sends what the remote lacks; the repository is only read" {
	needs_mounts
	before=$(snapshot "$SRC")
	mount_ro "$BASE/ro"
	cd "$BASE/ro"
	run mlp push
	[ "$status" -eq 0 ]
	[[ "$output" == *"pushed 1 version"* ]]
	run mlp remote status
	[ "$status" -eq 0 ]
	[[ "$output" == *"only here:  0 objects (0 B), 0 versions"* ]]
	[ "$(snapshot "$SRC")" = "$before" ]
}

@test "read-only mount: train status reports a Slurm job's end without recording it" {
	needs_mounts
	printf '#!/bin/sh\n' > "$BASE/bin/squeue"
	printf '#!/bin/sh\necho "JobId=42 JobState=COMPLETED"\n' \
	    > "$BASE/bin/scontrol"
	chmod 755 "$BASE/bin/scontrol"
	mount_ro "$BASE/ro"
	cd "$BASE/ro"
	run mlp train status "$SLURM"
	[ "$status" -eq 0 ]
	[[ "$output" == *COMPLETED* ]]
	run mlp track show "$SLURM" --json
	[[ "$output" == *'"status":"RUNNING"'* ]]
}

@test "another user's repository: reads work, writes say 'repository is read-only'" {
	needs_mounts
	run_each reads "$SRC" rw
	before=$(snapshot "$SRC")
	run_each reads "$SRC" nobody as_nobody
	same_reads nobody
	run_each writes "$SRC" nobodyw as_nobody
	refused nobodyw "repository is read-only"
	! grep -q "attempt to write" "$BASE/nobodyw.log"
	[ ! -e "$BASE/scancel-ran" ]
	[ "$(snapshot "$SRC")" = "$before" ]
}

@test "another user's repository an older mlp closed: the error says what is missing" {
	needs_mounts
	rm -f "$SRC"/.mlp/mlp.db-wal "$SRC"/.mlp/mlp.db-shm
	cd "$SRC"
	run as_nobody "$MLP" register list
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot read '$SRC/.mlp/mlp.db' without write permission on '$SRC/.mlp'"* ]]
	[[ "$output" != *"attempt to write"* ]]
	mlp register list >/dev/null
	run as_nobody "$MLP" register list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == churn* ]]
}

@test "full disk: reads work, writes say 'disk is full', and nothing is half-written" {
	needs_mounts
	run_each reads "$SRC" rw
	mount_full
	before=$(snapshot "$SRC")
	run_each reads "$SRC" full
	same_reads full
	run_each "writes_on_full" "$SRC" fullw topped_up
	refused fullw "disk is full"
	grep -q "^hint: free some space" "$BASE/fullw.log"
	! grep -q "disk I/O error" "$BASE/fullw.log"
	# gc frees space, so it works on a full disk
	cd "$SRC"
	run mlp gc
	[ "$status" -eq 0 ]
	# output to the full disk: said so, wherever the words came from
	run mlp predict models:/churn/1 -i churn.csv -o "$BASE/full/p.csv"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: predict: disk is full: "* ]]
	run sh -c "'$MLP' track runs --csv > '$BASE/full/runs.csv'"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: track: disk is full: "* ]]
	run mlp register export models:/churn/1 -o "$BASE/full/e.tar.gz"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "mlp: register export: disk is full: "* ]]
	run mlp register checkout models:/churn/1 "$BASE/full/co"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == *"disk is full: "* ]]
	rm -rf "$BASE/full/p.csv" "$BASE/full/runs.csv" "$BASE/full/e.tar.gz" \
	    "$BASE/full/co"
	rm "$BASE/full/fill"
	[ "$(snapshot "$SRC")" = "$before" ]
	run mlp fsck
	[ "$status" -eq 0 ]
	[[ "$output" == *" 0 problems"* ]]
	[ -z "$(ls "$SRC/.mlp/tmp")" ]
	run mlp track start -n after
	[ "$status" -eq 0 ]
}

# topped_up CMD...: empties the database's log to no bytes and fills the
# disk again, then runs CMD. A write that failed on a full disk leaves the
# log's file as long as it grew, and a small write that fits in it succeeds
# (rightly); here every write must find no byte free.
topped_up() {
	sqlite3 "$SRC/.mlp/mlp.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	dd if=/dev/zero bs=4k 2>/dev/null >> "$BASE/full/fill" || true
	"$@"
}

# On a full disk gc works (it frees space); push writes the remote and
# train cancel's scancel cannot be undone, so neither belongs here.
writes_on_full() {
	writes | grep -v '^gc$\|^train cancel'
}

@test "full disk, repository an older mlp closed: reads still work" {
	needs_mounts
	run_each reads "$SRC" rw
	mount_full old
	run_each reads "$SRC" full
	same_reads full
	cd "$SRC"
	run mlp track start -n x
	[ "$status" -eq 1 ]
	[[ "$output" == *"disk is full"* ]]
}
