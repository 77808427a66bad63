# An append-only file (chattr +a): opened for appending it is written at
# its end, as natively; the daemon opened its backing file without
# O_APPEND (it appends per write), which the kernel refuses on such a file,
# so `echo x >> log` failed with EPERM.  A write that does not append is
# still refused.  Through passthrough and without.
. "$(dirname "$0")/lib.sh"
command -v chattr >/dev/null || exit 77
# (an append-only file left behind could not be removed with TMPDIR)
trap 'chattr -a "$T/b/log" 2>/dev/null; cleanup' EXIT
check() { # mount options...
	rm -rf "$T/b" "$T/log.db"
	mkdir -p "$T/b"
	echo start >"$T/b/log"
	chattr +a "$T/b/log" 2>/dev/null || exit 77
	mount_ws "$T/b" "$T/m" "$@"
	echo one >>"$T/m/log" || fail "append with >> $*"
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_APPEND)
os.write(fd, b"two\n")
os.close(fd)' "$T/m/log" || fail "append with O_RDWR|O_APPEND $*"
	echo three 2>/dev/null >"$T/m/log" && fail "a truncating write of an append-only file $*"
	umount_ws "$T/m"
	chattr -a "$T/b/log"
	assert_eq "$(printf 'start\none\ntwo')" "$(cat "$T/b/log")" "the append-only file $*"
	assert_eq "$(sha "$T/b/log")" "$(output_digest /log)" "its output digest $*"
}
check
check --no-passthrough
