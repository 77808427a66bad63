# An environment imported into the store is a tree digest; provfs run
# --env gives a slave with exactly that root, every time, and the manifest
# names the digest.  A corrupt object, an unknown environment or a hostile
# tree object is a clear error that leaves nothing mounted.  An empty
# --env (an unset variable in a script) names no environment, though one
# imported without --name is there.  A device or FIFO is no root to
# import (it unpacked as an empty root, or hung), and a hostile or cut
# tarball is refused by tar, with nothing stored or written outside.
. "$(dirname "$0")/lib.sh"
S=$T/store
R=$T/rootfs
# a tiny root: dash, cat and their libraries
tiny_root "$R" /bin/sh /bin/cat /bin/ls
echo 'ID=tiny' >"$R/etc/os-release"
D=$("$PROVFS" env --store "$S" --quiet import --name tiny "$R") || fail "import"
[ ${#D} -eq 64 ] || fail "digest '$D'"
"$PROVFS" env --store "$S" ls | grep -q "$D" || fail "env ls"
"$PROVFS" env --store "$S" show tiny | grep -q "files:" || fail "env show"
mkdir -p "$T/ws"
cd "$T/ws"
for i in 1 2; do
	"$PROVFS" run --store "$S" --env tiny --quiet --out "$T/m$i.json" -- \
		sh -c 'cat /etc/os-release >out.txt; ls / >>out.txt; echo x >/tmp/scratch' ||
		fail "run $i in the environment"
done
grep -q ID=tiny "$T/ws/out.txt" || fail "not the environment's root: $(cat "$T/ws/out.txt")"
grep -q pyenv "$T/ws/out.txt" && fail "host files visible in the slave"
for i in 1 2; do
	python3 - "$T/m$i.json" "$D" <<'PY' || fail "manifest $i does not name the environment"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
assert sys.argv[2] in json.dumps(st["predicate"]["buildDefinition"]["resolvedDependencies"])
PY
done
before=$(grep -c provfs /proc/mounts)
# an unknown environment
"$PROVFS" run --store "$S" --env nosuchenv --quiet -- true 2>"$T/err"
assert_eq 2 "$?" "unknown environment"
grep -q "no environment" "$T/err" || fail "message: $(cat "$T/err")"
# a corrupt object: materialising again must refuse it
obj=$("$PROVFS" store --store "$S" path "$(sha "$R/etc/os-release")")
chmod u+w "$obj"
echo 'ID=evil' >"$obj"
rm -rf "$S/envs/$D"
"$PROVFS" run --store "$S" --env "$D" --quiet -- true 2>"$T/err2"
assert_eq 2 "$?" "corrupt environment"
grep -q "environment '$D' cannot be made from the store: the object of its file /etc/os-release ($(sha "$R/etc/os-release")) is damaged" "$T/err2" ||
	fail "message: $(cat "$T/err2")"
[ -e "$S/envs/$D/root" ] && fail "a corrupt environment was materialised"
# A missing object is named as missing; importing the tree again restores
# it, and put of the damaged file repairs that: each as the message says.
lsobj=$("$PROVFS" store --store "$S" path "$(sha "$R/bin/ls")")
rm -f "$lsobj"
"$PROVFS" run --store "$S" --env "$D" --quiet -- true 2>"$T/err2"
assert_eq 2 "$?" "environment with a missing object"
grep -q "the object of its file /bin/ls ($(sha "$R/bin/ls")) is missing from the store (import the same tree again" "$T/err2" ||
	fail "message: $(cat "$T/err2")"
"$PROVFS" env --store "$S" --quiet import "$R" >/dev/null || fail "import again"
[ -f "$lsobj" ] || fail "importing again did not restore the missing object"
"$PROVFS" store --store "$S" put "$R/etc/os-release" >/dev/null 2>&1 || fail "put of the damaged file"
"$PROVFS" run --store "$S" --env "$D" --quiet -- /bin/sh -c : 2>"$T/err2" || fail "run after the repairs: $(cat "$T/err2")"
rm -rf "$S/envs/$D"
chmod u+w "$obj"
echo 'ID=evil' >"$obj"
# a hostile tree object
printf 'provfs-tree 1\nd 0755 0 0 0 - .\nf 0644 0 0 1 %s ../../escape\n' "$(sha "$R/bin/sh")" >"$T/evil.tree"
E=$("$PROVFS" store --store "$S" put "$T/evil.tree")
"$PROVFS" run --store "$S" --env "$E" --quiet -- true 2>"$T/err3"
assert_eq 2 "$?" "hostile tree"
[ -e "$T/../escape" ] && fail "hostile path written"
# a tree listing one path twice: malformed, not "several environments"
printf 'provfs-tree 1\nd 0755 0 0 0 - .\nf 0755 0 0 %s %s a\nf 0755 0 0 %s %s a\n' \
	"$(stat -c %s "$R/bin/sh")" "$(sha "$R/bin/sh")" "$(stat -c %s "$R/bin/sh")" "$(sha "$R/bin/sh")" >"$T/dup.tree"
E=$("$PROVFS" store --store "$S" put "$T/dup.tree")
"$PROVFS" run --store "$S" --env "$E" --quiet -- true 2>"$T/err6"
assert_eq 2 "$?" "tree with a duplicate entry"
grep -q "cannot be made from the store: its tree object $E is no valid tree" "$T/err6" || fail "message: $(cat "$T/err6")"
[ ! -e "$S/envs/$E" ] || fail "an empty environment directory was left: $(ls -la "$S/envs/$E")"
# Hostile and damaged tarballs: a member under a symlink that leads out,
# a member named with "..", an absolute one, one cut short.  tar refuses
# them; nothing is written outside, nothing stored, and the error says tar
# could not unpack it (was "Input/output error").
mkdir -p "$T/evil/r" "$T/evil/x/lib" "$T/evil-target"
ln -s "$T/evil-target" "$T/evil/r/lib"
echo pwned >"$T/evil/x/lib/pw"
tar -C "$T/evil/r" -cf "$T/evil/link.tar" lib && tar -C "$T/evil/x" -rf "$T/evil/link.tar" lib/pw
python3 - "$T/evil/names.tar" "$T" <<'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
for name in ("../../../../../../../.." + sys.argv[2] + "/evil-dotdot", sys.argv[2] + "/evil-abs"):
    i = tarfile.TarInfo(name); i.size = 6; t.addfile(i, io.BytesIO(b"pwned\n"))
t.close()
PY
head -c 3000 "$T/evil/link.tar" >"$T/evil/cut.tar"
envs_before=$("$PROVFS" env --store "$S" ls | wc -l)
for bad in link names cut; do
	"$PROVFS" env --store "$S" --quiet import "$T/evil/$bad.tar" 2>"$T/err7"
	assert_eq 2 "$?" "env import of $bad.tar"
	grep -q "tar could not unpack it (see its messages above); nothing was stored" "$T/err7" ||
		fail "message for $bad.tar: $(cat "$T/err7")"
done
[ -z "$(ls -A "$T/evil-target")" ] || fail "a member was written through the symlink"
[ ! -e "$T/evil-dotdot" ] && [ ! -e "$T/evil-abs" ] || fail "a member was written outside"
assert_eq "$envs_before" "$("$PROVFS" env --store "$S" ls | wc -l)" "environments after refused imports"
mkfifo "$T/fifo"
for bad in /dev/zero "$T/fifo"; do
	timeout 60 "$PROVFS" env --store "$S" --quiet import "$bad" 2>"$T/err5"
	assert_eq 2 "$?" "env import $bad"
	grep -q "neither a directory nor a tarball" "$T/err5" || fail "message: $(cat "$T/err5")"
done
"$PROVFS" env --store "$T/st-noname" --quiet import "$R" >/dev/null || fail "import without --name"
"$PROVFS" env --store "$T/st-noname" show "" >/dev/null 2>&1
assert_eq 2 "$?" "env show ''"
"$PROVFS" run --store "$T/st-noname" --env "" --quiet -- true 2>"$T/err4"
assert_eq 2 "$?" "run --env ''"
grep -q "no environment ''" "$T/err4" || fail "message: $(cat "$T/err4")"
# A name given to a changed tree again (a definition built again) names
# the newest; importing the first again makes it the newest.
mkdir -p "$T/named"
cp -a "$R/." "$T/named/"
echo 1 >"$T/named/v"
n1=$("$PROVFS" env --store "$T/st-named" --quiet import --name tools "$T/named") || fail "import n1"
echo 2 >"$T/named/v"
n2=$("$PROVFS" env --store "$T/st-named" --quiet import --name tools "$T/named") || fail "import n2"
[ "$n1" != "$n2" ] || fail "the two trees have one digest"
"$PROVFS" env --store "$T/st-named" show tools >"$T/show" 2>&1 || fail "env show tools: $(cat "$T/show")"
grep -q "^environment $n2" "$T/show" || fail "tools after the second import: $(head -1 "$T/show")"
echo 1 >"$T/named/v"
"$PROVFS" env --store "$T/st-named" --quiet import --name tools "$T/named" >/dev/null || fail "import n1 again"
"$PROVFS" env --store "$T/st-named" show tools >"$T/show" 2>&1 || fail "env show tools: $(cat "$T/show")"
grep -q "^environment $n1" "$T/show" || fail "tools after n1 again: $(head -1 "$T/show")"
# A name of hex digits that is also a prefix of another environment's
# digest names neither.
p8=$(printf %s "$n2" | cut -c1-8)
"$PROVFS" env --store "$T/st-named" --quiet import --name "$p8" "$R" >/dev/null || fail "import named $p8"
"$PROVFS" env --store "$T/st-named" show "$p8" >/dev/null 2>"$T/err8"
assert_eq 2 "$?" "env show of a prefix that is also a name"
grep -q "matches several environments" "$T/err8" || fail "message: $(cat "$T/err8")"
# With --env, the workspace's parent is the environment's "/": a failed
# write beside the workspace there gets its hint.
here=$PWD
mkdir -p "$T/proj" && cd "$T/proj"
"$PROVFS" run --store "$T/st-named" --env tools --quiet --json -- /bin/sh -c 'echo x >../artifact.txt' \
	>"$T/hint.json" 2>/dev/null
grep -q "the build looked for /artifact.txt, outside it" "$T/hint.json" || fail "no hint: $(cat "$T/hint.json")"
grep -q "names /usr/bin" "$T/hint.json" && fail "a hint about the program's host path: $(cat "$T/hint.json")"
cd "$here"
# A --workdir the environment has as a file says so.
"$PROVFS" run --store "$T/st-named" --env tools --quiet --workdir /v/x -- /bin/sh -c : 2>"$T/err7"
assert_eq 2 "$?" "a --workdir under a file of the environment"
grep -q "cannot use workdir '/v/x' in the environment: it, or a directory on its way, is a file there" \
	"$T/err7" || fail "message: $(cat "$T/err7")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
exit 0
