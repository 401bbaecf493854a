#!/usr/bin/env bats
# mlp register export and import: round trips between repositories, and
# archives built to break in: each is refused with one line, creates no
# version and writes nothing outside the repository.

bats_require_minimum_version 1.5.0
load helper

PY=/usr/bin/python3

setup() {
	setup_repo
	mkdir -p model/sub/deep
	echo weights > model/w.bin
	echo '{"a": 1}' > model/sub/c.json
	echo deep > model/sub/deep/d.txt
	cp model/w.bin model/sub/same.bin
	printf '#!/bin/sh\necho hi\n' > model/run.sh
	chmod +x model/run.sh
	OTHER=$BATS_TEST_TMPDIR/other
	"$MLP" -q init "$OTHER"
}

# Registers model/ as fraud/1 from a run, with tags and a description.
fixture() {
	run_id=$(mlp track start -n trainer)
	mlp track artifact "$run_id" model >/dev/null
	mlp -q register "runs:/$run_id/model" -n fraud -d "first cut" \
	    -t team=risk -t "note=a b" --alias champion >/dev/null
}

versions() {
	sqlite3 "${1:-.mlp}/mlp.db" 'SELECT count(*) FROM model_version'
}

# craft IN OUT OP [ARGS]: rewrites the export IN (a .tar.gz) into OUT with
# one change, using python's tarfile so that nothing is extracted
# (python3 is in the Makefile's DEB_TEST: make deps installs it).
craft() {
	[ -x "$PY" ] || { echo "craft needs $PY: run make deps" >&2; return 1; }
	"$PY" - "$@" <<'EOF'
import io, json, sys, tarfile

src, dst, op, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with tarfile.open(src, "r:gz") as t:
    members = [(m, t.extractfile(m).read()) for m in t.getmembers()]

def info(name, data=b"", kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.linkname = link
    ti.mode = 0o644
    return (ti, data)

objs = [i for i, (m, _) in enumerate(members) if m.name.startswith("objects/")]
if op == "add-file":          # a regular file NAME after the metadata
    members.insert(1, info(args[0], b"evil\n"))
elif op == "first-file":      # a regular file NAME before everything
    members.insert(0, info(args[0], b"evil\n"))
elif op == "add-symlink":     # NAME -> TARGET
    members.insert(1, info(args[0], kind=tarfile.SYMTYPE, link=args[1]))
elif op == "add-hardlink":    # NAME linked to TARGET
    members.insert(1, info(args[0], kind=tarfile.LNKTYPE, link=args[1]))
elif op == "add-fifo":
    members.insert(1, info(args[0], kind=tarfile.FIFOTYPE))
elif op == "add-dev":
    members.insert(1, info(args[0], kind=tarfile.CHRTYPE))
elif op == "symlink-object":  # an object entry that is a symbolic link
    m, _ = members[objs[-1]]
    members[objs[-1]] = info(m.name, kind=tarfile.SYMTYPE, link=args[0])
elif op == "tamper":          # the largest object's content, name kept
    i = max(objs, key=lambda i: members[i][0].size)
    m, d = members[i]
    members[i] = (m, bytes([d[0] ^ 1]) + d[1:])
elif op == "drop":            # the last object, still listed
    del members[objs[-1]]
elif op == "unlisted":        # an object that the metadata does not list
    members.append(info("objects/" + "ab" + "/" + "c" * 62, b"x"))
elif op == "resize":          # an object entry longer than listed
    m, d = members[objs[-1]]
    members[objs[-1]] = (m, d + b"more")
elif op == "duplicate":
    members.append(members[objs[-1]])
elif op == "no-meta":
    del members[0]
elif op == "big-meta":        # a metadata document over the limit
    meta = json.loads(members[0][1])
    meta["description"] = "x" * (17 << 20)
    members[0] = (members[0][0], json.dumps(meta).encode())
elif op == "many-values":     # a small document of very many values
    meta = json.loads(members[0][1])
    meta["pad"] = [0] * (2 << 20)
    members[0] = (members[0][0], json.dumps(meta).encode())
elif op == "meta":            # set a metadata field to a JSON value
    meta = json.loads(members[0][1])
    meta[args[0]] = json.loads(args[1])
    members[0] = (members[0][0], json.dumps(meta).encode())
else:
    sys.exit("unknown op " + op)

with tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as t:
    for m, d in members:
        m.size = len(d) if m.type == tarfile.REGTYPE else 0
        t.addfile(m, io.BytesIO(d) if m.type == tarfile.REGTYPE else None)
EOF
}

# The store's objects with their sizes, one a line.
store_list() {
	(cd "${1:-.}/.mlp/objects" && find . -type f -printf '%p %s\n' | sort)
}

# import_fails FILE TEXT: importing FILE into $OTHER fails with exit 1 and
# one line containing TEXT, leaving no version, no staging files and the
# store as it was: not one byte of a refused import stays.
import_fails() {
	cd "$OTHER"
	before=$(store_list)
	run "$MLP" register import "$1"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "mlp: register import: "*"$2"* ]]
	[ "$(versions)" -eq 0 ]
	[ -z "$(ls .mlp/tmp)" ]
	[ "$(store_list)" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/evil" ]
	[ ! -e "$BATS_TEST_TMPDIR/other/evil" ]
	cd "$BATS_TEST_TMPDIR/repo"
}

@test "export and import a directory: the same files, tags and lineage" {
	fixture
	head -c 5000000 /dev/urandom > model/big.bin
	mlp -q register model -n fraud -d second -t team=risk >/dev/null
	run mlp register export models:/fraud/2 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exported models:/fraud/2 to "*"(6 objects,"* ]]
	# readable by tar; the metadata first
	run tar tzf "$BATS_TEST_TMPDIR/f.tar.gz"
	[ "${lines[0]}" = mlp-export.json ]
	[ "${#lines[@]}" -eq 7 ]
	[[ "${lines[1]}" =~ ^objects/[0-9a-f]{2}/[0-9a-f]{62}$ ]]
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.gz"
	[ "$status" -eq 0 ]
	# stdout and stderr name the same, new version
	[[ "$output" == *"imported models:/fraud/1 from "*"(exported as models:/fraud/2; "* ]]
	[[ "$output" == *"models:/fraud/1" ]]
	run --separate-stderr mlp register import "$BATS_TEST_TMPDIR/f.tar.gz" -n other
	[ "$status" -eq 0 ]
	[ "$output" = "models:/other/1" ]
	[[ "$stderr" == "imported models:/other/1 from $BATS_TEST_TMPDIR/f.tar.gz (exported as models:/fraud/2; "* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
	mlp -q register checkout models:/fraud/1 "$BATS_TEST_TMPDIR/co"
	diff -r "$BATS_TEST_TMPDIR/repo/model" "$BATS_TEST_TMPDIR/co"
	[ -x "$BATS_TEST_TMPDIR/co/run.sh" ]
	[ ! -x "$BATS_TEST_TMPDIR/co/w.bin" ]
	[ -z "$(ls .mlp/tmp)" ]
	# the staging file went through a store without a stat cache
	[ "$(sqlite3 .mlp/mlp.db 'SELECT count(*) FROM stat_cache')" -eq 0 ]
	run mlp register show models:/fraud/1 --json
	[[ "$output" == *'"description":"second"'* ]]
	[[ "$output" == *'"tags":{"team":"risk"}'* ]]
	[[ "$output" == *'"source":"model"'* ]]
	[[ "$output" == *'"user_id":"tester"'* ]]
	[[ "$output" == *'"current_stage":"None"'* ]]
}

@test "import keeps tags, description and run id; aliases only when asked" {
	fixture
	mlp register stage fraud 1 production
	mlp register export models:/fraud@champion -o "$BATS_TEST_TMPDIR/f.tar.gz"
	cd "$OTHER"
	mlp -q register import "$BATS_TEST_TMPDIR/f.tar.gz"
	run mlp register show models:/fraud/1
	[ "$status" -eq 0 ]
	[[ "$output" != *"aliases:"* ]]
	[[ "$output" == *"stage:       None"* ]]
	[[ "$output" == *"description: first cut"* ]]
	[[ "$output" == *"run:       $run_id"* ]]
	[[ "$output" == *"team"*"risk"* ]]
	[[ "$output" == *"note"*"a b"* ]]
	[[ "$output" == *"source:      runs:/$run_id/model"* ]]
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.gz" --with-aliases
	[ "$status" -eq 0 ]
	run mlp register show models:/fraud@champion
	[ "${lines[0]}" = "models:/fraud/2" ]
}

@test "import twice gives versions 1 and 2 sharing objects; -n renames" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.gz" --json
	[ "$status" -eq 0 ]
	[[ "$output" == '{"name":"fraud","version":"1",'*'"objects":5,'* ]]
	n=$(find .mlp/objects -type f | wc -l)
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.gz" --json
	[[ "$output" == '{"name":"fraud","version":"2",'*'"bytes_written":0,'* ]]
	[ "$(find .mlp/objects -type f | wc -l)" -eq "$n" ]
	run mlp -q register import "$BATS_TEST_TMPDIR/f.tar.gz" -n fraud-copy
	[ "$status" -eq 0 ]
	[ "$output" = "models:/fraud-copy/1" ]
	a=$(mlp register show models:/fraud/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	b=$(mlp register show models:/fraud-copy/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	[ "$a" = "$b" ]
	[ "$(find .mlp/objects -type f | wc -l)" -eq "$n" ]
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.gz" -n 'a/b'
	[ "$status" -eq 2 ]
}

@test ".tar.zst round trip, and the same version exports to the same bytes" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.zst"
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/g.tar.zst"
	cmp "$BATS_TEST_TMPDIR/f.tar.zst" "$BATS_TEST_TMPDIR/g.tar.zst"
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/g.tar.gz"
	cmp "$BATS_TEST_TMPDIR/f.tar.gz" "$BATS_TEST_TMPDIR/g.tar.gz"
	if command -v zstd >/dev/null; then
		zstd -dc "$BATS_TEST_TMPDIR/f.tar.zst" | tar tf - | grep -qx mlp-export.json
	fi
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/f.tar.zst"
	[ "$status" -eq 0 ]
	mlp -q register checkout models:/fraud/1 "$BATS_TEST_TMPDIR/co"
	diff -r "$BATS_TEST_TMPDIR/repo/model" "$BATS_TEST_TMPDIR/co"
}

@test "a single-file version" {
	printf 'abc' > model.bin
	mlp -q register model.bin -n tiny -t k=v >/dev/null
	run mlp register export models:/tiny/1 -o "$BATS_TEST_TMPDIR/t.tar.gz"
	[ "$status" -eq 0 ]
	[ "$(tar tzf "$BATS_TEST_TMPDIR/t.tar.gz" | wc -l)" -eq 2 ]
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/t.tar.gz"
	[ "$status" -eq 0 ]
	mlp -q register checkout models:/tiny/1 out.bin
	[ "$(cat out.bin)" = abc ]
	run mlp register show models:/tiny/1 --json
	[[ "$output" == *'"is_tree":false,"size":3'* ]]
	run mlp fsck
	[ "$status" -eq 0 ]
}

@test "-o FILE.tgz is a gzip'ed tar, as FILE.tar.gz" {
	fixture
	run mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tgz"
	[ "$status" -eq 0 ]
	gzip -t "$BATS_TEST_TMPDIR/f.tgz"
	[ "$(tar tzf "$BATS_TEST_TMPDIR/f.tgz" | head -1)" = mlp-export.json ]
	cd "$OTHER"
	run mlp -q register import "$BATS_TEST_TMPDIR/f.tgz"
	[ "$status" -eq 0 ]
	[ "$output" = "models:/fraud/1" ]
}

@test "-o - writes to stdout; import reads a file or -" {
	fixture
	mlp register export models:/fraud/1 -o - > "$BATS_TEST_TMPDIR/s.tar.gz"
	gzip -t "$BATS_TEST_TMPDIR/s.tar.gz"
	# a symlink such as /dev/stdout is written through, not replaced
	mlp register export models:/fraud/1 -o /dev/stdout --compression gzip | gzip -t
	[ -L /dev/stdout ]
	mlp register export models:/fraud/1 -o - --compression zstd \
	    > "$BATS_TEST_TMPDIR/s.tar.zst"
	cd "$OTHER"
	run mlp -q register import "$BATS_TEST_TMPDIR/s.tar.gz"
	[ "$status" -eq 0 ]
	[ "$output" = "models:/fraud/1" ]
	run mlp -q register import - < "$BATS_TEST_TMPDIR/s.tar.zst"
	[ "$status" -eq 0 ]
	[ "$output" = "models:/fraud/2" ]
	cd "$BATS_TEST_TMPDIR/repo"
	mlp -q register export models:/fraud/1 -o - |
	    "$MLP" -C "$OTHER" -q register import - -n piped
	[ "$(cd "$OTHER" && mlp register show models:/piped/1 --json | grep -c '"run_id":"')" -eq 1 ]
}

@test "usage errors" {
	fixture
	run mlp register export models:/fraud/1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-o FILE.tar.gz"* ]]
	run mlp register export models:/fraud/1 -o f.zip
	[ "$status" -eq 2 ]
	[[ "$output" == *"'f.zip': unknown archive type"*".tar.gz"*".tgz"*".tar.zst"* ]]
	[ ! -e f.zip ]
	run mlp register export models:/fraud/1 -o f.tar.gz --compression zstd
	[ "$status" -eq 2 ]
	run mlp register export models:/fraud/1 -o - --compression xz
	[ "$status" -eq 2 ]
	run mlp register export models:/fraud -o f.tar.gz
	[ "$status" -eq 2 ]
	run mlp register export models:/nope/1 -o f.tar.gz
	[ "$status" -eq 1 ]
	[ ! -e f.tar.gz ]
	run mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/no/such/dir/f.tar.gz"
	[ "$status" -eq 1 ]
	run mlp register import
	[ "$status" -eq 2 ]
	run mlp register import nosuch.tar.gz
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot open 'nosuch.tar.gz'"* ]]
	run mlp register import .
	[ "$status" -eq 1 ]
	run mlp register export -h
	[ "$status" -eq 0 ]
	run mlp register import -h
	[ "$status" -eq 0 ]
	# a failed export leaves no file and no temporary beside it
	[ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep tmp-)" ]
}

@test "a missing object fails the export and leaves no file" {
	fixture
	oid=$(mlp register show models:/fraud/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	rm -f .mlp/objects/${oid:0:2}/${oid:2}
	run mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/f.tar.gz" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR" | grep tmp-)" ]
}

@test "refused: .. and absolute paths, before or after the metadata" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	G=$BATS_TEST_TMPDIR/f.tar.gz
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-file ../evil
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry '../evil': refused: path escapes the archive"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" first-file ../../evil
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry '../../evil': refused: path escapes the archive"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-file objects/../../evil
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: path escapes the archive"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-file "$BATS_TEST_TMPDIR/evil"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry '$BATS_TEST_TMPDIR/evil': refused: absolute path"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-file README.md
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry 'README.md': refused: not an object name"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-file "$(printf 'bad\nname')"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry 'bad\\x0aname': refused"
}

@test "refused: symbolic links, hard links, FIFOs and devices" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	G=$BATS_TEST_TMPDIR/f.tar.gz
	obj="objects/aa/$(printf 'b%.0s' $(seq 62))"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-symlink "$obj" /etc/passwd
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry '$obj': refused: symbolic link to '/etc/passwd'"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" symlink-object "$BATS_TEST_TMPDIR/evil"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: symbolic link"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-hardlink "$obj" /etc/passwd
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry '$obj': refused: hard link to '/etc/passwd'"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-hardlink evil mlp-export.json
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry 'evil': refused: hard link"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-fifo "$obj"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: a FIFO"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" add-dev "$obj"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: a character device"
}

@test "refused: tampered, missing, unlisted, resized and duplicate objects" {
	fixture
	head -c 5000000 /dev/urandom > model/big.bin
	mlp -q register model -n fraud >/dev/null
	mlp register export models:/fraud/2 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	G=$BATS_TEST_TMPDIR/f.tar.gz
	# the large object goes through a staging file: that is removed too
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" tamper
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "content hashes to "
	[[ "$output" =~ entry\ \'objects/[0-9a-f]{2}/[0-9a-f]{62}\':\ content\ hashes\ to\ [0-9a-f]{64}\ not\ [0-9a-f]{64}$ ]]
	# neither the wrongly named object nor the good ones before it stay
	[ -z "$(store_list "$OTHER")" ]
	[ "$(du -sk "$OTHER/.mlp/objects" | cut -f1)" -lt 100 ]
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" drop
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "listed in mlp-export.json is missing from the archive"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" unlisted
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: not listed in mlp-export.json"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" resize
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "listed in mlp-export.json"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" duplicate
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: a second copy"
}

@test "refused: no, oversized, foreign or lying metadata" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	G=$BATS_TEST_TMPDIR/f.tar.gz
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" no-meta
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "not an mlp export (no mlp-export.json"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" big-meta
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "entry 'mlp-export.json': refused: larger than 16 MiB"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" many-values
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: too many JSON values"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta format '"other"'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "not an mlp export"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta format_version 2
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "written by a newer mlp"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta size 1
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "gives the size 1"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta name '"a/b"'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: model name 'a/b'"
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta objects '[]'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" '"objects" is empty'
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta run_id '"../x"'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" '"run_id" must be'
	craft "$G" "$BATS_TEST_TMPDIR/a.tar.gz" meta aliases '["latest"]'
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/a.tar.gz" --with-aliases
	[ "$status" -eq 1 ]
	[ "$(versions)" -eq 0 ]
	# without --with-aliases the aliases are not used at all
	run mlp register import "$BATS_TEST_TMPDIR/a.tar.gz"
	[ "$status" -eq 0 ]
}

@test "refused: a tree naming an object the archive does not hold" {
	mkdir m && echo one > m/a
	mlp -q register m -n t >/dev/null
	mlp register export models:/t/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	# list only the manifest: the file's object is then unlisted
	tree=$(mlp register show models:/t/1 --json | sed 's/.*"object":"\([0-9a-f]*\)".*/\1/')
	size=$(stat -c %s .mlp/objects/${tree:0:2}/${tree:2})
	craft "$BATS_TEST_TMPDIR/f.tar.gz" "$BATS_TEST_TMPDIR/a.tar.gz" meta objects \
	    "[{\"id\": \"$tree\", \"size\": $size}]"
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "refused: not listed in mlp-export.json"
}

@test "refused: zip files, truncated archives, random bytes, empty files" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	(cd model && "$PY" -m zipfile -c "$BATS_TEST_TMPDIR/z.zip" w.bin)
	import_fails "$BATS_TEST_TMPDIR/z.zip" "'$BATS_TEST_TMPDIR/z.zip': Unrecognized archive format"
	size=$(stat -c %s "$BATS_TEST_TMPDIR/f.tar.gz")
	head -c $((size / 2)) "$BATS_TEST_TMPDIR/f.tar.gz" > "$BATS_TEST_TMPDIR/t.tar.gz"
	import_fails "$BATS_TEST_TMPDIR/t.tar.gz" "'$BATS_TEST_TMPDIR/t.tar.gz': "
	head -c 8192 /dev/urandom > "$BATS_TEST_TMPDIR/r.tar.gz"
	import_fails "$BATS_TEST_TMPDIR/r.tar.gz" "'$BATS_TEST_TMPDIR/r.tar.gz': "
	: > "$BATS_TEST_TMPDIR/e.tar.gz"
	import_fails "$BATS_TEST_TMPDIR/e.tar.gz" "'$BATS_TEST_TMPDIR/e.tar.gz': "
	# a plain tar of the right files, made by tar itself, is accepted
	mkdir "$BATS_TEST_TMPDIR/x" && tar xzf "$BATS_TEST_TMPDIR/f.tar.gz" -C "$BATS_TEST_TMPDIR/x"
	tar czf "$BATS_TEST_TMPDIR/re.tar.gz" -C "$BATS_TEST_TMPDIR/x" mlp-export.json objects
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/re.tar.gz"
	[ "$status" -eq 0 ]
}

@test "refused: metadata or tree paths that are not valid UTF-8, naming the field" {
	fixture
	mlp register export models:/fraud/1 -o "$BATS_TEST_TMPDIR/f.tar.gz"
	x=$BATS_TEST_TMPDIR/x
	mkdir "$x" && tar xzf "$BATS_TEST_TMPDIR/f.tar.gz" -C "$x"
	cp "$x/mlp-export.json" "$BATS_TEST_TMPDIR/meta.json"
	# rebuilt by tar with one field spoilt by a raw \xff
	spoil() {
		sed "$1" "$BATS_TEST_TMPDIR/meta.json" > "$x/mlp-export.json"
		tar czf "$BATS_TEST_TMPDIR/a.tar.gz" -C "$x" mlp-export.json objects
	}
	spoil 's/"description":"first cut"/"description":"first\xffcut"/'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: \"description\" 'first\\xff' is not valid UTF-8"
	spoil 's/"source":"/"source":"\xfe/'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: \"source\" '\\xfe' is not valid UTF-8"
	spoil 's/"team":"risk"/"team":"ri\xffsk"/'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: \"tags\" 'team' 'ri\\xff' is not valid UTF-8"
	spoil 's/"team":"risk"/"t\xffam":"risk"/'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: a key of \"tags\" 't\\xff' is not valid UTF-8"
	spoil 's/"name":"fraud"/"name":"fr\xe9ud"/'
	import_fails "$BATS_TEST_TMPDIR/a.tar.gz" "mlp-export.json: \"name\" 'fr\\xe9' is not valid UTF-8"
	# -n does not make the exported name, shown in the output, acceptable
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/a.tar.gz" -n fine
	[ "$status" -eq 1 ]
	cd "$BATS_TEST_TMPDIR/repo"
	# a tree whose path is not UTF-8, with the right ids throughout
	t=$BATS_TEST_TMPDIR/t
	mkdir -p "$t"
	printf 'w\n' > "$t/blob"
	b=$(sha256sum < "$t/blob" | cut -d' ' -f1)
	printf '644 2 %s a\377b\n' "$b" > "$t/man"
	m=$(sha256sum < "$t/man" | cut -d' ' -f1)
	msize=$(stat -c %s "$t/man")
	mkdir -p "$t/objects/${b:0:2}" "$t/objects/${m:0:2}"
	mv "$t/blob" "$t/objects/${b:0:2}/${b:2}"
	mv "$t/man" "$t/objects/${m:0:2}/${m:2}"
	printf '{"format":"mlp-export","format_version":1,"name":"t","version":1,"object":"%s","is_tree":true,"size":2,"objects":[{"id":"%s","size":%d},{"id":"%s","size":2}]}' \
	    "$m" "$m" "$msize" "$b" > "$t/mlp-export.json"
	tar czf "$BATS_TEST_TMPDIR/t.tar.gz" -C "$t" mlp-export.json objects
	import_fails "$BATS_TEST_TMPDIR/t.tar.gz" "the version's tree: the path 'a\\xff' is not valid UTF-8"
	# the same archive with a valid name is accepted
	printf '644 2 %s ab\n' "$b" > "$t/man"
	m2=$(sha256sum < "$t/man" | cut -d' ' -f1)
	rm -rf "$t/objects/${m:0:2}" && mkdir -p "$t/objects/${m2:0:2}"
	mv "$t/man" "$t/objects/${m2:0:2}/${m2:2}"
	sed -i "s/$m/$m2/g; s/\"size\":$msize/\"size\":$((msize - 1))/" "$t/mlp-export.json"
	tar czf "$BATS_TEST_TMPDIR/t.tar.gz" -C "$t" mlp-export.json objects
	cd "$OTHER"
	run mlp register import "$BATS_TEST_TMPDIR/t.tar.gz"
	[ "$status" -eq 0 ]
}
