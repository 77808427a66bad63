# Renames of a directory interleaved with renames of a file in it are read
# back in linear time: the reader's walk back through the moves kept every
# path to each earlier name, which doubled with each pair of moves (48
# renames: a minute; 80 would never end).  The file, there before the
# mount, stays an input under the name it was read by.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b/d"
echo hi >"$T/b/d/f"
mount_ws "$T/b" "$T/m"
i=0
while [ $i -lt 20 ]; do
	mv "$T/m/d" "$T/m/e" && mv "$T/m/e" "$T/m/d" && mv "$T/m/d/f" "$T/m/d/g" &&
		mv "$T/m/d/g" "$T/m/d/f" || fail "the renames"
	i=$((i + 1))
done
cat "$T/m/d/f" >/dev/null
umount_ws "$T/m"
timeout 60 "$PROVFS" log --json "$T/log.db" >"$T/log.json" 2>"$T/err"
assert_eq 0 "$?" "provfs log of 80 interleaved renames (124: over a minute): $(cat "$T/err")"
python3 - "$T/log.json" "$(sha "$T/b/d/f")" <<'PY' || fail "the input: $(cat "$T/log.json" | head -c 2000)"
import json, sys
log = json.load(open(sys.argv[1]))
inputs = {i["path"]: i.get("sha256") for i in log["inputs"]}
assert inputs.get("/d/f") == sys.argv[2], inputs
assert not log["outputs"], log["outputs"]
PY
exit 0
