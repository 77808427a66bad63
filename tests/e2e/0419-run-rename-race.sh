# Files closed while another process renames a directory above them are
# all outputs.  A close-write record that already carried the renamed path
# was timed before the rename's record, so replaying the log by time put
# the file in place and then dropped it with the rename's destination: the
# file on disk was no subject (2 runs in 10 before).  Now a record's time
# and path are read under the lock that renames take.
. "$(dirname "$0")/lib.sh"
cat >"$T/race.py" <<'EOF'
import os, multiprocessing as mp
os.makedirs("top/d0/sub", exist_ok=True)
def writer(k):
    for i in range(300):
        for name in ("top/d0/sub", "top/d1/sub", "top/d2/sub"):
            try:
                with open(os.path.join(name, "w%d_%d" % (k, i)), "w") as f:
                    f.write("%d %d\n" % (k, i))
                break
            except FileNotFoundError:
                continue
def renamer():
    cur = "top/d0"
    for i in range(500):
        nxt = "top/d%d" % ((i + 1) % 3)
        try:
            os.rename(cur, nxt); cur = nxt
        except OSError:
            pass
ps = [mp.Process(target=writer, args=(k,)) for k in range(3)] + [mp.Process(target=renamer)]
[p.start() for p in ps]
[p.join() for p in ps]
EOF
for round in 1 2 3 4; do
	rm -rf "$T/ws" && mkdir -p "$T/ws" && cd "$T/ws" && cp "$T/race.py" .
	"$PROVFS" run --quiet --store "$T/store" --out "$T/m.json" -- python3 race.py 2>"$T/err" ||
		fail "round $round: $(cat "$T/err")"
	python3 - "$T/m.json" <<'EOF' || fail "round $round: files on disk that are no subjects (above)"
import base64, json, os, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
names = {x["name"] for x in s["subject"]}
files = [os.path.join(d, f) for d, _, fs in os.walk("top") for f in fs]
miss = [p for p in files if p not in names]
if not files or miss:
    print("%d files, missing %r" % (len(files), miss[:5]), file=sys.stderr)
    sys.exit(1)
EOF
done
exit 0
