# A file read through a hard link the build made to a file from before the
# build is an input, as one read under a name it got by a rename is (the
# link made its path count as written, and the read was in no list: out.txt
# came from nowhere).  One linked to a file the build wrote is not.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws/tree"
cd "$T/ws"
echo "the input" >src.txt
echo 'int main(void) { return 0; }' >tree/m.c
"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- sh -c '
	ln src.txt lnk && cat lnk >out.txt
	cp -al tree build && cat build/m.c >out2.c
	echo mine >made.txt && ln made.txt made-link && cat made-link >out3.txt' ||
	fail "the build"
python3 - "$T/m.json" "$(sha src.txt)" "$(sha tree/m.c)" <<'PY' || fail "the manifest's inputs"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
deps = {d["name"]: d.get("digest", {}).get("sha256")
        for d in st["predicate"]["buildDefinition"]["resolvedDependencies"]
        if not d.get("uri", "").startswith("pkg:")}
ws = sorted(k for k in deps if not k.startswith("/"))
assert deps.get("lnk") == sys.argv[2], ("lnk", ws)
assert deps.get("build/m.c") == sys.argv[3], ("build/m.c", ws)
for own in ("made.txt", "made-link"):
    assert own not in deps, (own, "the build's own file is an input")
subjects = {s["name"] for s in st["subject"]}
for out in ("out.txt", "out2.c", "out3.txt", "made.txt"):
    assert out in subjects, (out, sorted(subjects))
PY
exit 0
