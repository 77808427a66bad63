# A mount serves the backing directory: reads see its files, writes land in
# it, and the log records both with digests equal to sha256sum's.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b"
printf 'hello\n' >"$T/b/in.txt"
mount_ws "$T/b" "$T/m"
assert_eq "hello" "$(cat "$T/m/in.txt")" "read through the mount"
printf 'out\n' >"$T/m/out.txt"
assert_eq "out" "$(cat "$T/b/out.txt")" "write reached the backing dir"
umount_ws "$T/m"
grep -q " $T/m " /proc/mounts && fail "still mounted after umount"
assert_eq "$(sha "$T/b/in.txt")" "$(input_digest /in.txt)" "input digest"
assert_eq "$(sha "$T/b/out.txt")" "$(output_digest /out.txt)" "output digest"
assert_eq "clean" "$(sql "select status from mount")" "mount status"
exit 0
