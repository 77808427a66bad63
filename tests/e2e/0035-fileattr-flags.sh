# File attribute flags (chattr/lsattr, which the kernel asks of a FUSE
# filesystem as FS_IOC_GETFLAGS/SETFLAGS ioctls) are the backing file's:
# set through the mount they reach the backing file and read back, on files
# and directories; a change is logged as "fileattr" with the flags; the
# kernel's own checks stand (a non-owner may not set them, nor anyone on a
# read-only mount); and other ioctls (isatty's TCGETS) still say ENOTTY.
# Found by libarchive's bsdtar tests (test_option_nodump, _fflags), which
# skipped "Can't test nodump on this filesystem" under provfs only.
. "$(dirname "$0")/lib.sh"
command -v chattr >/dev/null && command -v lsattr >/dev/null || exit 77
mkdir -p "$T/b/d"
echo data >"$T/b/f"
echo other >"$T/b/o"
chattr +d "$T/b/o" 2>/dev/null || exit 77 # the backing filesystem has no flags
mount_ws "$T/b" "$T/m"
m=$T/m
flags() { lsattr -d "$1" 2>&1 | cut -d' ' -f1; }
case "$(flags "$m/o")" in *d*) ;; *) fail "flag set on the backing not seen: $(flags "$m/o")" ;; esac
chattr +d "$m/f" || fail "chattr +d through the mount"
case "$(flags "$T/b/f")" in *d*) ;; *) fail "nodump did not reach the backing: $(flags "$T/b/f")" ;; esac
case "$(flags "$m/f")" in *d*) ;; *) fail "nodump not read back: $(flags "$m/f")" ;; esac
chattr +d "$m/d" || fail "chattr +d on a directory"
case "$(flags "$T/b/d")" in *d*) ;; *) fail "directory flag: $(flags "$T/b/d")" ;; esac
chattr -d "$m/f" || fail "chattr -d"
case "$(flags "$T/b/f")" in *d*) fail "nodump not cleared" ;; esac
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups chattr +d "$m/f" 2>/dev/null &&
		fail "nobody set a flag on root's file"
	case "$(flags "$T/b/f")" in *d*) fail "a non-owner's chattr reached the backing" ;; esac
fi
python3 - "$m/f" <<'PY' || fail "isatty on a file of the mount"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
assert not os.isatty(fd)
PY
umount_ws "$m"
assert_eq "/f|64|0 /d|64|0 /f|0|0" \
	"$(sql "select path || '|' || (flags & 64) || '|' || result from access where op = 'fileattr' and result = 0 order by id" | tr '\n' ' ' | sed 's/ $//')" \
	"fileattr records (64: FS_NODUMP_FL)"
# Read-only: the flags read, no change.
mount_ws "$T/b" "$T/r" --ro
case "$(flags "$T/r/o")" in *d*) ;; *) fail "flags on a read-only mount" ;; esac
chattr -d "$T/r/o" 2>/dev/null && fail "chattr on a read-only mount"
case "$(flags "$T/b/o")" in *d*) ;; *) fail "a read-only mount changed the flags" ;; esac
umount_ws "$T/r"
chattr -d "$T/b/o" "$T/b/d"
exit 0
