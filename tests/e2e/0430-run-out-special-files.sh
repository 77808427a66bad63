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
exit 0
