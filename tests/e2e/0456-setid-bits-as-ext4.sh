# Setuid and setgid bits are cleared as a local filesystem (ext4) clears
# them, on a mount with and without passthrough:
# a: a write by the owner, a member of the file's group, of a file 6767
#    (setgid without group-exec) clears setuid only (both went);
# b: a truncate by a user outside the file's group of a file 2767 clears
#    setgid (it stayed);
# c: fallocate by another user of a file 4777 clears setuid (it stayed);
# e: a write through a shared mapping keeps them (they went);
# s: without passthrough, a write after the bit was set (chmod u+s of a
#    file the user holds open) clears it (the check was at the open only);
# f, g, h: chown(f, -1, -1) by root of a file 6755 clears both (they
#    stayed), of a file 2745 keeps setgid; by its owner of a file 4755
#    clears setuid (it stayed).
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
[ -x /usr/bin/python3 ] || exit 77
command -v fallocate >/dev/null || exit 77
chmod 755 "$T"
as() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}
cases() { # DIR: prints the modes
	d=$1
	echo data >"$d/a" && chown 1000:1000 "$d/a" && chmod 6767 "$d/a"
	as 1000 sh -c "echo x >>$d/a"
	echo data >"$d/b" && chmod 2767 "$d/b"
	as 65534 truncate -s 2 "$d/b"
	echo data >"$d/c" && chmod 4777 "$d/c"
	as 65534 fallocate -l 8192 "$d/c"
	echo data >"$d/e" && chmod 4777 "$d/e"
	as 65534 /usr/bin/python3 -c 'import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR); m = mmap.mmap(fd, 4); m[0:1] = b"D"; m.flush(); m.close(); os.close(fd)' "$d/e"
	echo data >"$d/f" && chmod 6755 "$d/f"
	echo data >"$d/g" && chmod 2745 "$d/g"
	/usr/bin/python3 -c 'import os, sys; os.chown(sys.argv[1], -1, -1); os.chown(sys.argv[2], -1, -1)' "$d/f" "$d/g"
	echo data >"$d/h" && chown 1000:1000 "$d/h" && chmod 4755 "$d/h"
	as 1000 /usr/bin/python3 -c 'import os, sys; os.chown(sys.argv[1], -1, -1)' "$d/h"
	echo "a=$(stat -c %a "$d/a") b=$(stat -c %a "$d/b") c=$(stat -c %a "$d/c") e=$(stat -c %a "$d/e")" \
		"f=$(stat -c %a "$d/f") g=$(stat -c %a "$d/g") h=$(stat -c %a "$d/h")"
}
mkdir -p "$T/nat" "$T/b1" "$T/b2"
chmod 777 "$T/nat" "$T/b1" "$T/b2"
native=$(cases "$T/nat")
assert_eq "a=2767 b=767 c=777 e=4777 f=755 g=2745 h=755" "$native" "the modes natively (this kernel)"
mount_ws "$T/b1" "$T/m1"
chmod 777 "$T/m1"
assert_eq "$native" "$(cases "$T/m1")" "the modes on a mount"
umount_ws "$T/m1"
mount_ws "$T/b2" "$T/m2" --no-passthrough
chmod 777 "$T/m2"
assert_eq "$native" "$(cases "$T/m2")" "the modes on a mount without passthrough"
printf 'original\n' >"$T/m2/s"
chmod 0666 "$T/m2/s"
as 65534 /usr/bin/python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY); time.sleep(1); os.write(fd, b"evil\n"); os.close(fd)' "$T/m2/s" &
pid=$!
sleep 0.4
chmod 4777 "$T/m2/s"
wait $pid
assert_eq 777 "$(stat -c %a "$T/m2/s")" "a write after chmod u+s by a user holding the file open"
umount_ws "$T/m2"
exit 0
