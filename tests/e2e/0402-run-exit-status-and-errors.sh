# A failing build's status becomes provfs's and it still gets a manifest
# that says it failed; a missing command or environment is a clear error,
# leaves nothing mounted and no process behind.  With --json, standard
# output is the summary object alone.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$T/store" --quiet --out "$T/fail.json" -- sh -c 'echo partial >out.txt; exit 7'
assert_eq 7 "$?" "exit status of a failing build"
python3 - "$T/fail.json" <<'PY' || fail "manifest of the failed build"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
assert "7" in json.dumps(st["predicate"]["runDetails"]), st["predicate"]["runDetails"]
PY
# --json: the summary object is all of standard output; what COMMAND
# writes there goes to standard error
"$PROVFS" run --store "$T/store" --quiet --json -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 3' \
	>"$T/sum.json" 2>"$T/sum.err"
assert_eq 3 "$?" "exit status with --json"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["exit_status"] == 3, d' \
	"$T/sum.json" || fail "--json: standard output is not one summary object: $(cat "$T/sum.json")"
grep -qx to-stdout "$T/sum.err" && grep -qx to-stderr "$T/sum.err" ||
	fail "--json: COMMAND's output is not on standard error: $(cat "$T/sum.err")"
before=$(grep -c provfs /proc/mounts)
"$PROVFS" run --store "$T/store" --quiet -- no-such-command-xyz 2>"$T/err"
assert_eq 127 "$?" "missing command"
grep -q "cannot run 'no-such-command-xyz'" "$T/err" || fail "message: $(cat "$T/err")"
# a script beside the workspace is not in the slave: said so, and no hint
# about a read-only HOME, which has nothing to do with it
printf '#!/bin/sh\nexit 0\n' >"$T/outside.sh"
chmod +x "$T/outside.sh"
HOME=/root "$PROVFS" run --store "$T/store" -- ../outside.sh 2>"$T/err5"
assert_eq 127 "$?" "command outside the workspace"
grep -q "cannot run '../outside.sh': No such file or directory in the slave, which has the workspace at '$T/ws'" \
	"$T/err5" || fail "message: $(cat "$T/err5")"
! grep -q "hint:" "$T/err5" || fail "a hint for a command that never started: $(cat "$T/err5")"
# a script in the workspace whose interpreter is missing (DOS line ends)
# names the interpreter, not the script, as what the slave lacks
printf '#!/bin/sh\r\nexit 0\r\n' >crlf.sh
chmod +x crlf.sh
"$PROVFS" run --store "$T/store" --quiet -- ./crlf.sh 2>"$T/err7"
assert_eq 127 "$?" "a script with DOS line ends"
grep -q "cannot run './crlf.sh': its interpreter '/bin/sh\\\\r' is not in the slave's root (the script has DOS line ends" \
	"$T/err7" || fail "message: $(cat "$T/err7")"
rm -f crlf.sh
# a script beside the workspace as an argument: the command starts and
# fails; the hint names the argument, and not HOME
case "$(realpath "$T")" in
/tmp/* | /var/tmp/*)
	HOME=/root "$PROVFS" run --store "$T/store" -- sh ../outside.sh 2>"$T/err6"
	assert_eq 2 "$?" "sh of a script outside the workspace"
	grep -q "hint: '../outside.sh' names $(realpath "$T")/outside.sh on the host, which the slave does not have: its /tmp and /var/tmp are its own" \
		"$T/err6" || fail "no hint for the argument: $(cat "$T/err6")"
	! grep -q "HOME" "$T/err6" || fail "a HOME hint beside the argument's: $(cat "$T/err6")"
	# each such argument is named, however many
	for i in 1 2 3 4 5; do echo true >"$T/out$i.sh"; done
	"$PROVFS" run --store "$T/store" -- sh ../out1.sh ../out2.sh ../out3.sh ../out4.sh \
		../out5.sh 2>"$T/err6b"
	assert_eq 5 "$(grep -c "^provfs: hint: '../out[1-5].sh' names" "$T/err6b")" \
		"hints for five arguments the slave lacks"
	;;
esac
# an absolute name of a workspace file, with the workspace elsewhere in the slave
printf 'exit 4\n' >"$T/ws/four.sh"
wd=$(for d in /srv /mnt /opt; do [ -d $d ] && echo $d && break; done)
"$PROVFS" run --store "$T/store" --workdir "$wd" -- sh "$T/ws/four.sh" 2>"$T/err7"
assert_eq 2 "$?" "sh of the workspace's absolute host path at another workdir"
grep -q "hint: '$T/ws/four.sh' names .* on the host, which the slave does not have: the workspace is at $wd in it" \
	"$T/err7" || fail "no hint for the moved workspace: $(cat "$T/err7")"
"$PROVFS" run --store "$T/store" --quiet --workdir "$wd" -- sh four.sh 2>"$T/err7"
assert_eq 4 "$?" "sh of a workspace script by its relative name at another workdir"
! grep -q "hint:" "$T/err7" || fail "a hint for a relative name the slave has: $(cat "$T/err7")"
rm "$T/ws/four.sh"
"$PROVFS" run --store "$T/store" --quiet --env 0000000000000000000000000000000000000000000000000000000000000000 -- true 2>"$T/err2"
assert_eq 2 "$?" "missing environment"
grep -q "no environment" "$T/err2" || fail "message: $(cat "$T/err2")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
# a store inside the workspace would show the build its signing key
"$PROVFS" run --store "$T/ws/.store" --quiet -- true 2>"$T/err4"
assert_eq 2 "$?" "store inside the workspace"
grep -q "lies inside the workspace" "$T/err4" || fail "message: $(cat "$T/err4")"
[ ! -e "$T/ws/.store" ] || fail "a store was left in the workspace"
# not root: said at once, before a store, key or build directory is made
if command -v setpriv >/dev/null; then
	chmod 1777 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PROVFS" run --store "$T/nobody-store" -- true 2>"$T/err3"
	assert_eq 2 "$?" "provfs run as a user"
	grep -q "provfs run must be run as root" "$T/err3" || fail "message: $(cat "$T/err3")"
	[ ! -e "$T/nobody-store" ] || fail "a store was created for a run that could not start"
fi
# a workdir where the slave has filesystems of its own, or one the host's
# read-only root lacks: refused before anything is mounted
for wd in /proc /dev/x /run /; do
	"$PROVFS" run --store "$T/store" --quiet --workdir "$wd" -- true 2>"$T/err4"
	assert_eq 2 "$?" "--workdir $wd"
	grep -q "workdir cannot be" "$T/err4" || fail "--workdir $wd: $(cat "$T/err4")"
done
"$PROVFS" run --store "$T/store" --quiet --workdir "/no-such-dir-$$" -- true 2>"$T/err4"
assert_eq 2 "$?" "--workdir missing on the host root"
grep -q "is no directory of the host's root" "$T/err4" || fail "message: $(cat "$T/err4")"
# a workdir with '..' (/usr/../proc is /proc, whose place the workspace
# took: the slave's init then read the build's own /proc), or through a
# symlink of the root (the workspace was mounted on the host's directory
# it points to, before the pivot, and so nowhere in the slave)
"$PROVFS" run --store "$T/store" --quiet --workdir /usr/../proc -- true 2>"$T/err4"
assert_eq 2 "$?" "--workdir /usr/../proc"
grep -q "has an empty, '.' or '..' part" "$T/err4" || fail "message: $(cat "$T/err4")"
mkdir -p "$T/real-wd"
ln -s "$T/real-wd" "$T/link-wd"
"$PROVFS" run --store "$T/store" --quiet --workdir "$T/link-wd" -- true 2>"$T/err4"
assert_eq 2 "$?" "--workdir through a symlink"
grep -q "goes through a symlink" "$T/err4" || fail "message: $(cat "$T/err4")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind by refused workdirs"
# a build that leaves a daemon running: it dies with the slave
# --out in a directory that does not exist, outside the workspace (which
# the build cannot make): refused before the build, not after it.
"$PROVFS" run --store "$T/store" --quiet --out "$T/no-such-dir/m.json" -- touch ran.txt 2>"$T/err-out"
assert_eq 2 "$?" "--out in a missing directory"
grep -q "cannot write --out '$T/no-such-dir/m.json': there is no directory '$T/no-such-dir'" "$T/err-out" ||
	fail "--out in a missing directory: $(cat "$T/err-out")"
[ ! -e ran.txt ] || fail "the build ran with an --out it cannot write"
"$PROVFS" run --store "$T/store" --quiet -- sh -c "sleep 8$$ & echo started" >/dev/null
sleep 0.5
pgrep -x -f "sleep 8$$" >/dev/null && fail "a process outlived its slave"
# a workspace that is a file, or the kernel's /proc: said so (the message
# was of --workdir, which was not given)
touch "$T/afile"
for w in "$T/afile" /proc/self; do
	"$PROVFS" run --store "$T/store" --quiet --workspace "$w" -- true 2>"$T/err-ws"
	assert_eq 2 "$?" "--workspace $w"
	grep -q "cannot use workspace '$w': " "$T/err-ws" || fail "--workspace $w: $(cat "$T/err-ws")"
	grep -q -- "--workdir" "$T/err-ws" && fail "--workspace $w: $(cat "$T/err-ws")"
done
# provfs run inside a slave: it says it cannot be nested (it said to load
# the FUSE module).  (A copy in the workspace: a binary under /tmp is not
# in the slave.)
cp "$PROVFS" "$T/ws/provfs-copy" || fail "copy of provfs"
"$PROVFS" run --store "$T/store" --quiet -- ./provfs-copy run --store /nonexistent -- true 2>"$T/err-nest"
assert_eq 2 "$?" "provfs run in a slave"
grep -q "this is a provfs slave" "$T/err-nest" || fail "nested provfs run: $(cat "$T/err-nest")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
exit 0
