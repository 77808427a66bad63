#!/usr/bin/env python3
"""How long the log reader takes where many directories moved.

Writes a synthetic access log (schema from tests' make_test_log): DIRS
directories, each renamed away and back at random (MOVES renames in all),
then FILES files read in them, then moves of a subdirectory of each, then
a seventh of the files read again under other names; and times
`provfs log --json` on it (median of RUNS), for each provfs binary given
(the current build by default; give an older one beside it to compare:
both must print the same summary).

  bench/log-read-moves.py [PROVFS...]
  FILES=60000 DIRS=600 MOVES=4000 RUNS=3 bench/log-read-moves.py build/tools/provfs /tmp/old/provfs
"""
import os, random, sqlite3, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = int(os.environ.get("FILES", "60000"))
dirs = int(os.environ.get("DIRS", "600"))
moves = int(os.environ.get("MOVES", "4000"))
runs = int(os.environ.get("RUNS", "3"))
binaries = sys.argv[1:] or [os.path.join(root, "build/tools/provfs")]
make_log = os.path.join(root, "build/tests/make_test_log")

tmp = tempfile.mkdtemp(prefix="provfs-log-moves.")
log = os.path.join(tmp, "log.db")
subprocess.run([make_log, log, os.path.join(tmp, "ws")], check=True, stdout=subprocess.DEVNULL)
db = sqlite3.connect(log)
cols = [r[1] for r in db.execute("PRAGMA table_info(access)")]
mount, process = db.execute("SELECT mount, process FROM access LIMIT 1").fetchone()
db.execute("DELETE FROM access")
random.seed(1)
rows, t = [], 10**9
D = "a" * 64

def add(**kw):
    global t
    t += 1000
    r = dict.fromkeys(cols)
    r.update(mount=mount, process=process, time_ns=t, flags=0, result=0, size=-1)
    r.update(kw)
    rows.append(tuple(r[c] for c in cols))

for _ in range(moves):
    d = random.randrange(dirs)
    add(op="rename", path=f"/d{d}", path2=f"/e{d}", flags=256)
    add(op="rename", path=f"/e{d}", path2=f"/d{d}", flags=256)
for i in range(files):
    add(op="open", path=f"/d{i % dirs}/s/f{i}.c", digest_after=D, size=10)
for _ in range(moves // 2):
    d = random.randrange(dirs)
    add(op="rename", path=f"/d{d}/s", path2=f"/d{d}/t", flags=256)
    add(op="rename", path=f"/d{d}/t", path2=f"/d{d}/s", flags=256)
for i in range(0, files, 7):
    add(op="open", path=f"/d{i % dirs}/s/f{i}.h", digest_after=D, size=10)
db.executemany(f"INSERT INTO access ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
               rows)
db.commit()
db.close()
print(f"log: {len(rows)} rows, {files + files // 7} files read, {3 * moves} renames "
      f"of {dirs} directories")
outputs = []
for b in binaries:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        out = subprocess.run([b, "log", "--json", log], capture_output=True, check=True).stdout
        times.append(time.monotonic() - start)
    outputs.append(out)
    print(f"{b}: median {statistics.median(times):.2f} s ({', '.join(f'{x:.2f}' for x in times)})")
if len(set(outputs)) > 1:
    print("the binaries' summaries differ")
    sys.exit(1)
subprocess.run(["rm", "-rf", tmp])
