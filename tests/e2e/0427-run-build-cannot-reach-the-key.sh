# The build must not be able to read the signing key (SLSA: the build's
# own steps cannot reach the provenance's signing secrets) nor change the
# host's kernel.  As root in the slave it used to unmount the tmpfs that
# hides the store and read STORE/keys/provfs.key, read a --key file kept
# anywhere on the host, set the host's clock and write sysctls.  Now:
# COMMAND lacks CAP_SYS_ADMIN and CAP_SYS_TIME (a container's default
# capabilities), /proc/sys is read-only, a --key file reads as empty, a
# --key inside the workspace is refused, and no device node the build
# makes opens (every mount it can write to is nodev).  What builds need
# still works: chown, mknod, mkfifo, chroot, /dev/null.
. "$(dirname "$0")/lib.sh"
command -v capsh >/dev/null || exit 77
D=$(mktemp -d /srv/provfs-e2e-key.XXXXXX 2>/dev/null) || exit 77
trap 'rm -rf "$D"; cleanup' EXIT
S=$D/store
"$PROVFS" keygen --out "$D/ci" >/dev/null || fail "keygen"
ln -s "$D/ci.key" "$D/link.key"
mkdir -p "$T/ws"
cd "$T/ws"

# The default key, in the store: still hidden after an attempt to unmount.
"$PROVFS" run -q --store "$S" --out "$T/m1.json" -- sh -c "
	umount $S 2>/dev/null; echo umount=\$? >umount.txt
	cat $S/keys/provfs.key >key1.txt 2>/dev/null
	cat $D/ci.key >key2.txt 2>/dev/null
	grep CapBnd /proc/self/status >caps.txt
	echo 1 >/proc/sys/vm/drop_caches 2>/dev/null; echo sysctl=\$? >sysctl.txt
	mknod ws-null c 1 3 && mknod /tmp/null c 1 3 && echo made >mknod.txt
	echo x >ws-null 2>/dev/null && echo opened >>devnode.txt
	echo x >/tmp/null 2>/dev/null && echo opened >>devnode.txt
	mkfifo f && chown nobody f && chroot / true && echo x >/dev/null && echo ok >works.txt" 2>"$T/err1"
assert_eq 0 "$?" "a build trying the key: $(cat "$T/err1")"
[ -f "$S/keys/provfs.key" ] || fail "no default key in $S/keys"
grep -q "umount=0" umount.txt && fail "the build unmounted the store's cover"
[ -s key1.txt ] && fail "the build read the store's signing key"
grep -q "sysctl=0" sysctl.txt && fail "the build wrote /proc/sys/vm/drop_caches"
assert_eq ok "$(cat works.txt 2>/dev/null)" "mkfifo, chown, chroot and /dev/null in the slave"
# Device nodes can be made (CAP_MKNOD, as in a container) but not opened
# outside /dev: one for the host's disk would bypass everything.
assert_eq made "$(cat mknod.txt 2>/dev/null)" "mknod in the workspace and /tmp"
[ -e devnode.txt ] && fail "the build opened a device node it made: $(cat devnode.txt)"
# key2.txt: $D/ci.key is not the build's key here, so it is readable.
[ -s key2.txt ] || fail "a file that is not the signing key was hidden"
caps=$(sed 's/.*:[[:space:]]*//' caps.txt)
capsh --decode="$caps" | grep -q cap_sys_admin && fail "COMMAND has CAP_SYS_ADMIN: $caps"
capsh --decode="$caps" | grep -q cap_sys_time && fail "COMMAND has CAP_SYS_TIME: $caps"
capsh --decode="$caps" | grep -q cap_chown || fail "COMMAND lacks CAP_CHOWN: $caps"

# Started with inheritable capabilities (setpriv, capsh, a service, an
# older container runtime's --cap-add): root's exec would add them all to
# COMMAND's, bounding set or not.  Cleared.
if command -v setpriv >/dev/null; then
	rm -f caps2.txt
	setpriv --inh-caps +sys_admin -- "$PROVFS" run -q --store "$S" -- sh -c "
		grep CapEff /proc/self/status >caps2.txt
		umount $S 2>/dev/null; cat $S/keys/provfs.key >key3.txt 2>/dev/null; true" 2>"$T/err5"
	assert_eq 0 "$?" "a build started with inheritable CAP_SYS_ADMIN: $(cat "$T/err5")"
	caps=$(sed 's/.*:[[:space:]]*//' caps2.txt)
	capsh --decode="$caps" | grep -q cap_sys_admin &&
		fail "COMMAND got CAP_SYS_ADMIN from the inheritable set: $caps"
	[ -s key3.txt ] && fail "the build read the store's signing key (inheritable caps)"
fi

# A key given with --key, through a symlink: the build sees neither its
# content through the link nor through its real path.
rm -f key1.txt key2.txt
"$PROVFS" run -q --store "$S" --key "$D/link.key" --out "$T/m2.json" -- sh -c "
	cat $D/link.key >key1.txt; cat $D/ci.key >key2.txt" 2>"$T/err2"
assert_eq 0 "$?" "a build with --key: $(cat "$T/err2")"
[ -s key1.txt ] && fail "the build read the --key file through its symlink"
[ -s key2.txt ] && fail "the build read the --key file"
[ -e key1.txt ] || fail "the build did not run"
"$PROVFS" verify --key "$D/ci.pub" --store "$S" "$T/m2.json" >/dev/null ||
	fail "the manifest signed with --key does not verify"

# A key inside the workspace: refused before anything runs.
cp "$D/ci.key" "$T/ws/in.key"
"$PROVFS" run -q --store "$S" --key in.key -- touch ran.txt 2>"$T/err3"
assert_eq 2 "$?" "a key inside the workspace"
grep -q "inside the workspace" "$T/err3" || fail "no clear error: $(cat "$T/err3")"
[ -e ran.txt ] && fail "the build ran with its key in the workspace"

# Without CAP_SETPCAP (a container that lacks it) the build's capabilities
# cannot be dropped: refused before anything is created.
capsh --drop=cap_setpcap -- -c "'$PROVFS' run -q --store '$T/store2' -- touch ran2.txt" \
	2>"$T/err4"
assert_eq 2 "$?" "provfs run without CAP_SETPCAP"
grep -q "needs CAP_SETPCAP" "$T/err4" || fail "no clear error: $(cat "$T/err4")"
[ -e ran2.txt ] && fail "the build ran without CAP_SETPCAP"
[ -e "$T/store2" ] && fail "a store was created before the refusal"

exit 0
