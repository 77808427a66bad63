# File capabilities (security.capability) through a mount behave as on the
# backing filesystem.  The daemon remembers that a file has none (the
# kernel asks before each write after refreshing attributes, and at each
# exec), so these check that what it remembers never hides a change:
# none, then set through the mount, shown; a write removes them (the
# kernel's rule for any writer); set again and removed with setcap -r;
# and a file given capabilities on the backing directory before the mount
# shows them.
. "$(dirname "$0")/lib.sh"
command -v setcap >/dev/null && command -v getcap >/dev/null || exit 77
mkdir -p "$T/b"
cp /bin/true "$T/b/pre"
setcap cap_net_raw+ep "$T/b/pre" 2>/dev/null || exit 77 # no xattrs on this filesystem
mount_ws "$T/b" "$T/m"
caps() { getcap "$1" | sed 's/^[^ ]* //'; }

assert_eq "cap_net_raw=ep" "$(caps "$T/m/pre")" "capabilities set before the mount"
cp /bin/true "$T/m/f"
for i in 1 2 3; do
	getfattr -n security.capability "$T/m/f" >/dev/null 2>&1 &&
		fail "a new file has security.capability (ask $i)"
done
assert_eq "" "$(caps "$T/m/f")" "a new file's capabilities"
setcap cap_net_raw+ep "$T/m/f" || fail "setcap through the mount"
assert_eq "cap_net_raw=ep" "$(caps "$T/m/f")" "capabilities set through the mount, after none was seen"
assert_eq "cap_net_raw=ep" "$(caps "$T/b/f")" "capabilities on the backing file"
"$T/m/f" || fail "a file with capabilities does not run"
echo >>"$T/m/f"
assert_eq "" "$(caps "$T/m/f")" "capabilities after a write through the mount"
assert_eq "" "$(caps "$T/b/f")" "capabilities of the backing file after a write"
setcap cap_chown+ep "$T/m/f" || fail "setcap again"
assert_eq "cap_chown=ep" "$(caps "$T/m/f")" "capabilities set again"
setcap -r "$T/m/f" || fail "setcap -r"
assert_eq "" "$(caps "$T/m/f")" "capabilities after setcap -r"
setcap cap_kill+ep "$T/m/f" || fail "setcap after -r"
assert_eq "cap_kill=ep" "$(caps "$T/m/f")" "capabilities set after setcap -r"
