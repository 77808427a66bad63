# A file deleted while still open for writing (a temp file: created,
# unlinked, written, closed) is logged with its digest and flag 1 on its
# close-write, but is not an output; and when its name was reused by a new
# file meanwhile, the output under that name is the new file, not the
# deleted one closed after it.  A file written and deleted after its close
# is no output either; one that stays is.  The files deleted while open
# are not copied into the store (they were, before): their jobs find no
# name left.  The one that stays is.
. "$(dirname "$0")/lib.sh"
mount_ws "$T/b" "$T/m"
m=$T/m
exec 3>"$m/tmp1"
rm "$m/tmp1"
echo gone >&3
exec 3>&-
exec 4>"$m/x"
echo old1 >&4
rm "$m/x"
echo new >"$m/x"
echo old2 >&4
exec 4>&-
echo bye >"$m/later"
rm "$m/later"
echo kept >"$m/kept"
umount_ws "$m"
outs=$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join(sorted(o["path"] for o in json.load(sys.stdin)["outputs"])))')
assert_eq "/kept /x" "$outs" "outputs"
assert_eq "$(printf 'new\n' | sha256sum | cut -d' ' -f1)" "$(output_digest /x)" "digest of output /x"
assert_eq "$(printf 'gone\n' | sha256sum | cut -d' ' -f1)|1" \
	"$(sql "select digest_after, flags from access where op='close-write' and path='/tmp1'")" \
	"close-write of the deleted temp file"
assert_eq "$(printf 'old1\nold2\n' | sha256sum | cut -d' ' -f1)" \
	"$(sql "select digest_after from access where op='close-write' and path='/x' and flags=1")" \
	"close-write of the deleted /x"
assert_eq 0 "$(sql "select flags from access where op='close-write' and path='/kept'")" \
	"flags of a plain close-write"
obj() { # obj TEXT: where TEXT's object lies in the store
	store_object "$T/store" "$(printf "$1" | sha256sum | cut -d' ' -f1)"
}
[ ! -e "$(obj 'gone\n')" ] || fail "the temp file deleted while open was stored"
[ ! -e "$(obj 'old1\nold2\n')" ] || fail "the /x deleted while open was stored"
[ -f "$(obj 'kept\n')" ] || fail "the output /kept was not stored"
[ -f "$(obj 'new\n')" ] || fail "the output /x was not stored"
exit 0
