# A link's record names its source as of the moment it is timed, and only
# a name that holds the file then:
# a: a hard link of a symlink whose name went since (ln -s x a; ln a b;
#    rm b; echo x >b; ln a c): the record named b, so c, a symlink, was an
#    output with b's digest;
# b: links made while another process exchanges the source's directory
#    with another (renameat2 RENAME_EXCHANGE): the source name was taken
#    before the link and the record timed after it, so a new name got the
#    other directory's file's digest (about 1 in 10);
# c: a file written through a name that then went, closed while its other
#    name's directory is renamed (a big directory makes the close slow):
#    the record was timed before the rename with the name after it, and
#    the output had the file's old digest.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || exit 77
mkdir -p "$T/a" "$T/b/d" "$T/b/e" "$T/b/L" "$T/c/L"
(cd "$T/c/L" && seq 30000 | xargs touch) || fail "the big directory"
# a
mount_ws "$T/a" "$T/ma"
(cd "$T/ma" && ln -s nowhere a && ln a b && rm b && echo x >b && ln a c) || fail "a: the operations"
umount_ws "$T/ma"
"$PROVFS" log --json "$T/log.db" >"$T/a.json" || fail "a: provfs log"
mv "$T/log.db" "$T/log-a.db"
# b
mount_ws "$T/b" "$T/mb"
/usr/bin/python3 - "$T/mb" <<'PY' || fail "b: the operations"
import ctypes, multiprocessing, os, sys
os.chdir(sys.argv[1])
for i in range(400):
    for d in ("d", "e"):
        with open(f"{d}/f{i}", "w") as f:
            f.write(f"file {i} of {d}\n")
dfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY)
stop = multiprocessing.Event()
def mover():
    libc = ctypes.CDLL(None)
    while not stop.is_set():
        libc.renameat2(-100, b"d", -100, b"e", 2)
m = multiprocessing.Process(target=mover)
m.start()
for i in range(400):
    os.link(f"f{i}", f"L/h{i}", src_dir_fd=dfd)
stop.set()
m.join()
PY
umount_ws "$T/mb"
"$PROVFS" log --json "$T/log.db" >"$T/b.json" || fail "b: provfs log"
mv "$T/log.db" "$T/log-b.db"
# c
mount_ws "$T/c" "$T/mc"
(
	cd "$T/mc" || exit 1
	mkdir d && echo first >d/f && ln d/f L/h || exit 1
	exec 3>>L/h
	echo second >&3
	rm L/h
	exec 3>&-
	mv d e
) || fail "c: the operations"
umount_ws "$T/mc"
"$PROVFS" log --json "$T/log.db" >"$T/c.json" || fail "c: provfs log"
/usr/bin/python3 - "$T" <<'PY' || fail "the outputs"
import hashlib, json, os, sys
T = sys.argv[1]
def outs(name):
    return {o["path"]: o.get("sha256") for o in json.load(open(f"{T}/{name}.json"))["outputs"]}
def sha(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()
a = outs("a")
assert "/c" not in a, ("a: a link of a symlink is an output", a)
assert a.get("/b") == sha(f"{T}/a/b"), ("a: b", a)
b = outs("b")
wrong = [i for i in range(400) if b.get(f"/L/h{i}") != sha(f"{T}/b/L/h{i}")]
assert not wrong, ("b: links with another file's digest", len(wrong), wrong[:5])
c = outs("c")
assert c.get("/e/f") == sha(f"{T}/c/e/f"), ("c: /e/f", c.get("/e/f"), sha(f"{T}/c/e/f"))
PY
exit 0
