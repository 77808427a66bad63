# A failed build that tried to write beside its workspace (dpkg-deb
# --build pkg .., as dpkg-buildpackage does: the .deb files go to the
# source tree's parent) ends with a hint naming the path and the
# --workspace that holds it; with that workspace the build succeeds and
# the .deb is a subject of the manifest.  Upward searches (the same name
# looked up in several directories on the way up, as git and autoconf
# do), look-ups in "/" and failed builds that never looked beside the
# workspace get no such hint.  Of a HOME and a beside-the-workspace
# look-up (with --home host), the later is named.
. "$(dirname "$0")/lib.sh"
# Not under /tmp: there the workspace's parent is the slave's own /tmp.
P=$(mktemp -d /srv/provfs-e2e-beside.XXXXXX 2>/dev/null) || exit 77
H=$(mktemp -d /srv/provfs-e2e-home.XXXXXX) || exit 77
trap 'rm -rf "$P" "$H"; cleanup' EXIT
mkdir -p "$P/ws/pkg/DEBIAN"
printf 'Package: x\nVersion: 1\nArchitecture: all\nMaintainer: a <a@example.org>\nDescription: x\n' \
	>"$P/ws/pkg/DEBIAN/control"
cd "$P/ws"

HOME=$H "$PROVFS" run --store "$T/store" --out "$T/m1.json" -- dpkg-deb --build pkg .. 2>"$T/err1"
[ $? -ne 0 ] || fail "dpkg-deb wrote beside the workspace"
[ ! -e "$P/x_1_all.deb" ] || fail "the .deb reached the host beside the workspace"
grep -q "^provfs: hint: only the workspace ($P/ws) and /tmp are writable in the slave; the build looked for $P/x_1_all.deb, outside it: .*provfs run --workspace $P \.\.\. " "$T/err1" ||
	fail "no hint naming the .deb and --workspace: $(cat "$T/err1")"

# A build directory made beside the sources (cmake -B ../build).
HOME=$H "$PROVFS" run --store "$T/store" -- mkdir ../build-dir 2>"$T/err1b"
[ $? -ne 0 ] || fail "mkdir beside the workspace succeeded"
grep -q "^provfs: hint: .*the build looked for $P/build-dir, outside it: .*--workspace $P \.\.\. " "$T/err1b" ||
	fail "no hint naming the build directory: $(cat "$T/err1b")"
# -q keeps the hint (CI jobs run quiet; it was dropped with the progress)
HOME=$H "$PROVFS" run -q --store "$T/store" -- mkdir ../build-dir-q 2>"$T/err1q"
[ $? -ne 0 ] || fail "mkdir beside the workspace succeeded (-q)"
grep -q "^provfs: hint: .*the build looked for $P/build-dir-q, outside it" "$T/err1q" ||
	fail "no hint with -q: $(cat "$T/err1q")"

# --json carries the hints.
HOME=$H "$PROVFS" run --store "$T/store" --json -- mkdir ../build-dir >"$T/run1c.json" 2>/dev/null
python3 - "$T/run1c.json" "$P/build-dir" <<'PY' || fail "hints in --json: $(cat "$T/run1c.json")"
import json, sys
h = json.load(open(sys.argv[1]))["hints"]
assert len(h) == 1 and "the build looked for %s, outside it" % sys.argv[2] in h[0], h
PY
HOME=$H "$PROVFS" run --store "$T/store" --json -- true >"$T/run1d.json" 2>/dev/null
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["hints"] == []' "$T/run1d.json" ||
	fail "hints after a build that succeeded: $(cat "$T/run1d.json")"

# With the workspace that holds it, from the same directory.
HOME=$H "$PROVFS" run --store "$T/store" --workspace "$P" --out "$T/m2.json" -- dpkg-deb --build pkg .. 2>"$T/err2"
assert_eq 0 "$?" "dpkg-deb with --workspace $P: $(cat "$T/err2")"
[ -f "$P/x_1_all.deb" ] || fail "no .deb beside the sources"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" "$T/m2.json" "$P/x_1_all.deb" >/dev/null ||
	fail "the .deb is not a verified subject of its manifest"
rm -f "$P/x_1_all.deb"

# Upward searches, "/" and the workspace's own top: no hint.
HOME=$H "$PROVFS" run --store "$T/store" -- sh -c '
	for d in . .. ../..; do [ -e "$d/marker.cfg" ]; done
	[ -e ../.vcs ]; [ -e ./.vcs ]
	[ -e /no-such-root-entry ]
	exit 3' 2>"$T/err3"
assert_eq 3 "$?" "a build searching upwards"
! grep -q "hint:" "$T/err3" || fail "a hint for upward searches: $(cat "$T/err3")"
HOME=$H "$PROVFS" run --store "$T/store" -- sh -c 'exit 4' 2>"$T/err4"
assert_eq 4 "$?" "a build failing without looking beside the workspace"
! grep -q "hint:" "$T/err4" || fail "a hint for a build that looked nowhere: $(cat "$T/err4")"

# The later of a look-up under HOME and one beside the workspace.
HOME=$H "$PROVFS" run --store "$T/store" --home host -- sh -c '[ -e "$HOME/.toolrc" ]; [ -e ../out.tar ]; exit 5' 2>"$T/err5"
assert_eq 5 "$?" "HOME, then beside"
grep -q "^provfs: hint: only the workspace.*looked for $P/out.tar, outside it" "$T/err5" ||
	fail "HOME then beside: $(cat "$T/err5")"
HOME=$H "$PROVFS" run --store "$T/store" --home host -- sh -c '[ -e ../out2.tar ]; [ -e "$HOME/.toolrc2" ]; exit 6' 2>"$T/err6"
assert_eq 6 "$?" "beside, then HOME"
grep -q "^provfs: hint: the slave's HOME ($H) is read-only.*it looked at $H/.toolrc2)" "$T/err6" ||
	fail "beside then HOME: $(cat "$T/err6")"
[ "$(grep -c "hint:" "$T/err6")" = 1 ] || fail "more than one hint: $(cat "$T/err6")"

# In an environment, with the workspace at /srv/w in the slave: the path
# is the slave's, and there is no host directory to offer.
tiny_root "$T/rootfs" /bin/sh
mkdir -p "$T/rootfs/srv"
"$PROVFS" env --store "$T/store" --quiet import --name tiny "$T/rootfs" >/dev/null || fail "import"
"$PROVFS" run --store "$T/store" --env tiny --workdir /srv/w -- sh -c ': >../made.out' 2>"$T/err7"
[ $? -ne 0 ] || fail "a write beside the workdir succeeded"
grep -q "^provfs: hint: only the workspace (/srv/w in the slave) .*looked for /srv/made.out, outside it: .*put the sources one directory down in the workspace" "$T/err7" ||
	fail "hint in an environment: $(cat "$T/err7")"
exit 0
