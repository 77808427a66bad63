# A filesystem mounted below the backing directory keeps its own inode
# numbers, but the mount shows one st_dev for all: its files must not take
# the numbers of other files.  Two fresh tmpfs below the backing give files
# the same inode number natively; through the mount they are distinct (cp
# copies, tar stores no hard link, du counts both), a hard link on a
# submount is still one file, and a file on the backing root's own device
# keeps its number.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b/s1" "$T/b/s2"
mount -t tmpfs -o size=4m provfs-e2e "$T/b/s1" 2>/dev/null || exit 77
if ! mount -t tmpfs -o size=4m provfs-e2e "$T/b/s2"; then
	umount "$T/b/s1"
	exit 77
fi
trap 'cleanup; umount "$T/b/s1" "$T/b/s2" 2>/dev/null' EXIT
head -c 40000 /dev/urandom >"$T/b/s1/f"
head -c 50000 /dev/urandom >"$T/b/s2/f"
echo own >"$T/b/own"
same=$(stat -c %i "$T/b/s1/f" "$T/b/s2/f" | uniq | wc -l)
[ "$same" = 1 ] || note "the two tmpfs files differ in inode number natively; the test still checks the mount"
mount_ws "$T/b" "$T/m"
M=$T/m

[ "$(stat -c %i "$M/s1/f")" != "$(stat -c %i "$M/s2/f")" ] ||
	fail "two files of two submounts share an inode number: $(stat -c '%i %n' "$M/s1/f" "$M/s2/f")"
[ "$(stat -c %i "$M/s1")" != "$(stat -c %i "$M/s2")" ] || fail "two submount roots share an inode number"
assert_eq "$(stat -c %i "$T/b/own")" "$(stat -c %i "$M/own")" "inode number of a file on the root's device"
# What a directory listing says is what stat says.
assert_eq "$(stat -c %i "$M/s1/f")" "$(ls -i "$M/s1" | awk '$2 == "f" {print $1}')" "ls -i of a submount's file"

cp "$M/s1/f" "$M/s2/g" || fail "cp between submounts refused"
cmp -s "$T/b/s1/f" "$T/b/s2/g" || fail "cp between submounts copied the wrong content"
ln "$M/s1/f" "$M/s1/h" || fail "hard link on a submount"
assert_eq "$(stat -c %i "$M/s1/f")" "$(stat -c %i "$M/s1/h")" "a hard link's inode number on a submount"

tar -C "$M" -cf "$T/t.tar" s1 s2 own || fail "tar of the mount"
links=$(tar -tvf "$T/t.tar" | grep ' link to ' | sed 's/.* \([^ ]*\) link to \(.*\)/\1 \2/' |
	tr ' ' '\n' | sort | tr '\n' ' ')
assert_eq "s1/f s1/h " "$links" "the hard link tar found"
mkdir "$T/x"
tar -C "$T/x" -xf "$T/t.tar" || fail "untar"
cmp -s "$T/b/s2/f" "$T/x/s2/f" || fail "s2/f came out of tar as another file"
assert_eq "$(du -sb "$T/b/s2" | cut -f1)" "$(du -sb "$M/s2" | cut -f1)" "du of a submount"
umount_ws "$M"
exit 0
