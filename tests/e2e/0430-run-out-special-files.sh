# --out names where the manifest goes, and what is there stays what it is.
# A device (--out /dev/null) or a FIFO is written in place: the manifest
# was written beside it and renamed over it, so `provfs run --out
# /dev/null` put a regular file where the host's null device was (every
# later write to /dev/null landed in it).  A symlink stays a symlink and
# its target gets the manifest; a directory is a clear error, with the
# build's status and nothing written.  A null device of the test's own
# stands in for the host's.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
S=$T/store
mknod "$T/null" c 1 3 || exit 77
[ -c "$T/null" ] && : >"$T/null" 2>/dev/null || exit 77 # a nodev TMPDIR
"$PROVFS" run -q --store "$S" --out "$T/null" -- true || fail "--out a null device"
[ -c "$T/null" ] || fail "--out a null device: it is now $(stat -c %F "$T/null")"
ls "$T" | grep -q '^null\.tmp' && fail "a temporary file left beside the device"

# A FIFO: a reader gets the whole manifest, which verifies.
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/from-fifo.json" &
reader=$!
"$PROVFS" run -q --store "$S" --out "$T/fifo" -- true || fail "--out a FIFO"
wait $reader
[ -p "$T/fifo" ] || fail "--out a FIFO: it is now $(stat -c %F "$T/fifo")"
"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/from-fifo.json" >/dev/null ||
	fail "the manifest read from the FIFO does not verify"

# A symlink: still one, to the file that now holds the manifest.
echo old >"$T/real.json"
ln -s real.json "$T/link.json"
"$PROVFS" run -q --store "$S" --out "$T/link.json" -- true || fail "--out a symlink"
[ -L "$T/link.json" ] || fail "--out a symlink: it is now $(stat -c %F "$T/link.json")"
"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/real.json" >/dev/null ||
	fail "the symlink's target does not hold the manifest"

# A directory: a clear error; the build's own status is kept.
mkdir "$T/dir"
"$PROVFS" run -q --store "$S" --out "$T/dir" -- sh -c 'exit 3' 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] || fail "--out a directory succeeded"
grep -q "cannot write manifest '$T/dir': Is a directory" "$T/err" ||
	fail "no clear error: $(cat "$T/err")"
[ -z "$(ls "$T/dir")" ] || fail "something written into the directory: $(ls "$T/dir")"

# Inside the workspace the build controls the name: a symlink it leaves
# there (to a host file) is replaced, not followed; a FIFO it leaves there
# is replaced, not opened (attest hung on it, holding the store); a
# directory it replaces with a symlink (to /etc) keeps the manifest in the
# directory --out named (held since before the build, here moved).
echo precious >"$T/victim"
"$PROVFS" run -q --store "$S" --out in.json -- ln -s "$T/victim" in.json ||
	fail "--out in the workspace where the build made a symlink"
assert_eq precious "$(cat "$T/victim")" "the file the build's symlink pointed to"
[ -L in.json ] && fail "the build's symlink is still there"
"$PROVFS" verify --key "$S/keys/provfs.pub" in.json >/dev/null || fail "in.json does not verify"
rm -f in.json
timeout 60 "$PROVFS" run -q --store "$S" --out in.json -- mkfifo in.json
assert_eq 0 "$?" "--out in the workspace where the build made a FIFO"
[ -f in.json ] || fail "in.json is $(stat -c %F in.json)"
mkdir -p sub
"$PROVFS" run -q --store "$S" --out sub/m.json -- sh -c 'mv sub sub2 && ln -s /etc sub' ||
	fail "--out in a directory the build replaced by a symlink"
[ -e /etc/m.json ] && fail "the manifest went through the build's symlink to /etc"
"$PROVFS" verify --key "$S/keys/provfs.pub" sub2/m.json >/dev/null ||
	fail "the manifest is not in the directory --out named"
# A symlink there before the build: its target then gets the manifest,
# whatever the build does to the symlink.
echo old >"$T/before.json"
ln -s "$T/before.json" pre.json
"$PROVFS" run -q --store "$S" --out pre.json -- sh -c "rm pre.json; ln -s $T/victim pre.json" ||
	fail "--out a symlink made before the build"
assert_eq precious "$(cat "$T/victim")" "the file the build's new symlink points to"
"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/before.json" >/dev/null ||
	fail "the symlink's target of before the build does not hold the manifest"

# --out in a directory of the workspace the build makes: the same holds.
# The manifest was written through the path after the build, so a symlink
# the build left there had a host file overwritten (as root) or the
# manifest made in a host directory, and a FIFO hung provfs for ever.  The
# directory is now looked up beneath the workspace without following a
# symlink, and the name replaced as above.
"$PROVFS" run -q --store "$S" --out new1/m.json -- \
	sh -c "mkdir new1 && ln -s $T/victim new1/m.json" || fail "--out in a new directory with a symlink"
assert_eq precious "$(cat "$T/victim")" "the host file the build's symlink in a new directory named"
"$PROVFS" verify --key "$S/keys/provfs.pub" new1/m.json >/dev/null || fail "new1/m.json does not verify"
mkdir "$T/hostdir"
"$PROVFS" run -q --store "$S" --out new2/m.json -- ln -s "$T/hostdir" new2 2>"$T/err2"
assert_eq 2 "$?" "--out in a new directory the build made a symlink to a host directory"
[ -z "$(ls "$T/hostdir")" ] || fail "the manifest went into a host directory: $(ls "$T/hostdir")"
grep -q "symlink of a directory on the way" "$T/err2" || fail "no clear error: $(cat "$T/err2")"
timeout 60 "$PROVFS" run -q --store "$S" --out new3/m.json -- sh -c 'mkdir new3 && mkfifo new3/m.json'
assert_eq 0 "$?" "--out in a new directory where the build made a FIFO"
[ -f new3/m.json ] || fail "new3/m.json is $(stat -c %F new3/m.json)"
# A directory the build removed and made again (make clean) gets it; one
# nobody made is a clear error, the manifest kept in the store.
mkdir -p again
"$PROVFS" run -q --store "$S" --out again/m.json -- sh -c 'rm -r again && mkdir again' ||
	fail "--out in a directory the build removed and made again"
"$PROVFS" verify --key "$S/keys/provfs.pub" again/m.json >/dev/null || fail "again/m.json does not verify"
"$PROVFS" run -q --store "$S" --out never/m.json -- true 2>"$T/err3"
assert_eq 2 "$?" "--out in a directory nobody made"
grep -q "the build left no such directory" "$T/err3" || fail "no clear error: $(cat "$T/err3")"

# --out through a symlink in the workspace to a host directory (ws/out ->
# artifacts/): the manifest goes where that symlink pointed before the
# build.  It was written through the path after the build, so a build that
# pointed out elsewhere had a host file there overwritten, as root.
mkdir -p "$T/artifacts" "$T/victim2"
echo precious >"$T/victim2/m.json"
ln -s "$T/artifacts" art
"$PROVFS" run -q --store "$S" --out art/m.json -- sh -c "rm art; ln -s $T/victim2 art" 2>/dev/null ||
	fail "--out through a symlinked directory"
assert_eq precious "$(cat "$T/victim2/m.json")" "the host file where the build pointed the directory"
"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/artifacts/m.json" >/dev/null ||
	fail "the manifest is not where the symlink pointed before the build"
