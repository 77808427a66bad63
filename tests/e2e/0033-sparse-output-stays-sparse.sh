# A sparse file written through the mount (a 1 GiB file holding 8 KiB of
# data: what tar's and many test suites' big-file tests make) is logged
# with the digest of what it reads as, and its stored object keeps the
# holes: capturing it costs kilobytes of store, not a gigabyte.
. "$(dirname "$0")/lib.sh"
mount_ws "$T/b" "$T/m"
m=$T/m
printf 'head' | dd of="$m/big" bs=1 seek=4096 conv=notrunc status=none
printf 'tail' | dd of="$m/big" bs=1M seek=700 conv=notrunc status=none
truncate -s 1G "$m/big"
umount_ws "$m"
want=$(sha "$T/b/big")
assert_eq "$want" "$(output_digest /big)" "digest of the sparse output"
obj=$(store_object "$T/store" "$want")
[ -f "$obj" ] || fail "the sparse output is not in the store"
assert_eq 1073741824 "$(stat -c %s "$obj")" "size of the stored object"
blocks=$(stat -c %b "$obj")
[ "$blocks" -lt 2048 ] || fail "the stored object has $blocks blocks: its holes were filled"
cmp -s "$obj" "$T/b/big" || fail "the stored object differs from the output"
"$PROVFS" store --store "$T/store" fsck >/dev/null || fail "store fsck finds a corrupt object"
