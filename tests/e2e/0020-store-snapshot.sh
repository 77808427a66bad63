# store snapshot names a directory's content: the same tree gives the same
# digest, any change (content, mode, name, symlink) gives another; the tree
# object and every file are in the store.  fsck shows progress on a
# terminal and finds a corrupted object.
. "$(dirname "$0")/lib.sh"
S="$PROVFS store --store $T/store --quiet"
mkdir -p "$T/d/sub dir"
printf 'a\n' >"$T/d/a"
printf 'b\n' >"$T/d/sub dir/b"
ln -s a "$T/d/link"
d1=$($S snapshot "$T/d") || fail "snapshot"
cp -a "$T/d" "$T/copy"
touch -d 2001-01-01 "$T/copy/a"
d2=$($S snapshot "$T/copy")
assert_eq "$d1" "$d2" "same content, other mtime"
$S cat "$d1" | head -1 | grep -qx "provfs-tree 1" || fail "tree object header"
$S cat "$d1" | grep -q ' sub%20dir/b$' || fail "escaped path in tree"
$S path "$(sha "$T/d/a")" >/dev/null || fail "file content not stored"
chmod 600 "$T/copy/a"
[ "$($S snapshot "$T/copy")" != "$d1" ] || fail "mode change not seen"
chmod 644 "$T/copy/a"
printf 'A\n' >"$T/copy/a"
[ "$($S snapshot "$T/copy")" != "$d1" ] || fail "content change not seen"
$S snapshot "$T/nope" 2>"$T/err"
assert_eq 2 "$?" "snapshot of a missing dir"
# fsck shows its progress on standard error on a terminal, and only there
if command -v script >/dev/null; then
	script -qec "$PROVFS store --store $T/store fsck 2>&1 >/dev/null" /dev/null >"$T/tty" ||
		fail "fsck on a terminal: $(cat "$T/tty")"
	grep -q "provfs: fsck: [0-9]* objects checked, [0-9.]* MiB" "$T/tty" ||
		fail "no progress on a terminal: $(cat "$T/tty")"
fi
"$PROVFS" store --store "$T/store" fsck 2>"$T/notty" >/dev/null || fail "fsck of an intact store"
[ ! -s "$T/notty" ] || fail "progress without a terminal: $(cat "$T/notty")"
# fsck catches a corrupted object
p=$($S path "$(sha "$T/d/a")")
chmod u+w "$p"
printf 'tampered\n' >"$p"
$S fsck >"$T/fsck"
assert_eq 1 "$?" "fsck exit on corruption"
grep -q "corrupt" "$T/fsck" || fail "fsck output: $(cat "$T/fsck")"
exit 0
