# Final digests are right after random writes, truncation, appends, mmap
# writes, rename over an existing file, hard links and copy_file_range.
. "$(dirname "$0")/lib.sh"
mount_ws "$T/b" "$T/m"
M=$T/m
# sequential then random overwrite in the middle
head -c 3000000 /dev/urandom >"$M/random"
printf 'XYZ' | dd of="$M/random" bs=1 seek=12345 conv=notrunc status=none
# shrink and grow by truncate(1) (setattr without an open writer)
head -c 100000 /dev/urandom >"$M/trunc"
truncate -s 5000 "$M/trunc"
truncate -s 9000 "$M/trunc"
# appends from separate opens
printf 'a\n' >"$M/append"
printf 'b\n' >>"$M/append"
printf 'c\n' >>"$M/append"
# shared writable mmap
python3 - "$M/mmap" <<'PY'
import mmap, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"\0" * 8192)
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 8192)
    m[100:105] = b"hello"
    m[8000:8003] = b"end"
    m.flush()
    m.close()
PY
# rename over an existing output
printf 'old\n' >"$M/target"
printf 'new\n' >"$M/tmpfile"
mv "$M/tmpfile" "$M/target"
# hard link, then write through the link
printf 'one\n' >"$M/linked"
ln "$M/linked" "$M/alias"
printf 'two\n' >>"$M/alias"
# copy_file_range (cp uses it on Linux)
cp "$M/random" "$M/copy"
# O_APPEND cleared with fcntl: later writes land where they are told (the
# daemon's own fd kept O_APPEND, and they appended); an appending file
# beside a plain one on the same inode.  Passthrough opens the kernel's
# backing file with the flags of the open, which F_SETFL does not reach
# (architecture.md): there it still appends.
python3 - "$M/unappend" "$M/mixed" <<'PY'
import fcntl, os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"0123456789")
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_APPEND)
os.pwrite(fd, b"AB", 0)
os.write(fd, b"CD")
os.close(fd)
with open(sys.argv[2], "wb") as f:
    f.write(b"xxxxxxxx")
a = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
b = os.open(sys.argv[2], os.O_WRONLY)
os.write(a, b"AA")
os.pwrite(b, b"BB", 0)
os.write(a, b"CC")
os.close(a)
os.close(b)
PY
umount_ws "$M"
assert_eq BBxxxxxxAACC "$(cat "$T/b/mixed")" "an appending file beside a plain one"
case " ${MOUNT_OPTS:-} " in
*" --no-passthrough "*)
	assert_eq CD23456789 "$(cat "$T/b/unappend")" "writes after O_APPEND was cleared" ;;
esac
for f in random trunc append mmap target linked alias copy unappend mixed; do
	assert_eq "$(sha "$T/b/$f")" "$(output_digest "/$f")" "digest of $f"
done
[ -z "$(output_digest /tmpfile)" ] || fail "renamed-away tmpfile still listed as output"
# every output is in the store and intact
"$PROVFS" store --store "$T/store" fsck >/dev/null || fail "store fsck"
for f in random trunc append mmap target linked copy; do
	"$PROVFS" store --store "$T/store" path "$(sha "$T/b/$f")" >/dev/null ||
		fail "$f not captured"
done
exit 0
