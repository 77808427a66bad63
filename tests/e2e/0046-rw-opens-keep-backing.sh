# On a writable mount with passthrough, the backing file a read-only open
# registered stays registered between opens too (a build's own headers
# are opened as often as the environment's): 1000 files held open at once
# cost the daemon no fd each; what a writer then puts in the file, by
# rewriting, appending, renaming over it or replacing it, is what the
# next reader reads, and every open is logged with the digest of what it
# read.  A binary copied in through the mount and read runs, through the
# mount and from the backing directory (nothing holds it open for
# writing: no ETXTBSY), and runs as the new one once overwritten.
. "$(dirname "$0")/lib.sh"
kv=$(uname -r | cut -d. -f1-2)
[ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" = 6 ] && [ "${kv#*.}" -ge 9 ]; } ||
	{ echo "skip: kernel $kv has no FUSE passthrough"; exit 77; }
mkdir -p "$T/b" "$T/m"
printf 'one\n' >"$T/b/h.h"
mount_daemon "$T/b" "$T/m"
out=$(hold_opens "$T/m/h.h") || fail "python failed"
set -- $out
[ "$2" -lt $(($1 + 100)) ] || fail "daemon fds went from $1 to $2 with 1000 files open"
assert_eq "1 $(sha "$T/b/h.h")" "$3 $4" "contents read through 1000 opens"
# writers after readers: each reader after them reads what they left.
# A close's RELEASE is asynchronous: a reader that opens before the daemon
# has seen it reads bytes whose digest is not known yet, and its open is
# logged without one (seen on a busy host: 'four' read by cat just after
# the shell's close).  So each reader starts a moment after the writer.
settle() { sleep 0.3; }
printf 'two\n' >"$T/m/h.h"
settle
assert_eq two "$(cat "$T/m/h.h")" "read after a rewrite"
printf 'more\n' >>"$T/m/h.h"
settle
assert_eq "two more" "$(cat "$T/m/h.h" | tr '\n' ' ' | sed 's/ $//')" "read after an append"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); os.pwrite(fd, b"TWO", 0); os.ftruncate(fd, 4); os.close(fd)' \
	"$T/m/h.h" || fail "pwrite and ftruncate"
settle
assert_eq TWO "$(cat "$T/m/h.h")" "read after pwrite and ftruncate"
printf 'three\n' >"$T/m/new.h"
settle
cat "$T/m/new.h" >/dev/null
mv "$T/m/new.h" "$T/m/h.h"
assert_eq three "$(cat "$T/m/h.h")" "read after a rename over it"
rm "$T/m/h.h"
[ ! -e "$T/m/h.h" ] || fail "removed file still there"
printf 'four\n' >"$T/m/h.h"
settle
assert_eq four "$(cat "$T/m/h.h")" "read after remove and recreate"
# a binary written through the mount, read, then run
cp /bin/true "$T/m/prog"
cmp -s /bin/true "$T/m/prog" || fail "the binary read back"
"$T/m/prog" || fail "the binary run through the mount"
"$T/b/prog" || fail "the binary run from the backing directory (held open for writing?)"
cp /bin/false "$T/m/prog" || fail "overwriting the binary through the mount"
"$T/m/prog" && fail "the overwritten binary still runs as the old one"
umount_ws "$T/m"
for c in one two TWO three four; do
	d=$(printf '%s\n' "$c" | sha256sum | cut -d' ' -f1)
	n=$(sqlite3 "$T/log.db" "SELECT count(*) FROM access WHERE path = '/h.h' AND op = 'open'
		AND (flags & 3) = 0 AND digest_after = '$d'")
	[ "$n" -ge 1 ] || fail "no read open of h.h logged with the digest of '$c'"
done
exit 0
