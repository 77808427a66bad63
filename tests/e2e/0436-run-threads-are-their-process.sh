# A FUSE request names the calling thread, not its process: the threads
# of a multi-threaded program (Go's tools, a JVM, Python's threading)
# that use a mount are one item of the manifest, their process's (its pid,
# start time and parent), with what each thread read and wrote.  Before,
# each thread was an item of its own, with the same arguments, under its
# thread id: a `go build` showed `link` run three times.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
printf 'x\n' >in
cat >threads.py <<'PY'
import os, threading
n = 4
done = threading.Barrier(n + 1)
def work(i):
    with open("in") as f:
        f.read()
    with open("t.%d" % i, "w") as f:
        f.write("%d\n" % threading.get_native_id())
    done.wait()   # alive until every thread has written
ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
for t in ts:
    t.start()
done.wait()
threading.Event().wait(0.3)  # (and read by the daemon: it reads at once)
for t in ts:
    t.join()
with open("pid", "w") as f:
    f.write("%d\n" % os.getpid())
PY
"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- python3 threads.py
assert_eq 0 "$?" "the build"
python3 - "$T/m.json" "$T/ws" "$PROVFS" <<'PY' || fail "the threads' item"
import base64, json, os, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [b for b in s["predicate"]["runDetails"]["byproducts"]
         if b["name"] == "process-tree"][0]["annotations"]["processes"]
ws = sys.argv[2]
# (ids in the slave's pid namespace: the manifest has the host's)
pid = int(open(ws + "/pid").read())
tids = {int(open("%s/t.%d" % (ws, i)).read()) for i in range(4)}
assert pid not in tids and len(tids) == 4, (pid, tids)
# python3 may be a wrapper that execs the real one (pyenv's shim): the
# item is the one whose arguments end in threads.py and that ran it.
py = [p for p in procs if p["argv"][-1:] == ["threads.py"] and "workspace" in p["mounts"]
      and p["exe"] != os.path.realpath(sys.argv[3])]
assert len(py) == 1, [(p["pid"], p["exe"], p["argv"], p["accesses"]) for p in py]
same = [p for p in procs if p["pid"] != py[0]["pid"] and p["exe"] == py[0]["exe"]]
assert not same, same
# the threads' writes are outputs of the build, as ever
outs = {o["name"] for o in s["subject"]}
assert {"t.%d" % i for i in range(4)} <= outs, outs
PY
exit 0
