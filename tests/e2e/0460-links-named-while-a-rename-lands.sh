# The close-write of a file with two hard links names it as it is at one
# moment: its names come from a look in the backing tree (here, the first
# one, a walk of 40,000 entries), and a rename of their directory landing
# during it gave one record names from before and after the rename,
# stamped before it, and the reader moved the new names back (6 of 10
# runs: outputs in a directory that was empty, the written file none).
# The names are now taken again while a rename ran meanwhile.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b/big"
python3 -c 'import sys
for i in range(40000): open("%s/%05d" % (sys.argv[1], i), "w").close()' "$T/b/big" || fail "setup"
for round in 1 2 3; do
	rm -rf "$T/b/D" "$T/b/E0" "$T/log.db"
	mkdir "$T/b/D" "$T/b/E0" && echo pre >"$T/b/D/f" && ln "$T/b/D/f" "$T/b/D/g" || fail "setup"
	mount_ws "$T/b" "$T/m"
	(cd "$T/m" && python3 -c 'import ctypes
open("D/f", "w").write("new\n")  # its release looks for the names of D/f
assert ctypes.CDLL(None).renameat2(-100, b"D", -100, b"E0", 2) == 0') || fail "the exchange"
	umount_ws "$T/m"
	"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "provfs log"
	python3 - "$T/log.json" <<'PY' || fail "round $round: the outputs"
import hashlib, json, sys
new = hashlib.sha256(b"new\n").hexdigest()
outs = {o["path"]: o.get("sha256") for o in json.load(open(sys.argv[1]))["outputs"]}
assert outs == {"/E0/f": new, "/E0/g": new}, outs
PY
done
exit 0
