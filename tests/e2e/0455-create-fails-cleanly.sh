# A create whose open fails after the file was made (the daemon out of
# descriptors: EMFILE) leaves no file behind, as natively: it left an
# empty file that the mount then said did not exist while O_EXCL said it
# did.  And a CREATE of a name that exists by then (made outside the
# mount after the kernel cached its absence) does not give that file to
# the caller: it was chowned to the opener.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
command -v prlimit >/dev/null || exit 77
command -v setpriv >/dev/null || exit 77
mkdir -p "$T/b" "$T/m"
chmod 755 "$T"
chmod 777 "$T/b"
prlimit --nofile=300:300 "$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" >/dev/null ||
	fail "mount"
MOUNTS="$T/m"
python3 - "$T/m" "$T/b" <<'PY' || fail "creates past the daemon's descriptors"
import errno, os, sys
m, b = sys.argv[1], sys.argv[2]
fds = []
failed = None
for i in range(600):
    p = "%s/f%d" % (m, i)
    try:
        fds.append(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError as e:
        failed = (i, e.errno)
        break
for fd in fds:
    os.close(fd)
assert failed is not None, "600 files held open: the daemon's limit was not reached"
i, err = failed
assert err in (errno.EMFILE, errno.ENFILE), errno.errorcode.get(err, err)
assert not os.path.exists("%s/f%d" % (b, i)), "the failed create left f%d in the backing directory" % i
# The name is free through the mount too.
os.close(os.open("%s/f%d" % (m, i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
# A name the kernel has seen absent, made outside the mount, then opened
# with O_CREAT by another user: its owner stays.
stat "$T/m/late" >/dev/null 2>&1
echo root-owned >"$T/b/late"
chmod 666 "$T/b/late"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo x >>"$1"' sh "$T/m/late" ||
	fail "nobody's write to late"
assert_eq "0:0" "$(stat -c %u:%g "$T/b/late")" "owner of a file that existed before a CREATE of it"
exit 0
