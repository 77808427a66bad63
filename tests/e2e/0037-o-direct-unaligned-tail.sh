# A file opened with O_DIRECT, whose writer clears O_DIRECT with
# fcntl(F_SETFL) before an unaligned last block, as dd does (coreutils'
# tests/dd/direct.sh): the copy succeeds and is exact, and its digest is
# logged.  With passthrough the kernel's own backing file kept O_DIRECT,
# and that last write failed with EINVAL; O_DIRECT opens are served by the
# daemon instead.  Aligned O_DIRECT reads and writes still work.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b"
mount_ws "$T/b" "$T/m"
m=$T/m
head -c 8192 /dev/urandom >"$m/aligned"
dd if="$m/aligned" of="$m/aligned.copy" iflag=direct oflag=direct bs=4096 2>"$T/err" ||
	fail "aligned O_DIRECT copy: $(cat "$T/err")"
cmp -s "$m/aligned" "$m/aligned.copy" || fail "aligned copy differs"
for n in 511 8191 8193; do
	head -c $n /dev/urandom >"$m/in$n"
	dd if="$m/in$n" of="$m/out$n" iflag=direct oflag=direct 2>"$T/err" ||
		fail "O_DIRECT copy of $n bytes: $(cat "$T/err")"
	cmp -s "$m/in$n" "$m/out$n" || fail "copy of $n bytes differs"
done
umount_ws "$m"
for n in 511 8191 8193; do
	assert_eq "$(sha "$T/b/out$n")" "$(output_digest "/out$n")" "digest of out$n"
done
exit 0
