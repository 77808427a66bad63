# Outputs name only what is there at the end, with its content:
# - a file truncated by path after its last name went (through
#   /proc/self/fd, or as an unlink raced the truncate) is no output: its
#   close-write said it still had its name (found by a randomized stress
#   with two processes: an output path that no longer existed);
# - a symlink made at a name whose file had moved away (with its
#   directory), then renamed, is no output with that file's digest.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b"
mount_ws "$T/b" "$T/m"
cd "$T/m" || fail "cd"
python3 - <<'PY' || fail "the truncate"
import os
open("f", "w").write("hello\n")
fd = os.open("f", os.O_RDONLY)
os.unlink("f")
os.truncate("/proc/self/fd/%d" % fd, 3)
os.close(fd)
PY
mkdir d && echo hello >d/f && mv d e && mkdir d && ln -s target d/f && mv d/f g ||
	fail "the renames"
cd "$T"
umount_ws "$T/m"
"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "provfs log"
python3 - "$T/log.json" "$T/b" <<'PY' || fail "the outputs: $(cat "$T/log.json" | head -c 3000)"
import hashlib, json, os, sys
log, back = json.load(open(sys.argv[1])), sys.argv[2]
outs = {o["path"]: o.get("sha256") for o in log["outputs"]}
assert "/f" not in outs, ("a file with no name left is an output", outs)
assert outs.get("/g") is None, ("a symlink has a file's digest", outs)
for p, h in outs.items():
    full = back + p
    assert os.path.isfile(full) and not os.path.islink(full), ("an output that is no file", p)
    assert h == hashlib.sha256(open(full, "rb").read()).hexdigest(), ("digest of", p)
assert "/e/f" in outs, outs
PY
exit 0
