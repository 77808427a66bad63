#!/bin/sh
# Environments made from a tarball have the same digest whoever makes
# them: the directories tar makes for members that imply them (no "bin/"
# member, only "bin/sh"), and the root of a tarball without a "./" member
# (docker export, tar -cf x.tar bin etc), get 0755, not the caller's
# umask or the staging directory's 0700 (a --user build could run
# nothing).  A SIGTERM to env build (a cancelled CI job) while a setup
# command runs ends that command and its children with provfs: it went
# on as root in the chroot.  So does a SIGKILL, which provfs cannot catch
# (the setup command runs in a PID namespace whose init dies with its
# parent).  A root without /proc is named as such, by run and env build.
. "$(dirname "$0")/lib.sh"
S=$T/store
R=$T/root
tiny_root "$R" /bin/sh /bin/sleep /usr/bin/id
(cd "$R" && tar -cf "$T/implied.tar" --no-recursion $(find . -type f | sed 's|^\./||') proc dev tmp build run) ||
	fail "the tarball"
tar -tf "$T/implied.tar" | grep -qx 'bin/' && fail "the tarball lists bin/"
printf 'base = tarball %s\n' "$T/implied.tar" >"$T/implied.def"
i022=$(umask 022; "$PROVFS" env --store "$S" --quiet import "$T/implied.tar") || fail "import, umask 022"
i077=$(umask 077; "$PROVFS" env --store "$S" --quiet import "$T/implied.tar") || fail "import, umask 077"
assert_eq "$i022" "$i077" "the digest of an import under umask 022 and 077"
b022=$(umask 022; "$PROVFS" env --store "$S" --quiet build "$T/implied.def") || fail "build, umask 022"
b077=$(umask 077; "$PROVFS" env --store "$S" --quiet build "$T/implied.def") || fail "build, umask 077"
assert_eq "$b022" "$b077" "the digest of a build under umask 022 and 077"
tree=$(store_object "$S" "$i077")
grep -qx 'd 0755 0 0 0 - \.' "$tree" || fail "the root's mode: $(head -3 "$tree")"
grep -qx 'd 0755 0 0 0 - bin' "$tree" || fail "bin's mode: $(grep ' bin$' "$tree")"
mkdir -p "$T/ws" && chmod 777 "$T/ws" && cd "$T/ws"
assert_eq "uid=1000 gid=1000 groups=1000" \
	"$("$PROVFS" run --store "$S" --env "$i077" --quiet --user 1000:1000 -- /bin/id 2>&1)" \
	"a --user build in the imported environment"

# A root without /proc says what it lacks.
rmdir "$R/proc"
noproc=$("$PROVFS" env --store "$S" --quiet import "$R") || fail "import without /proc"
mkdir "$R/proc"
"$PROVFS" run --store "$S" --env "$noproc" --quiet -- /bin/id >/dev/null 2>"$T/noproc.err"
assert_eq 2 "$?" "a run in an environment without /proc"
rmdir "$R/proc"
printf 'base = dir %s\nrun = true\n' "$R" >"$T/noproc.def"
"$PROVFS" env --store "$S" --quiet build "$T/noproc.def" >/dev/null 2>"$T/noproc-build.err"
assert_eq 2 "$?" "env build of a base without /proc"
grep -q "the environment has no /proc directory to mount the setup commands' /proc on" \
	"$T/noproc-build.err" || fail "env build without /proc: $(cat "$T/noproc-build.err")"
mkdir "$R/proc"
grep -q "cannot start the build slave: cannot mount /proc in the sandbox: No such file or directory (the environment has no directory /proc" "$T/noproc.err" ||
	fail "without /proc: $(cat "$T/noproc.err")"

# build_until_running DEF N: starts env build of DEF in the background
# ($pid) and waits until N processes "sleep $mark" run.
build_until_running() {
	"$PROVFS" env --store "$S" --quiet build "$1" </dev/null >/dev/null 2>"$1.err" &
	pid=$!
	i=0
	while [ "$(pgrep -f "sleep $mark" | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { kill $pid; fail "the setup command did not start: $(cat "$1.err")"; }
		sleep 0.1
	done
}

# SIGTERM while a setup command runs.
mark=$$.37
printf 'base = dir %s\nrun = sleep %s; touch /after-term\n' "$R" "$mark" >"$T/slow.def"
build_until_running "$T/slow.def" 1
kill -TERM $pid
wait $pid
assert_eq 143 "$?" "env build's exit status after SIGTERM"
sleep 0.5
if pgrep -f "sleep $mark" >/dev/null; then
	pkill -f "sleep $mark"
	fail "the setup command outlived env build"
fi

# SIGKILL while a setup command (and a child of it) runs.
mark=$$.41
printf 'base = dir %s\nrun = sleep %s & sleep %s; touch /after-kill\n' "$R" "$mark" "$mark" >"$T/killed.def"
build_until_running "$T/killed.def" 2
kill -KILL $pid
wait $pid
i=0
while pgrep -f "sleep $mark" >/dev/null; do
	i=$((i + 1))
	if [ $i -ge 30 ]; then
		pkill -f "sleep $mark"
		fail "the setup commands outlived env build's SIGKILL"
	fi
	sleep 0.1
done
# Setup commands read nothing of the caller's standard input (a loop's
# next lines went into the environment, and the loop lost them).
printf 'base = dir %s\nrun = read -r line || true; echo "read: $line" >/etc/stdin-seen\n' "$R" >"$T/stdin.def"
printf 'next-line\n' | "$PROVFS" env --store "$S" --quiet build "$T/stdin.def" >"$T/stdin.digest" 2>"$T/err" ||
	fail "env build reading stdin: $(cat "$T/err")"
"$PROVFS" store --store "$S" cat "$(cat "$T/stdin.digest")" | grep -q "etc/stdin-seen" ||
	fail "the setup command did not run"
obj=$("$PROVFS" store --store "$S" path "$(printf 'read: \n' | sha256sum | cut -c1-64)") ||
	fail "the setup command read something from the caller's stdin"
# A suite, variant or mirror that debootstrap would take for an option is
# a definition error (debootstrap --version stored an empty environment).
for bad in 'base = debootstrap --version' 'base = debootstrap bookworm\nvariant = -x' \
	'base = debootstrap bookworm\nmirror = --help'; do
	printf "$bad\n" >"$T/opt.def"
	"$PROVFS" env --store "$S" --quiet build "$T/opt.def" >/dev/null 2>"$T/err"
	assert_eq 2 "$?" "env build of '$bad'"
	grep -q "not an option" "$T/err" || fail "message for '$bad': $(cat "$T/err")"
done
# A byte order mark before the first key is not part of it.
printf '\357\273\277name = bom\nbase = dir %s\n' "$R" >"$T/bom.def"
"$PROVFS" env --store "$S" --quiet build "$T/bom.def" >/dev/null 2>"$T/err" ||
	fail "a definition with a byte order mark: $(cat "$T/err")"
exit 0
