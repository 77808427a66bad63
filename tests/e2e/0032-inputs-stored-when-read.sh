# On a writable mount with a store, a file the build reads is copied into
# the store when it is read (by the workers, in the background), so that
# its content is kept even when the build overwrites it later (a
# regenerated Makefile.in): after the overwrite, the store holds both the
# content read and the content written, and the log has the input's
# capture.  A read-only mount stores the inputs it serves the same way.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b"
printf 'original input\n' >"$T/b/in.txt"
printf 'never read\n' >"$T/b/unread.txt"
mount_ws "$T/b" "$T/m"
cat "$T/m/in.txt" >/dev/null
sleep 0.2 # the worker copies it
printf 'regenerated\n' >"$T/m/in.txt"
umount_ws "$T/m"
obj() { # obj STORE TEXT: where TEXT's object lies in STORE
	store_object "$1" "$(printf "$2" | sha256sum | cut -d' ' -f1)"
}
[ -f "$(obj "$T/store" 'original input\n')" ] || fail "the content read is not in the store"
[ -f "$(obj "$T/store" 'regenerated\n')" ] || fail "the content written is not in the store"
[ ! -e "$(obj "$T/store" 'never read\n')" ] || fail "a file never read was stored"
assert_eq "$(printf 'original input\n' | sha256sum | cut -d' ' -f1)" \
	"$(sql "select digest_after from access where op='capture' and path='/in.txt' order by time_ns limit 1")" \
	"first capture of /in.txt"
assert_eq "$(printf 'original input\n' | sha256sum | cut -d' ' -f1)" "$(input_digest /in.txt)" \
	"input digest of /in.txt"
"$PROVFS" store --store "$T/store" fsck >/dev/null || fail "store fsck"
# Read-only (provfs run's root): its inputs are stored as they are read
# too, by the workers beside the build, not afterwards by attest; a file
# never read is not.  With --no-capture nothing is stored.
mkdir -p "$T/r" "$T/m2"
printf 'environment file\n' >"$T/r/env.txt"
printf 'environment file never read\n' >"$T/r/unread.txt"
"$PROVFS" mount --ro --store "$T/store2" --log "$T/log2.db" "$T/r" "$T/m2" >/dev/null || fail "mount --ro"
MOUNTS="$MOUNTS $T/m2"
cat "$T/m2/env.txt" >/dev/null
umount_ws "$T/m2"
[ -f "$(obj "$T/store2" 'environment file\n')" ] ||
	fail "a read-only mount did not store the input it served"
[ ! -e "$(obj "$T/store2" 'environment file never read\n')" ] ||
	fail "a read-only mount stored a file never read"
"$PROVFS" store --store "$T/store2" fsck >/dev/null || fail "store2 fsck"
mkdir -p "$T/m3"
"$PROVFS" mount --ro --no-capture --store "$T/store3" --log "$T/log3.db" "$T/r" "$T/m3" >/dev/null ||
	fail "mount --ro --no-capture"
MOUNTS="$MOUNTS $T/m3"
cat "$T/m3/env.txt" >/dev/null
umount_ws "$T/m3"
[ -z "$(find "$T/store3/objects" -type f 2>/dev/null)" ] || fail "--no-capture stored an input"
exit 0
