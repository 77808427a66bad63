#!/bin/sh
# A real build through a provfs mount: make runs in the workspace mount,
# attest turns the mount's log into a manifest, and verify accepts it against
# the built program, with every object (inputs, outputs, log) in the store.
# --subjects-from names the mounts whose files are subjects: the mount's own
# label keeps the program a subject, a label the log lacks is refused.
# --no-probes-under LABEL:DIR leaves what was looked for there out of the
# missing paths.
. "$(dirname "$0")/manifest-lib.sh"
[ -e /dev/fuse ] || exit 77
command -v make >/dev/null && command -v cc >/dev/null || exit 77
mkdir -p src mnt
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' > src/hello.c
printf 'hello: hello.c\n\t$(CC) -o hello hello.c\n' > src/Makefile
"$PROVFS" mount --store st --log log.db src mnt >/dev/null 2>"$WORK/err" || {
	cat "$WORK/err" >&2; exit 77; }
make -C mnt >/dev/null 2>&1; status=$?
"$PROVFS" umount mnt >/dev/null || fail "umount failed"
[ $status = 0 ] || fail "make failed inside the mount"
"$PROVFS" keygen --out k >/dev/null || fail keygen
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --out m.json \
	--exit-status $status --no-env -- make
expect 0 "$PROVFS" verify --key k.pub --store st m.json src/hello
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --out m2.json \
	--subjects-from workspace --no-env -- make
expect 0 "$PROVFS" verify --key k.pub m2.json src/hello
expect 2 "$PROVFS" attest --log log.db --key k.key --store st --out m3.json \
	--subjects-from wrokspace --no-env -- make
err_has "no mount labelled 'wrokspace'"
[ ! -e m3.json ] || fail "attest wrote a manifest for an unknown --subjects-from label"
# --no-probes-under drops what was looked for in vain there, and wants
# LABEL:DIR.
expect 2 "$PROVFS" attest --log log.db --key k.key --store st --out m4.json \
	--no-probes-under workspace --no-env -- make
err_has "LABEL:DIR"
[ ! -e m4.json ] || fail "attest wrote a manifest for a --no-probes-under without a DIR"
missing() { python3 -c '
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(len([b for b in s["predicate"]["runDetails"]["byproducts"]
           if b["name"] == "missing-paths"][0]["annotations"]["paths"]))' "$1"; }
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --out m5.json \
	--no-probes-under workspace:/ --no-env -- make
[ "$(missing m.json)" -gt 0 ] || fail "make looked for nothing in vain"
[ "$(missing m5.json)" = 0 ] || fail "--no-probes-under workspace:/ kept $(missing m5.json)"
expect 0 "$PROVFS" show m.json
grep -q "hello.c" "$WORK/out" || fail "show does not list hello.c as an input"
grep -q "Makefile" "$WORK/out" || fail "show does not list the Makefile as an input"
exit 0
