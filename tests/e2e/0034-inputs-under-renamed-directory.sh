# A directory the build made and then renamed (mkdir d; write d/f; mv d e;
# read e/f) holds no inputs: e/f is the build's own file (found building
# GNU tar's test suite, whose moved directories listed their files as
# inputs), nor does one moved twice (mv d2 e2; mv e2 g2).  A directory that
# existed before the build, renamed and then read from, still gives inputs,
# also after a second move.  The rename is logged with flag 0x100.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b/src"
echo original >"$T/b/src/a.c"
mount_ws "$T/b" "$T/m"
m=$T/m
mkdir "$m/d"
echo made >"$m/d/f"
mv "$m/d" "$m/e"
cat "$m/e/f" >/dev/null
mkdir "$m/d2"
echo made2 >"$m/d2/f"
mv "$m/d2" "$m/e2"
mv "$m/e2" "$m/g2"
cat "$m/g2/f" >/dev/null
mv "$m/src" "$m/src2"
cat "$m/src2/a.c" >/dev/null
mv "$m/src2" "$m/src3"
cat "$m/src3/a.c" >/dev/null
echo plain >"$m/p1"
mv "$m/p1" "$m/p2"
umount_ws "$m"
ins=$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join(sorted(i["path"] for i in json.load(sys.stdin)["inputs"])))')
assert_eq "/src2/a.c /src3/a.c" "$ins" "inputs"
assert_eq "$(sha "$T/b/src3/a.c")" "$(input_digest /src2/a.c)" "digest of the input"
assert_eq "$(sha "$T/b/src3/a.c")" "$(input_digest /src3/a.c)" "digest of the input after two moves"
assert_eq "/e/f /g2/f /p2" "$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join(sorted(o["path"] for o in json.load(sys.stdin)["outputs"])))')" "outputs"
assert_eq "/d|256 /d2|256 /e2|256 /src|256 /src2|256 /p1|0" \
	"$(sql "select path || '|' || (flags & 256) from access where op = 'rename' order by id" | tr '\n' ' ' | sed 's/ $//')" \
	"rename flags"
