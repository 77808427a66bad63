# Name resolution in the slave.  With --net the slave resolves names as
# the host does, also where its /etc/resolv.conf leads into /run (as
# systemd-resolved's "../run/systemd/resolve/stub-resolv.conf" does on
# Ubuntu), which the slave's empty /run would leave dangling: the file is
# made there with the host's /etc/resolv.conf; where it is a file, the
# host's covers it.  Without --net, a lookup
# that asks a nameserver on loopback (127.0.0.53, or 127.0.0.1 where
# resolv.conf names none) gets no answer in the slave's own loopback and
# counts as no unrouted packet: a failed build that tried one ends with a
# hint that names the nameserver and --net.
. "$(dirname "$0")/lib.sh"
command -v getent >/dev/null || exit 77
[ -r /etc/resolv.conf ] || exit 77
S=$T/store
R=$T/stub
tiny_root "$R" /bin/sh /bin/cat /usr/bin/getent
mkdir -p "$R/run"
ln -s ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
"$PROVFS" env --store "$S" --quiet import --name stub "$R" >/dev/null || fail "import stub"
R2=$T/local
tiny_root "$R2" /bin/sh /bin/cat /usr/bin/getent
echo "nameserver 127.0.0.53" >"$R2/etc/resolv.conf"
"$PROVFS" env --store "$S" --quiet import --name local "$R2" >/dev/null || fail "import local"
mkdir -p "$T/ws"
cd "$T/ws"

# --net: the link resolves to the host's resolver configuration.
"$PROVFS" run --store "$S" --env stub --net --quiet --out "$T/m1.json" -- \
	cat /etc/resolv.conf >"$T/net.out" 2>"$T/net.err" ||
	fail "--net: no /etc/resolv.conf in the slave: $(cat "$T/net.err")"
cmp -s "$T/net.out" /etc/resolv.conf || fail "--net: not the host's resolv.conf: $(cat "$T/net.out")"
# An environment's own resolv.conf file (of the machine that built it, or
# emptied by env build) is covered by the host's with --net, not changed.
"$PROVFS" run --store "$S" --env local --net --quiet --out "$T/m1b.json" -- \
	cat /etc/resolv.conf >"$T/net2.out" 2>"$T/net2.err" || fail "--net with a file: $(cat "$T/net2.err")"
cmp -s "$T/net2.out" /etc/resolv.conf || fail "--net: the environment's resolv.conf: $(cat "$T/net2.out")"
assert_eq "nameserver 127.0.0.53" "$(cat "$R2/etc/resolv.conf")" "the environment's source resolv.conf"
# A root whose /run is itself a link to /run (not hidden: it leads to the
# slave's own /run, empty) gets no file made through it: the host's /run
# is not written.
R3=$T/runlink
tiny_root "$R3" /bin/sh /bin/cat
rmdir "$R3/run"
ln -s /run "$R3/run"
name=provfs-e2e-0429-$$
ln -s "../run/$name/resolv.conf" "$R3/etc/resolv.conf"
"$PROVFS" env --store "$S" --quiet import --name runlink "$R3" >/dev/null || fail "import runlink"
"$PROVFS" run --store "$S" --env runlink --net --quiet --out "$T/m0.json" -- sh -c 'exit 0' ||
	fail "--net with /run a link"
[ -e "/run/$name" ] && { rm -rf "/run/$name"; fail "the host's /run was written"; }
# Without --net the link dangles (the slave's /run is empty), and nothing
# is left in the environment.
"$PROVFS" run --store "$S" --env stub --quiet --out "$T/m2.json" -- \
	cat /etc/resolv.conf >/dev/null 2>&1 && fail "without --net: a resolv.conf in the slave"
[ -e "$R/run/systemd" ] && fail "the environment's source directory was written"

# Without --net: a lookup with no nameserver named asks 127.0.0.1.
"$PROVFS" run --store "$S" --env stub --out "$T/m3.json" -- \
	sh -c 'getent hosts deb.debian.org; exit 3' >/dev/null 2>"$T/err3"
assert_eq 3 "$?" "a failed lookup's build"
grep -q "^provfs: hint: name lookups may have failed: the slave's resolver asks 127.0.0.1 (/etc/resolv.conf names no nameserver), on a loopback .* UDP datagrams\{0,1\} found no listener there; .*run it with --net\$" "$T/err3" ||
	fail "no name lookup hint: $(cat "$T/err3")"
grep -q "hint: the build tried to reach the network" "$T/err3" &&
	fail "a loopback lookup counted as unrouted: $(cat "$T/err3")"
# One that names a loopback nameserver (--json: the hints are there).
"$PROVFS" run --store "$S" --env local --json --out "$T/m4.json" -- \
	sh -c 'getent hosts deb.debian.org; exit 4' >"$T/run4.json" 2>"$T/err4"
assert_eq 4 "$?" "a failed lookup's build (127.0.0.53)"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert any(h.startswith("name lookups may have failed: the slave\x27s resolver asks "
                        "127.0.0.53 (the nameserver of /etc/resolv.conf)")
           for h in j["hints"]), j["hints"]
assert j["unrouted"] == 0, j' "$T/run4.json" || fail "--json: $(cat "$T/run4.json")"
# No lookup, no hint, though the build failed.
"$PROVFS" run --store "$S" --env local --out "$T/m5.json" -- sh -c 'exit 5' 2>"$T/err5"
assert_eq 5 "$?" "a failed build without lookups"
grep -q "hint: name lookups" "$T/err5" && fail "a lookup hint without lookups: $(cat "$T/err5")"
# provfs reads the nameserver itself, from outside the slave: a build that
# read no resolv.conf has none among its inputs (the slave's init read it
# through the root's mount, and every manifest without --net listed it).
for m in m5 m0; do
	python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
names = [d.get("name") for d in s["predicate"]["buildDefinition"]["resolvedDependencies"]]
assert "/etc/resolv.conf" not in names, names' "$T/$m.json" || fail "$m: /etc/resolv.conf is an input"
done
python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
names = [d.get("name") for d in s["predicate"]["buildDefinition"]["resolvedDependencies"]]
assert "/etc/resolv.conf" in names, names' "$T/m4.json" || fail "m4: getent read /etc/resolv.conf, no input"
exit 0
