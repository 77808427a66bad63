# A file linked into a cache, its first name removed (and made again as
# another file), then linked out of the cache under a new name: ccache's
# hard-link mode across make clean.  With 30 such files the daemon's walks
# for the file's names were used up and the link record named the removed
# name as its source: the new names were missing from the outputs, or had
# the digest of the other file now at the old name.  Each new name is an
# output with its own content's digest.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || exit 77
mkdir -p "$T/b"
mount_ws "$T/b" "$T/m"
/usr/bin/python3 - "$T/m" <<'PY' || fail "the operations"
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
    if i % 2:
        with open(f"o{i}", "w") as f:
            f.write(f"something else {i}\n")
for i in range(30):
    os.link(f"cache/c{i}", f"x{i}")
PY
umount_ws "$T/m"
"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "provfs log"
/usr/bin/python3 - "$T/log.json" "$T/b" <<'PY' || fail "the outputs"
import hashlib, json, os, sys
out = {o["path"]: o.get("sha256") for o in json.load(open(sys.argv[1]))["outputs"]}
back = sys.argv[2]
bad = []
for i in range(30):
    for name in [f"/x{i}", f"/cache/c{i}"] + ([f"/o{i}"] if i % 2 else []):
        real = hashlib.sha256(open(back + name, "rb").read()).hexdigest()
        if out.get(name) != real:
            bad.append((name, (out.get(name) or "missing")[:12], real[:12]))
assert not bad, bad
PY
exit 0
