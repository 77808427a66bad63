# A file the build wrote and then removed frees its space at once, as
# natively: the daemon's capture of it waited for the next commit (up to a
# second) holding the file open, and the build's next write into a nearly
# full workspace failed with ENOSPC.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
mount -t tmpfs -o size=4M provfs-test "$T/ws" || exit 77
cleanup_ws() { cd / && umount "$T/ws" 2>/dev/null; }
trap 'cleanup_ws; cleanup' EXIT
cd "$T/ws"
# (Up to three tries 0.15 s apart: the capture of big may wait behind
# other work on a busy machine; its commit waited a whole second.)
script='dd if=/dev/zero of=big bs=1M count=3 2>/dev/null || exit 3
rm big
for try in 1 2 3; do
	dd if=/dev/zero of=next bs=1M count=2 2>/dev/null && break
	rm -f next
	[ $try = 3 ] && { df -k .; exit 4; }
	sleep 0.15
done
rm next'
sh -c "$script" || fail "natively: $?"
"$PROVFS" run --store "$T/store" --quiet -- sh -c "$script"
assert_eq 0 "$?" "the second write after the first file was removed"
cd "$T"
exit 0
