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
umount_ws "$M"
for f in random trunc append mmap target linked alias copy; do
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
