# provfs env build from a directory base with setup commands: the same
# definition gives the same digest, and so does the same root as a
# tarball.  The build's own date in /etc/shadow (written by the tools that
# make accounts: a build crossing midnight gave another digest) becomes
# the date of the package lists it used, or is emptied without them;
# other dates stay.  The host's resolv.conf and hostname, which
# debootstrap copies in, are emptied (another machine gave another digest);
# a root without /etc/hosts gets one (localhost, the slave's host name,
# resolved to nothing in a debootstrap root).  Setup commands resolve names with the host's
# resolv.conf, also where the root's links into its /run.  Cleaning runs chrooted into the new root: a symlink
# in it to an absolute path (tmp -> /somewhere) does not lead to the
# host's files.  A staging directory a killed build left is removed by
# the next.  A definition with errors, a missing base or a failing
# setup command is a clear error that leaves no staging directory.
. "$(dirname "$0")/lib.sh"
S=$T/store
R=$T/base
tiny_root "$R" /bin/sh /bin/cat /bin/ls /usr/bin/getent
today=$(($(date +%s) / 86400))
lists_day=$(($(date -u -d 2026-07-11 +%s) / 86400))
mkdir -p "$R/var/lib/apt/lists" "$R/var/log" "$R/var/tmp" "$R/usr/lib/python3/__pycache__"
printf 'root:*:%s:0:99999:7:::\nold:*:12345:0:99999:7:::\nnone:!::0:99999:7:::\n' "$today" >"$R/etc/shadow"
chmod 640 "$R/etc/shadow"
printf 'Origin: Debian\nDate: Sat, 11 Jul 2026 10:16:37 UTC\n' >"$R/var/lib/apt/lists/m_dists_s_Release"
echo log >"$R/var/log/dpkg.log"
echo old >"$R/etc/passwd-"
echo junk >"$R/tmp/.hidden"
echo pyc >"$R/usr/lib/python3/__pycache__/m.cpython-311.pyc"
echo 0123456789abcdef >"$R/etc/machine-id"
mkdir -p "$R/etc/ssh" "$R/var/lib/dbus"
echo private >"$R/etc/ssh/ssh_host_ed25519_key"
echo public >"$R/etc/ssh/ssh_host_ed25519_key.pub"
echo sshd >"$R/etc/ssh/sshd_config"
echo fedcba9876543210 >"$R/var/lib/dbus/machine-id"
[ -s /etc/resolv.conf ] || exit 77
cp /etc/resolv.conf "$R/etc/resolv.conf"
echo builder >"$R/etc/hostname"
cat >"$T/env.def" <<EOT
name = tiny-built
base = dir $R
run = echo built >/etc/built
run = cat /etc/resolv.conf >/etc/seen-resolv
EOT
D1=$("$PROVFS" env --store "$S" --quiet build "$T/env.def") || fail "env build 1"
# built by a user whose umask is 077: the same modes, the same digest
D2=$(umask 077 && "$PROVFS" env --store "$S" --quiet build "$T/env.def") || fail "env build 2"
assert_eq "$D1" "$D2" "digest of the same definition built twice"
tar -C "$R" -cf "$T/base.tar" .
sed "s|^base = .*|base = tarball $T/base.tar|" "$T/env.def" >"$T/tar.def"
D3=$("$PROVFS" env --store "$S" --quiet build "$T/tar.def") || fail "env build from the tarball"
assert_eq "$D1" "$D3" "digest of the same root from a tarball"
mkdir -p "$T/ws"
(cd "$T/ws" && "$PROVFS" run --store "$S" --env "$D1" --quiet -- sh -c \
	'cat /etc/shadow >shadow; cat /etc/built /etc/machine-id /var/lib/dbus/machine-id /etc/resolv.conf >built; ls -A /var/log /var/lib/apt/lists /tmp /usr/lib/python3 /etc /etc/ssh >ls
	cat /etc/hostname >hostname; getent hosts "$(cat /proc/sys/kernel/hostname)" >hosts') ||
	fail "run in the built environment"
grep -qx "root:\*:$lists_day:0:99999:7:::" "$T/ws/shadow" || fail "the build's date: $(cat "$T/ws/shadow")"
grep -qx "old:\*:12345:0:99999:7:::" "$T/ws/shadow" || fail "an older date: $(cat "$T/ws/shadow")"
grep -qx "none:!::0:99999:7:::" "$T/ws/shadow" || fail "an empty date: $(cat "$T/ws/shadow")"
assert_eq "built" "$(cat "$T/ws/built")" "the setup command's file, empty machine-ids and resolv.conf"
assert_eq "builder" "$(cat "$T/ws/hostname")" "a hostname that is not the host's"
grep -q " localhost" "$T/ws/hosts" ||
	fail "the slave's host name does not resolve: $(cat "$T/ws/hosts")"
for gone in dpkg.log m_dists_s_Release .hidden __pycache__ passwd- ssh_host_ed25519_key \
	ssh_host_ed25519_key.pub; do
	grep -qx "$gone" "$T/ws/ls" && fail "$gone is still in the environment"
done
for kept in machine-id resolv.conf hostname hosts sshd_config; do
	grep -qx "$kept" "$T/ws/ls" || fail "$kept is not in the environment"
done

# without package lists the build's date is emptied; without a
# resolv.conf, setup commands have the host's, and the root an empty one
rm "$R/var/lib/apt/lists/m_dists_s_Release" "$R/etc/resolv.conf"
D4=$("$PROVFS" env --store "$S" --quiet build "$T/env.def") || fail "env build without lists"
(cd "$T/ws" && "$PROVFS" run --store "$S" --env "$D4" --quiet -- sh -c \
	'cat /etc/shadow >shadow4; cat /etc/seen-resolv >seen4; cat /etc/resolv.conf >resolv4') ||
	fail "run in the environment without lists"
grep -qx "root:\*::0:99999:7:::" "$T/ws/shadow4" || fail "no lists: $(cat "$T/ws/shadow4")"
cmp -s "$T/ws/seen4" /etc/resolv.conf || fail "setup commands' resolv.conf: $(cat "$T/ws/seen4")"
[ -f "$T/ws/resolv4" ] && [ ! -s "$T/ws/resolv4" ] || fail "the root's resolv.conf: $(cat "$T/ws/resolv4")"

# a resolv.conf that links into /run (systemd-resolved's stub, a base from
# Ubuntu): setup commands find the host's there, in a /run of their own,
# whose files are not kept
mkdir -p "$R/run"
ln -s ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
printf 'base = dir %s\nrun = cat /etc/resolv.conf >/etc/seen-resolv\nrun = echo x >/run/left\n' "$R" >"$T/link.def"
D5=$("$PROVFS" env --store "$S" --quiet build "$T/link.def") || fail "env build, resolv.conf linked into /run"
(cd "$T/ws" && "$PROVFS" run --store "$S" --env "$D5" --quiet -- sh -c \
	'cat /etc/seen-resolv >seen5; ls -A /run >run5; ls -l /etc/resolv.conf >link5') ||
	fail "run in the environment with a linked resolv.conf"
cmp -s "$T/ws/seen5" /etc/resolv.conf || fail "setup commands' linked resolv.conf: $(cat "$T/ws/seen5")"
grep -q "left" "$T/ws/run5" && fail "what a setup command wrote in /run was kept"
grep -q -- "-> ../run/systemd/resolve/stub-resolv.conf" "$T/ws/link5" ||
	fail "the link is not kept: $(cat "$T/ws/link5")"
[ -z "$(ls -A "$R/run")" ] || fail "the base's /run changed: $(ls -A "$R/run")"
rm "$R/etc/resolv.conf"

# symlinks in the root that name host paths
O=$T/outside
mkdir -p "$O/tmp" "$O/vartmp" "$O/log"
echo keep >"$O/tmp/keep"
echo keep >"$O/vartmp/.keep"
echo keep >"$O/log/keep.log"
echo host-id >"$O/machine-id"
printf 'root:*:%s:0:99999:7:::\n' "$today" >"$O/shadow"
H=$T/hostile
tiny_root "$H" /bin/sh
rm -rf "$H/tmp"
mkdir -p "$H/var"
ln -s "$O/tmp" "$H/tmp"
ln -s "$O/vartmp" "$H/var/tmp"
ln -s "$O/log" "$H/var/log"
ln -s "$O/machine-id" "$H/etc/machine-id"
ln -s "$O/shadow" "$H/etc/shadow"
printf 'base = dir %s\n' "$H" >"$T/hostile.def"
"$PROVFS" env --store "$S" --quiet build "$T/hostile.def" >/dev/null || fail "env build with outward symlinks"
[ -f "$O/tmp/keep" ] && [ -f "$O/vartmp/.keep" ] && [ -f "$O/log/keep.log" ] ||
	fail "files the root's symlinks lead to on the host were removed: $(ls -AR "$O")"
assert_eq "host-id" "$(cat "$O/machine-id")" "the host file the root's machine-id links to"
grep -qx "root:\*:$today:0:99999:7:::" "$O/shadow" || fail "the host file the root's shadow links to was changed"

# A staging directory left by a build that was killed is removed by the
# next build, and by store gc; one held by a build still running is not.
mkdir -p "$S/tmp/envbuild.left/usr" "$S/tmp/import.left" "$S/tmp/envbuild.held"
echo x >"$S/tmp/envbuild.left/usr/file"
flock "$S/tmp/envbuild.held" sleep 60 &
holder=$!
sleep 0.3
"$PROVFS" env --store "$S" --quiet build "$T/env.def" >/dev/null || fail "env build beside left staging"
[ ! -e "$S/tmp/envbuild.left" ] && [ ! -e "$S/tmp/import.left" ] ||
	fail "left staging directories were kept: $(ls -A "$S/tmp")"
[ -d "$S/tmp/envbuild.held" ] || fail "a held staging directory was removed"
mkdir "$S/tmp/envbuild.left2"
"$PROVFS" store --store "$S" gc >/dev/null || fail "store gc"
[ -d "$S/tmp/envbuild.held" ] || fail "store gc removed a held staging directory"
[ ! -e "$S/tmp/envbuild.left2" ] || fail "store gc kept a left staging directory"
kill $holder
wait $holder 2>/dev/null
rmdir "$S/tmp/envbuild.held"

# definitions with errors: exit 2, the file and line, no staging left
before=$(grep -c provfs /proc/mounts)
bad() { # NAME EXPECTED-MESSAGE DEFINITION-TEXT
	printf '%s\n' "$3" >"$T/$1.def"
	"$PROVFS" env --store "$S" --quiet build "$T/$1.def" >"$T/$1.out" 2>"$T/$1.err"
	assert_eq 2 "$?" "env build of $1.def"
	grep -qF "$2" "$T/$1.err" || fail "message for $1.def: $(cat "$T/$1.err")"
	[ -s "$T/$1.out" ] && fail "$1.def printed a digest: $(cat "$T/$1.out")"
	[ -z "$(ls -A "$S/tmp" 2>/dev/null | grep -v '^staging.lock$')" ] ||
		fail "staging left by $1.def: $(ls -A "$S/tmp")"
}
bad unknown-key "unknown-key.def:2: unknown key 'frobnicate'" "$(printf 'base = dir %s\nfrobnicate = 1' "$R")"
bad no-equals "no-equals.def:1: expected 'key = value'" "base dir $R"
bad base-kind "base-kind.def:1: base must be 'debootstrap SUITE', 'dir PATH' or 'tarball PATH'" "base = docker alpine"
bad no-base "no-base.def: no 'base' given" "name = x"
bad variant "variant.def: 'variant' and 'mirror' only go with a debootstrap base" \
	"$(printf 'base = dir %s\nvariant = minbase' "$R")"
bad missing-dir "cannot build the environment from" "base = dir $T/no-such-dir"
bad failing-run "setup command failed: exit 3" "$(printf 'base = dir %s\nrun = exit 3' "$R")"
# packages reach apt-get through a shell: only package names pass (a ';'
# ran the rest, a '#' made the rest of the line a comment)
bad pkg-shell "pkg-shell.def:2: 'make;touch' is no package name" \
	"$(printf 'base = dir %s\npackages = make;touch /injected' "$R")"
bad pkg-comment "pkg-comment.def:2: '#' is no package name" \
	"$(printf 'base = dir %s\npackages = gcc # compiler' "$R")"
bad pkg-option "pkg-option.def:2: '-oAPT::x=1' is no package name" \
	"$(printf 'base = dir %s\npackages = -oAPT::x=1' "$R")"
# a NUL byte: refused (what followed it on the line and in the file was lost)
printf 'base = dir %s\nrun = echo one\n\0junk\nrun = exit 3\n' "$R" >"$T/nul.def"
"$PROVFS" env --store "$S" --quiet build "$T/nul.def" >"$T/nul.out" 2>"$T/nul.err"
assert_eq 2 "$?" "env build of a definition with a NUL byte"
grep -q "has a NUL byte" "$T/nul.err" || fail "message: $(cat "$T/nul.err")"
"$PROVFS" env --store "$S" --quiet build "$T/no-such.def" 2>"$T/nofile.err"
assert_eq 2 "$?" "env build of a missing definition"
grep -q "cannot read definition '$T/no-such.def'" "$T/nofile.err" || fail "message: $(cat "$T/nofile.err")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
exit 0
