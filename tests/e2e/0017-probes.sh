# Failed look-ups are logged as probes (absence is a dependency), once per
# process; a path the build creates afterwards is not reported as missing.
. "$(dirname "$0")/lib.sh"
mount_ws "$T/b" "$T/m"
test -e "$T/m/config.h" && fail "config.h exists?"
test -e "$T/m/include/missing.h"
test -e "$T/m/later.txt"
echo x >"$T/m/later.txt"
umount_ws "$T/m"
"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "log --json"
python3 - "$T/log.json" <<'PY' || fail "probe list wrong"
import json, sys
d = json.load(open(sys.argv[1]))
probes = sorted(p["path"] for p in d["probes"])
assert "/config.h" in probes, probes
assert "/include" in probes, probes
assert "/later.txt" not in probes, probes
PY
n=$(sql "select count(*) from access where op='probe' and path='/config.h' and result=2")
assert_eq 1 "$n" "probe record with ENOENT"
exit 0
