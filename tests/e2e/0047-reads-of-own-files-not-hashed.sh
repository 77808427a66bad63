#!/bin/sh
# A big file the build wrote through the mount is its own: a later read
# of it is no input (read after written), and its digest is its writer's
# (the close-write record; the store has its content), so a read of it
# before that digest is known is logged without hashing the file again.
# A huge sparse file made with truncate
# and read by cp (coreutils' tests/cp/sparse-perf.sh, 1 TiB) had a second
# pass of hashing queued for the read, which an unlink of it then waited
# for.  A small one (up to 64 MiB) is still hashed for its read, and so is
# a file that was there before the build.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b"
printf 'there before\n' >"$T/b/pre"
mount_ws "$T/b" "$T/m"
# Read while the writer still holds them open, so that no digest of
# them is known yet and a read would have had to hash them itself.
exec 3>"$T/m/own"
printf 'the build wrote this\n' >&3
cat "$T/m/own" "$T/m/pre" >/dev/null
exec 4<>"$T/m/big"
truncate -s 2G "$T/m/big" || fail "truncate on the mount"
dd if="$T/m/big" of=/dev/null bs=4096 count=1 status=none || fail "a read of the sparse file"
rm "$T/m/big" || fail "rm of the sparse file"
exec 3>&- 4>&-
umount_ws "$T/m"
own=$(printf 'the build wrote this\n' | sha256sum | cut -d' ' -f1)
pre=$(printf 'there before\n' | sha256sum | cut -d' ' -f1)
assert_eq "$own" "$(sql "select digest_after from access where op='close-write' and path='/own'")" \
	"the writer's digest of /own"
assert_eq "1|$own" "$(sql "select count(*), group_concat(digest_after) from access where op='open' and path='/own' and (flags & 3) = 0")" \
	"the read of /own, small: hashed"
assert_eq "1|" "$(sql "select count(*), group_concat(digest_after) from access where op='open' and path='/big' and (flags & 3) = 0")" \
	"the read of /big: logged, not hashed"
assert_eq "$pre" "$(sql "select digest_after from access where op='open' and path='/pre'")" \
	"the read of /pre, there before the build"
assert_eq "$pre" "$(input_digest /pre)" "/pre is an input"
[ -z "$(input_digest /own)" ] || fail "/own, written first, is an input"
exit 0
