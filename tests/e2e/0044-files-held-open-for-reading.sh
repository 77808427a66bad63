# Files the build holds open for reading cost the daemon no fd where the
# kernel passes reads through to the backing file (it keeps a file of its
# own): a daemon that cannot raise its hard limit of 1024 (no
# CAP_SYS_RESOURCE, as in a container) serves 3,000 files held open at
# once.  Before, each was an fd of the daemon: EMFILE at about 750.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
# FUSE passthrough came with Linux 6.9.
kv=$(uname -r | cut -d. -f1-2)
[ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" = 6 ] && [ "${kv#*.}" -ge 9 ]; } ||
	{ echo "skip: kernel $kv has no FUSE passthrough"; exit 77; }
mkdir -p "$T/b/d" "$T/m"
python3 -c '
import sys
for i in range(3000):
    open("%s/f%d" % (sys.argv[1], i), "w").write(str(i))' "$T/b/d"
pid=$(ulimit -n 1024 && setpriv --bounding-set -sys_resource "$PROVFS" mount --json \
	--store "$T/store" --log "$T/log.db" "$T/b" "$T/m" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])') || fail "mount"
MOUNTS="$T/m"
assert_eq 1024 "$(awk '/^Max open files/ {print $5}' /proc/$pid/limits)" "the daemon's hard fd limit"
ulimit -n 5000 || exit 77
python3 - "$T/m/d" <<'PY' || fail "holding 3,000 files open for reading"
import sys
held = [open("%s/f%d" % (sys.argv[1], i)) for i in range(3000)]
assert all(f.read() == str(i) for i, f in enumerate(held))
PY
umount_ws "$T/m"
assert_eq 3000 "$(sql "select count(distinct path) from access where op='open' and result=0")" "inputs logged"
exit 0
