#!/bin/sh
# A write through one name of a file with several hard links changes what
# every name holds: each name is an output with the content it has at the
# end, also names linked before the mount (which the daemon never looked
# up) and names in other directories; a name read after the write is no
# input; a name unlinked or renamed over is not logged for the file any
# more (a link, truncate or read through another name was logged under
# it, and it was listed as an output though gone), also after many
# linked files were written.
. "$(dirname "$0")/lib.sh"
B=$T/b
M=$T/m
mkdir -p "$B/sub" "$B/other"
# Linked before the mount.
echo one >"$B/a1"; ln "$B/a1" "$B/a2"
echo one >"$B/b1"; ln "$B/b1" "$B/sub/b2"
echo one >"$B/c1"; ln "$B/c1" "$B/c2"
echo keep >"$B/other/unrelated"; ln "$B/other/unrelated" "$B/other/unrelated2"
mount_ws "$B" "$M"
# A: written through both names in turn.
echo two >"$M/a1"
echo three >>"$M/a2"
# B: written through one name only, the other in another directory and
# never looked up.
echo two >>"$M/b1"
# C: written through one name, then the other read.
echo two >"$M/c2"
cat "$M/c1" >/dev/null
# Made on the mount: names replaced or removed, then the file written
# through a name the kernel had cached.
echo A >"$M/x"; ln "$M/x" "$M/y"; echo X >"$M/z"; mv "$M/z" "$M/y"; ln "$M/x" "$M/w"
echo more >>"$M/x"
mkdir "$M/d1" "$M/d2"; echo aaaa >"$M/d1/f"; ln "$M/d1/f" "$M/d2/g"; rm "$M/d2/g"
python3 -c 'import os, sys; os.truncate(sys.argv[1], 2)' "$M/d1/f"
cat "$M/d1/f" >/dev/null
# Many files linked and written (each needed a walk of the backing tree,
# and after eight no name that went was found again), then names that go.
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	echo a >"$M/f$i"; ln "$M/f$i" "$M/g$i"; echo b >>"$M/f$i"
done
mkdir "$M/e"
echo one >"$M/e/y"; ln "$M/e/y" "$M/q"; echo two >>"$M/q"; rm "$M/q"
echo three >>"$M/e/y"
echo one >"$M/t"; ln "$M/t" "$M/e/u"; echo zzz >"$M/z"; mv "$M/z" "$M/e/u"
python3 -c 'import os, sys; os.truncate(sys.argv[1], 2)' "$M/t"
umount_ws "$M"

for f in a1 a2 b1 sub/b2 c1 c2 x y w d1/f f1 g1 f12 g12 e/y t e/u; do
	assert_eq "$(sha "$B/$f")" "$(output_digest "/$f")" "output digest of $f"
done
[ -z "$(output_digest /d2/g)" ] || fail "the removed name d2/g is an output"
[ -z "$(output_digest /q)" ] || fail "the removed name q is an output"
[ -z "$(output_digest /other/unrelated)" ] || fail "a linked file nobody wrote is an output"
[ -z "$(input_digest /c1)" ] || fail "c1, read after a write through c2, is an input"
assert_eq "/x" "$(sql "SELECT path2 FROM access WHERE op = 'link' AND path = '/w'")" \
	"the source of the link w (y was another file's by then)"
assert_eq 0 "$(sql "SELECT count(*) FROM access WHERE path = '/d2/g' AND op IN ('setattr', 'open', 'close-write')")" \
	"records under the removed name d2/g"
exit 0
