# A directory the build made and then renamed (mkdir d; write d/f; mv d e;
# read e/f) holds no inputs: e/f is the build's own file (found building
# GNU tar's test suite, whose moved directories listed their files as
# inputs).  A directory that existed before the build, renamed and then
# read from, still gives inputs.  The rename is logged with flag 0x100.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b/src"
echo original >"$T/b/src/a.c"
mount_ws "$T/b" "$T/m"
m=$T/m
mkdir "$m/d"
echo made >"$m/d/f"
mv "$m/d" "$m/e"
cat "$m/e/f" >/dev/null
mv "$m/src" "$m/src2"
cat "$m/src2/a.c" >/dev/null
echo plain >"$m/p1"
mv "$m/p1" "$m/p2"
umount_ws "$m"
ins=$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join(sorted(i["path"] for i in json.load(sys.stdin)["inputs"])))')
assert_eq "/src2/a.c" "$ins" "inputs"
assert_eq "$(sha "$T/b/src2/a.c")" "$(input_digest /src2/a.c)" "digest of the input"
assert_eq "/e/f /p2" "$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join(sorted(o["path"] for o in json.load(sys.stdin)["outputs"])))')" "outputs"
assert_eq "/d|256 /src|256 /p1|0" \
	"$(sql "select path || '|' || (flags & 256) from access where op = 'rename' order by id" | tr '\n' ' ' | sed 's/ $//')" \
	"rename flags"
