# provfs run on the host environment builds this project's own sources:
# the manifest verifies, names gcc's binaries and stdio.h with their Debian
# packages, lists every source file read, and the build outputs as subjects.
. "$(dirname "$0")/lib.sh"
: "${SRCROOT:?}"
command -v meson >/dev/null || exit 77
S=$T/store
mkdir -p "$T/ws"
(cd "$SRCROOT" && git ls-files -z fs tools provenance | xargs -0 cp --parents -t "$T/ws")
cat >"$T/ws/build.sh" <<'EOT'
set -e
# a plain compile of every fs/ and provenance/ module, then link the tool
mkdir -p out
for f in fs/*.c provenance/*.c tools/*.c; do
	cc -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DPROVFS_VERSION='"test"' -Ifs -Iprovenance -Itools \
		$(pkg-config --cflags fuse3 jansson) -O0 -c "$f" -o "out/$(echo "$f" | tr / _).o"
done
cc -o out/provfs out/*.o $(pkg-config --libs fuse3 openssl sqlite3 jansson libcurl) -lpthread
EOT
cd "$T/ws"
"$PROVFS" run --store "$S" --out "$T/m.json" --quiet -- sh build.sh || fail "build failed"
[ -x "$T/ws/out/provfs" ] || fail "no binary"
"$PROVFS" verify --key "$S/keys/provfs.pub" --store "$S" "$T/m.json" "$T/ws/out/provfs" \
	"$T/ws/out/fs_cas.c.o" || fail "manifest does not verify"
python3 - "$T/m.json" "$T/ws" <<'PY' || fail "manifest content"
import base64, json, os, sys
env = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(env["payload"]))
pred = st["predicate"]
deps = pred["buildDefinition"]["resolvedDependencies"]
text = json.dumps(deps)
def dep(suffix):
    for d in deps:
        if d.get("uri", "").endswith(suffix) or d.get("name", "").endswith(suffix):
            return d
    return None
gcc = dep("x86_64-linux-gnu-gcc-12")
assert gcc and "gcc-12" in json.dumps(gcc), ("gcc with package", gcc)
cc1 = dep("/cc1")
assert cc1 and "cpp-12" in json.dumps(cc1), ("cc1 with package", cc1)
stdio = dep("/usr/include/stdio.h")
assert stdio and "libc6-dev" in json.dumps(stdio), ("stdio.h with package", stdio)
ws = sys.argv[2]
for root, _, files in os.walk(ws):
    for f in files:
        rel = os.path.relpath(os.path.join(root, f), ws)
        if rel.endswith(".c") or rel.endswith(".h"):
            if rel.startswith("tools/") and rel.endswith(".h") and False:
                continue
            assert rel in text, ("source not among inputs", rel)
names = [s["name"] for s in st["subject"]]
assert any(n.endswith("out/provfs") for n in names), names
assert any(n.endswith("fs_cas.c.o") for n in names), names
PY
exit 0
