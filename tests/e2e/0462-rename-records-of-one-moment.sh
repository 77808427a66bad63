# Concurrent renames are logged as of one moment each: one process
# exchanges two files in a directory while another exchanges that
# directory with a sibling (renameat2 RENAME_EXCHANGE, 1,500 times each);
# then one process exchanges two directories while another truncates the
# file in one of them by path.
# a: every exchange of the two files names one directory for both (a
#    record took its two names before and after a rename of their
#    directory: hundreds in 3,000), and the outputs are the files left;
# b: every truncate's close-write names the directory the file is in at
#    that point of the log (an exchange updated its two directories'
#    names in two steps, and a close-write between them named the old
#    one after the exchange's time), and the only output is that file.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || exit 77
mkdir -p "$T/a/d" "$T/a/e" "$T/b/d" "$T/b/e"
printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' >"$T/b/d/f"
echo y >"$T/b/e/h"
cat >"$T/ops.py" <<'PY'
import ctypes, os, sys
m, part = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
def exchanger(a, b, n):
    pid = os.fork()
    if pid == 0:
        for i in range(n):
            libc.renameat2(-100, a.encode(), -100, b.encode(), 2)
        os._exit(0)
    return pid
if part == "a":
    for n in ("x", "y"):
        with open(m + "/d/" + n, "w") as f:
            f.write(n * 3)
    pid = exchanger(m + "/d", m + "/e", 1500 if part == "a" else 5000)
    dfd = os.open(m + "/d", os.O_RDONLY | os.O_DIRECTORY)
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        libc.renameat2(dfd, b"x", dfd, b"y", 2)
    os.close(dfd)
else:
    pid = exchanger(m + "/d", m + "/e", 1500 if part == "a" else 5000)
    i = 0
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        i += 1
        for p in (m + "/d/f", m + "/e/f"):
            try:
                os.truncate(p, i % 37)
            except OSError:
                pass
PY
mount_ws "$T/a" "$T/ma"
/usr/bin/python3 "$T/ops.py" "$T/ma" a || fail "the operations (a)"
umount_ws "$T/ma"
mv "$T/log.db" "$T/log-a.db"
mount_ws "$T/b" "$T/mb"
/usr/bin/python3 "$T/ops.py" "$T/mb" b || fail "the operations (b)"
umount_ws "$T/mb"
/usr/bin/python3 - "$T" "$PROVFS" <<'PY' || fail "the records"
import hashlib, json, os, sqlite3, subprocess, sys
T, provfs = sys.argv[1], sys.argv[2]
def outputs(log, back):
    out = json.loads(subprocess.run([provfs, "log", "--json", log], capture_output=True,
                                    text=True, check=True).stdout)["outputs"]
    bad = []
    for o in out:
        p = back + o["path"]
        h = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) else "absent"
        if h != o.get("sha256"):
            bad.append((o["path"], h))
    return sorted(o["path"] for o in out), bad
db = sqlite3.connect(T + "/log-a.db")
rows = db.execute("SELECT id, path, path2 FROM access WHERE op = 'rename' AND result = 0"
                  " AND path LIKE '/_/_'").fetchall()
mixed = [r for r in rows if r[1][:2] != r[2][:2]]
assert rows and not mixed, ("a: exchanges naming two directories", len(mixed), len(rows), mixed[:3])
names, bad = outputs(T + "/log-a.db", T + "/a")
assert not bad and len(names) == 2, ("a: outputs", names, bad)
db = sqlite3.connect(T + "/log.db")
where, n, wrong = "d", 0, []
for rid, op, path in db.execute("SELECT id, op, path FROM access WHERE op IN ('rename', 'close-write')"
                                " AND result = 0 ORDER BY time_ns, id"):
    if op == "rename":
        where = "e" if where == "d" else "d"
    elif path.endswith("/f"):
        n += 1
        if path[1] != where:
            wrong.append((rid, path, where))
assert n and not wrong, ("b: close-writes naming the wrong directory", len(wrong), n, wrong[:3])
names, bad = outputs(T + "/log.db", T + "/b")
assert names == ["/d/f"] and not bad, ("b: outputs", names, bad)
PY
exit 0
