# On a read-only mount with passthrough, a file's backing file stays
# registered with the kernel between opens: 1000 files held open at once
# cost the daemon no fd each (it holds none for them), the content read
# through every one of them is right, and every open is still logged with
# the file's digest.  After the mount, the files are still readable
# through a new mount (nothing was left registered).
. "$(dirname "$0")/lib.sh"
kv=$(uname -r | cut -d. -f1-2)
[ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" = 6 ] && [ "${kv#*.}" -ge 9 ]; } ||
	{ echo "skip: kernel $kv has no FUSE passthrough"; exit 77; }
mkdir -p "$T/b" "$T/m"
head -c 100000 /dev/urandom >"$T/b/lib.so"
printf 'header\n' >"$T/b/h.h"
mount_daemon "$T/b" "$T/m" --ro
out=$(hold_opens "$T/m/lib.so") || fail "python failed"
set -- $out
[ "$2" -lt $(($1 + 100)) ] || fail "daemon fds went from $1 to $2 with 1000 files open"
assert_eq 1 "$3" "distinct contents read through 1000 opens"
assert_eq "$(sha "$T/b/lib.so")" "$4" "content read through the mount"
for i in 1 2 3; do cat "$T/m/h.h"; done >/dev/null
umount_ws "$T/m"
assert_eq "$(sha "$T/b/lib.so")" "$(sqlite3 "$T/log.db" \
	"SELECT DISTINCT digest_after FROM access WHERE path = '/lib.so' AND op = 'open'")" \
	"digest logged for the opens of lib.so"
assert_eq "$(sha "$T/b/h.h")" "$(sqlite3 "$T/log.db" \
	"SELECT DISTINCT digest_after FROM access WHERE path = '/h.h' AND op = 'open'")" \
	"digest logged for the opens of h.h"
mount_ws "$T/b" "$T/m2" --ro
assert_eq "$(sha "$T/b/h.h")" "$(sha256sum <"$T/m2/h.h" | cut -d' ' -f1)" "read on a new mount"
umount_ws "$T/m2"
exit 0
