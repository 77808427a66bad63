# On overlayfs, the root of most containers, a file has no handle
# (name_to_handle_at fails): an inode the daemon keeps no fd for is found
# again by its path in the mount.  A tree of many more files than the
# daemon may hold fds for works, through renames, and the daemon stays
# far below its limit.  The daemon runs without CAP_SYS_RESOURCE, as in a
# container, so it cannot raise its hard limit of 1024.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
mkdir -p "$T/lower" "$T/upper" "$T/work" "$T/b" "$T/m"
mount -t overlay provfs-e2e -o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/b" 2>/dev/null ||
	exit 77
trap 'cleanup; umount "$T/b" 2>/dev/null' EXIT
python3 - "$T/b" <<'PY' || fail "creating the lower files"
import os, sys
for d in range(10):
    os.mkdir(f"{sys.argv[1]}/d{d}")
    for i in range(300):
        with open(f"{sys.argv[1]}/d{d}/f{i}", "w") as f:
            f.write(f"{d}-{i}\n")
PY
ulimit -n 1024 || exit 77
pid=$(setpriv --bounding-set -sys_resource "$PROVFS" mount --json --store "$T/store" \
	--log "$T/log.db" "$T/b" "$T/m" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])') || fail "mount"
MOUNTS="$T/m"
assert_eq 1024 "$(awk '/^Max open files/ {print $5}' /proc/$pid/limits)" "the daemon's hard fd limit"
python3 - "$T/m" <<'PY' || fail "creating files through the mount"
import os, sys
for d in range(10, 14):
    os.mkdir(f"{sys.argv[1]}/d{d}")
    for i in range(300):
        with open(f"{sys.argv[1]}/d{d}/f{i}", "w") as f:
            f.write(f"{d}-{i}\n")
PY
n=$(find "$T/m" -type f | wc -l)
assert_eq 4200 "$n" "files seen"
assert_eq 4200 "$(find "$T/m" -type f -exec cat {} + | wc -l)" "lines read"
# Renamed through the mount: what the kernel still knows by the old
# inodes is found at the new path.
mv "$T/m/d3" "$T/m/d3x" || fail "rename of a directory"
mv "$T/m/d12" "$T/m/d3x/d12" || fail "rename into a directory"
assert_eq 600 "$(cat "$T/m/d3x"/f* "$T/m/d3x/d12"/f* | wc -l)" "lines read after the renames"
assert_eq "12-7" "$(cat "$T/m/d3x/d12/f7")" "a file under a moved directory"
stat "$T/m/d3x/d12/f299" >/dev/null || fail "stat after the renames"
fds=$(ls /proc/$pid/fd | wc -l)
[ "$fds" -lt 700 ] || fail "daemon holds $fds fds"
umount_ws "$T/m"
assert_eq 1200 "$(sql "select count(distinct path) from access where op='close-write'")" "outputs"
exit 0
