# A tree of many files works with a daemon whose open-files limit is far
# below the number of files: the daemon keeps file handles, not fds.
. "$(dirname "$0")/lib.sh"
ulimit -n 1024 || exit 77
mkdir -p "$T/b" "$T/m"
pid=$("$PROVFS" mount --json --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])') || fail "mount"
MOUNTS="$T/m"
python3 - "$T/m" <<'PY' || fail "creating files"
import os, sys
root = sys.argv[1]
for d in range(20):
    os.mkdir(f"{root}/d{d}")
    for i in range(300):
        with open(f"{root}/d{d}/f{i}", "w") as f:
            f.write(f"{d}-{i}\n")
PY
sync
echo 2 >/proc/sys/vm/drop_caches
n=$(find "$T/m" -type f | wc -l)
assert_eq 6000 "$n" "files seen"
find "$T/m" -type f -exec cat {} + | wc -l >"$T/lines"
assert_eq 6000 "$(cat "$T/lines")" "lines read"
fds=$(ls /proc/$pid/fd | wc -l)
[ "$fds" -lt 1024 ] || fail "daemon holds $fds fds"
umount_ws "$T/m"
assert_eq 6000 "$(sql "select count(distinct path) from access where op='close-write'")" "outputs"
exit 0
