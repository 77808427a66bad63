# A file written through a descriptor after the name it was opened by went
# (unlinked, or renamed over) while another hard link keeps it: the write
# is the other link's, and the name that went is no output with that
# content.  Before, the daemon logged the write under the old name, so
# the manifest had a subject for a deleted name (or gave the new file at
# that name the old file's digest), and the surviving link kept a stale
# digest or was missing.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
echo "linked before $$" >pre
ln pre pre-link
"$PROVFS" run --store "$T/s" --quiet --out "$T/m.json" -- sh -c '
	exec 3>>pre; rm pre; echo more >&3; exec 3>&-
	echo "made $$" >a; ln a b; exec 4>>a; echo new >c; mv c a; echo more >&4; exec 4>&-
' 2>"$T/err" || fail "run: $(cat "$T/err")"
python3 - "$T/m.json" <<'PY' >"$T/subjects" || fail "reading the manifest"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
for s in st["subject"]:
    print(s["name"], s["digest"]["sha256"])
PY
subject() { awk -v n="$1" '$1 == n {print $2}' "$T/subjects"; }
assert_eq "" "$(subject pre)" "subject for the removed name pre"
assert_eq "$(sha pre-link)" "$(subject pre-link)" "subject pre-link, written through pre's descriptor"
assert_eq "$(sha a)" "$(subject a)" "subject a (c renamed over it)"
assert_eq "$(sha b)" "$(subject b)" "subject b, written through a's old descriptor"
grep -q more b || fail "test broken: b lacks the write"

# The check must not lose a file whose writer's release (asynchronous)
# meets a rename of it into another directory right after the close: the
# name it had is gone then, but the rename is only in flight.
rm -rf "$T/ws2"
mkdir -p "$T/ws2"
cd "$T/ws2"
"$PROVFS" run --store "$T/s" --quiet --out "$T/m2.json" -- python3 -c '
import os
os.mkdir("out")
for i in range(1500):
    with open("t%d.tmp" % i, "w") as f:
        f.write("content %d\n" % i)
    os.rename("t%d.tmp" % i, "out/f%d" % i)
' 2>"$T/err" || fail "run 2: $(cat "$T/err")"
python3 - "$T/m2.json" <<'PY' || fail "outputs renamed right after their writer closed"
import base64, hashlib, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
subj = {s["name"]: s["digest"]["sha256"] for s in st["subject"]}
bad = [i for i in range(1500)
       if subj.get("out/f%d" % i) != hashlib.sha256(b"content %d\n" % i).hexdigest()]
assert not bad, "%d of 1500 wrong or missing, e.g. out/f%d" % (len(bad), bad[0])
PY
