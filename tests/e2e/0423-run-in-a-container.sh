# provfs run inside a container, as on a CI build slave that is one: with
# the FUSE device and CAP_SYS_ADMIN passed in (podman run --device
# /dev/fuse --cap-add SYS_ADMIN) the build runs and its manifest verifies
# outside; without either, one clear message says which is missing and
# what to add, before a store, key or mount is made.  The same checks
# outside a container: no /dev/fuse (a private, empty /dev), and root
# without CAP_SYS_ADMIN (setpriv), for provfs run and provfs mount.
. "$(dirname "$0")/lib.sh"
before=$(grep -c provfs /proc/mounts)
mkdir -p "$T/ws"
cd "$T/ws"
echo 'int main(void) { return 0; }' >main.c

# No FUSE device.
unshare -m sh -c 'mount -t tmpfs tmpfs /dev && exec "$0" run --store "$1" -- true' \
	"$PROVFS" "$T/store1" 2>"$T/err1"
assert_eq 2 "$?" "provfs run without /dev/fuse"
grep -q "there is no FUSE device /dev/fuse:.*--device /dev/fuse" "$T/err1" ||
	fail "message without /dev/fuse: $(cat "$T/err1")"
assert_eq 1 "$(wc -l <"$T/err1")" "lines of the message without /dev/fuse"
[ ! -e "$T/store1" ] || fail "a store was made for a run that could not start"

# Root without CAP_SYS_ADMIN.
setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$PROVFS" run --store "$T/store2" -- true 2>"$T/err2"
assert_eq 2 "$?" "provfs run without CAP_SYS_ADMIN"
grep -q "mounting needs CAP_SYS_ADMIN.*--cap-add SYS_ADMIN" "$T/err2" ||
	fail "message without CAP_SYS_ADMIN: $(cat "$T/err2")"
[ ! -e "$T/store2" ] || fail "a store was made for a run that could not start"
mkdir -p "$T/b" "$T/m"
setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$PROVFS" mount --store "$T/store2" --log "$T/log2.db" "$T/b" "$T/m" 2>"$T/err3"
assert_eq 2 "$?" "provfs mount without CAP_SYS_ADMIN"
grep -q "mounting needs CAP_SYS_ADMIN" "$T/err3" || fail "provfs mount's message: $(cat "$T/err3")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"

# A real container: podman with runc, its root the host's (copy-on-write
# overlay, so the container sees this build of provfs), $T shared.
command -v podman >/dev/null && command -v runc >/dev/null || fail "podman and runc are needed (tools/setup.sh installs them)"
in_container() { # PODMAN-OPTIONS... -- SHELL-COMMAND
	opts=""
	while [ "$1" != -- ]; do
		opts="$opts $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	timeout 300 podman --runtime runc run --rm --network none \
		--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096 \
		-v "$T:$T" -w "$T/ws" -e "PROVFS=$PROVFS" -e "T=$T" $opts --rootfs /:O sh -c "$1"
}
# with_cap CAP|none SHELL-COMMAND: in_container with the FUSE device,
# CAP_SYS_ADMIN, and CAP unless none
with_cap() {
	if [ "$1" = none ]; then
		in_container --device /dev/fuse --cap-add SYS_ADMIN -- "$2"
	else
		in_container --device /dev/fuse --cap-add SYS_ADMIN --cap-add "$1" -- "$2"
	fi
}
in_container --device /dev/fuse --cap-add SYS_ADMIN -- \
	'"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- cc -o main main.c; echo "rc=$?"' \
	>"$T/out4" 2>"$T/err4"
grep -qx "rc=0" "$T/out4" || fail "provfs run in a container: $(cat "$T/out4" "$T/err4")"
[ -x "$T/ws/main" ] || fail "the build's output is not in the workspace"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" --succeeded "$T/m.json" "$T/ws/main" >/dev/null ||
	fail "the container's manifest does not verify here with its output"
# A file and a directory beside the workspace, on a bind mount under the
# container's root (an overlay, with no file handles), read through the
# slave's root: that filesystem's handles open as EPERM without
# CAP_DAC_READ_SEARCH, so the root's daemon reaches its files by path.
# Before: "Operation not permitted" (and gnulib's getcwd, which reads each
# directory up to /, failed the same way).
# (Not $T itself, which may lie under /tmp: the slave has its own.)
mkdir -p "$T/vol"
printf 'beside\n' >"$T/vol/beside"
in_container --device /dev/fuse --cap-add SYS_ADMIN -v "$T/vol:/opt/provfs-e2e-vol" -- \
	'"$PROVFS" run --store "$T/store" --quiet --out "$T/m7.json" -- sh -c "cat /opt/provfs-e2e-vol/beside && ls /opt/provfs-e2e-vol >/dev/null"; echo "rc=$?"' \
	>"$T/out8" 2>"$T/err8"
grep -qx beside "$T/out8" && grep -qx "rc=0" "$T/out8" ||
	fail "a file beside the workspace, in a container: $(cat "$T/out8" "$T/err8")"
# The slave's loopback interface comes up only with CAP_NET_ADMIN, which
# containers withhold by default: without it provfs run says so (and the
# build cannot connect to a server of its own on 127.0.0.1); with it, it
# can, and nothing is said.  Before, nothing was said either way.
cat >lo.py <<'PY'
import socket
s = socket.create_server(("127.0.0.1", 0))
socket.create_connection(s.getsockname(), timeout=5).close()
PY
for cap in none NET_ADMIN; do
	with_cap $cap '"$PROVFS" run --store "$T/store" --out "$T/m9.json" -- python3 lo.py; echo "rc=$?"' \
		>"$T/out9" 2>"$T/err9"
	if [ $cap = none ]; then
		grep -q "warning: this process lacks CAP_NET_ADMIN" "$T/err9" ||
			fail "no word of the slave's loopback: $(cat "$T/out9" "$T/err9")"
		! grep -qx "rc=0" "$T/out9" || fail "loopback without CAP_NET_ADMIN: $(cat "$T/out9")"
	else
		grep -qx "rc=0" "$T/out9" || fail "loopback with CAP_NET_ADMIN: $(cat "$T/out9" "$T/err9")"
		! grep -q "CAP_NET_ADMIN" "$T/err9" || fail "a warning with CAP_NET_ADMIN: $(cat "$T/err9")"
	fi
done
# In the container the kernel's process events go to no daemon: the
# mounts learn of each other's execs through their exec ring, so sed's read
# of in (the shell's child became sed, from the root, after it opened out
# in the workspace) is sed's, not bash's.
printf 'hello\n' >in
in_container --device /dev/fuse --cap-add SYS_ADMIN -- \
	'"$PROVFS" run --store "$T/store" --quiet --out "$T/m5.json" -- bash -c "bash -c \"sed s/hello/bye/ in >out; true\""; echo "rc=$?"' \
	>"$T/out5" 2>"$T/err5"
grep -qx "rc=0" "$T/out5" || fail "bash and sed in a container: $(cat "$T/out5" "$T/err5")"
python3 - "$T/m5.json" <<'PY' || fail "who read in, in a container"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [r for d in st["predicate"]["runDetails"]["byproducts"] if d.get("name") == "process-tree"
         for r in d["annotations"]["processes"]]
sed = [r for r in procs if r["argv"][:1] == ["sed"]]
assert len(sed) == 1 and "workspace" in sed[0]["mounts"], sed
PY
# --user: without CAP_SYS_PTRACE the daemons cannot read another user's
# /proc/PID/exe: a warning says so, and provfs show still lists each
# program once (its records on other mounts have its arguments, and the
# program the exec ring named, or none; a forked child's record before
# its exec has no program where its parent's names one); with it, the
# records name the programs.
mkdir -p "$T/ws2"
cp main.c "$T/ws2/"
chown -R 65534:65534 "$T/ws2"
for cap in none SYS_PTRACE; do
	with_cap $cap 'cd ../ws2 && "$PROVFS" run --user nobody --store "$T/store" --out "$T/u.json" -- sh -c "cc -o main main.c && cat main.c"; echo "rc=$?"' \
		>"$T/out7" 2>"$T/err7"
	grep -qx "rc=0" "$T/out7" || fail "--user in a container ($cap): $(cat "$T/out7" "$T/err7")"
	if [ $cap = none ]; then
		grep -q "warning: this process lacks CAP_SYS_PTRACE" "$T/err7" ||
			fail "no warning without CAP_SYS_PTRACE: $(cat "$T/err7")"
	else
		! grep -q "CAP_SYS_PTRACE" "$T/err7" || fail "a warning with CAP_SYS_PTRACE: $(cat "$T/err7")"
		python3 - "$T/u.json" <<'PY' || fail "--user records with CAP_SYS_PTRACE do not name the programs"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [r for d in st["predicate"]["runDetails"]["byproducts"] if d.get("name") == "process-tree"
         for r in d["annotations"]["processes"]]
cats = [r for r in procs if r["argv"] == ["cat", "main.c"]]
assert cats and all(r["exe"] == "/usr/bin/cat" for r in cats), cats
PY
	fi
	"$PROVFS" show "$T/u.json" >"$T/show7.all" || fail "provfs show"
	sed -n "/^process tree/,/^[a-z]/p" "$T/show7.all" >"$T/show7"
	assert_eq 1 "$(grep -c '^ *[0-9]* cc -o main main.c$' "$T/show7")" "provfs show's lines for cc ($cap)"
	assert_eq 1 "$(grep -c '^ *[0-9]* cat main.c$' "$T/show7")" "provfs show's lines for cat ($cap)"
done
"$PROVFS" verify --key "$T/store/keys/provfs.pub" --succeeded "$T/u.json" "$T/ws2/main" >/dev/null ||
	fail "the --user build's manifest does not verify"

in_container --device /dev/fuse -- '"$PROVFS" run --store "$T/store5" -- true; echo "rc=$?"' \
	>"$T/out5" 2>"$T/err5"
grep -qx "rc=2" "$T/out5" || fail "provfs run in a container without SYS_ADMIN: $(cat "$T/out5" "$T/err5")"
grep -q "mounting needs CAP_SYS_ADMIN" "$T/err5" || fail "message in a container: $(cat "$T/err5")"
in_container --cap-add SYS_ADMIN -- '"$PROVFS" run --store "$T/store5" -- true; echo "rc=$?"' \
	>"$T/out6" 2>"$T/err6"
grep -qx "rc=2" "$T/out6" || fail "provfs run in a container without /dev/fuse: $(cat "$T/out6" "$T/err6")"
grep -q "there is no FUSE device" "$T/err6" || fail "message in a container: $(cat "$T/err6")"
[ ! -e "$T/store5" ] || fail "a store was made for a run that could not start"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
