# A file linked into a cache, its first name removed (and made again as
# another file), then linked out of the cache under a new name: ccache's
# hard-link mode across make clean.  With 30 such files the daemon's walks
# for the file's names were used up and the link record named the removed
# name as its source: the new names were missing from the outputs, or had
# the digest of the other file now at the old name.  Each new name is an
# output with its own content's digest.  And a write through the cache's
# name after the first name went (its one name left, made by the build's
# link) was logged as a file with no name, so the cache's name kept its old
# digest: every name the build made by a link is now kept for the file.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || exit 77
mkdir -p "$T/b"
cat >"$T/ops.py" <<'PY'
import os, sys
os.chdir(sys.argv[1])
os.makedirs("cache")
for i in range(30):
    with open(f"o{i}", "w") as f:
        f.write(f"object {i}\n")
    os.link(f"o{i}", f"cache/c{i}")
os.listdir(".")
for i in range(30):
    os.unlink(f"o{i}")
    if sys.argv[2] == "relink" and i % 2:
        with open(f"o{i}", "w") as f:
            f.write(f"something else {i}\n")
for i in range(30):
    if sys.argv[2] == "relink":
        os.link(f"cache/c{i}", f"x{i}")
    else:
        with open(f"cache/c{i}", "a") as f:
            f.write("appended\n")
PY
mount_ws "$T/b" "$T/m"
/usr/bin/python3 "$T/ops.py" "$T/m" relink || fail "the operations"
umount_ws "$T/m"
"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "provfs log"
mv "$T/log.db" "$T/log-1.db"
# (on a mount of its own: the daemon has walked for no names yet)
mkdir -p "$T/b2"
mount_ws "$T/b2" "$T/m2"
/usr/bin/python3 "$T/ops.py" "$T/m2" append || fail "the operations (append)"
umount_ws "$T/m2"
"$PROVFS" log --json "$T/log.db" >"$T/log2.json" || fail "provfs log (append)"
/usr/bin/python3 - "$T/log.json" "$T/b" "$T/log2.json" "$T/b2" <<'PY' || fail "the outputs"
import hashlib, json, os, sys
out = {o["path"]: o.get("sha256") for o in json.load(open(sys.argv[1]))["outputs"]}
back = sys.argv[2]
out2 = {o["path"]: o.get("sha256") for o in json.load(open(sys.argv[3]))["outputs"]}
bad = []
for i in range(30):
    for name in [f"/x{i}", f"/cache/c{i}"] + ([f"/o{i}"] if i % 2 else []):
        real = hashlib.sha256(open(back + name, "rb").read()).hexdigest()
        if out.get(name) != real:
            bad.append((name, (out.get(name) or "missing")[:12], real[:12]))
    name = f"/cache/c{i}"
    real = hashlib.sha256(open(sys.argv[4] + name, "rb").read()).hexdigest()
    if out2.get(name) != real:
        bad.append(("append", name, (out2.get(name) or "missing")[:12], real[:12]))
assert not bad, bad
PY
exit 0
