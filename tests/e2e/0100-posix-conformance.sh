#!/bin/sh
# A provfs mount passes the POSIX conformance suite (tests/fsconform) the way
# the disk underneath it does: fsconform runs first on a plain directory
# beside the backing directory, then on the mount, and every check that
# passes natively must pass on provfs.  (On ext4 that is all of them.)
#
# Environment: PROVFS, TMPDIR, and FSCONFORM (or BUILD, to find
# $BUILD/tests/fsconform/fsconform).
. "$(dirname "$0")/lib.sh"

FSCONFORM=${FSCONFORM:-${BUILD:-build}/tests/fsconform/fsconform}
if [ ! -x "$FSCONFORM" ]; then
	echo "skip: no fsconform binary at '$FSCONFORM' (set FSCONFORM or BUILD)"
	exit 77
fi
if [ "$(id -u)" != 0 ] || [ ! -e /dev/fuse ]; then
	echo "skip: needs root and /dev/fuse"
	exit 77
fi

# The permission checks run as uid 65534: it must be able to reach both trees.
chmod 755 "$T"
mkdir -p "$T/native"

# Per-check verdicts: "ok NAME" / "not-ok NAME", sorted by name.
verdicts() {
	sed -n -E 's/^ok [0-9]+ - ([^ ]+).*/ok \1/p; s/^not ok [0-9]+ - ([^ ]+).*/not-ok \1/p' "$1" |
		sort -k2
}

timeout -k 5 240 "$FSCONFORM" "$T/native" >"$T/native.tap" 2>&1
native_status=$?
if ! grep -q '^1\.\.' "$T/native.tap"; then
	cat "$T/native.tap"
	fail "fsconform did not run natively (exit $native_status)"
fi

mount_ws "$T/backing" "$T/mnt"
grep -q " $T/mnt fuse" /proc/mounts || fail "$T/mnt is not a FUSE mount"

timeout -k 5 420 "$FSCONFORM" "$T/mnt" >"$T/provfs.tap" 2>&1
provfs_status=$?
umount_ws "$T/mnt"

cat "$T/provfs.tap"
grep -q '^1\.\.' "$T/provfs.tap" || fail "fsconform did not run on the mount (exit $provfs_status)"

verdicts "$T/native.tap" >"$T/native.v"
verdicts "$T/provfs.tap" >"$T/provfs.v"
total=$(grep -c . "$T/native.v")
native_ok=$(grep -c '^ok ' "$T/native.v")
provfs_ok=$(grep -c '^ok ' "$T/provfs.v")
note "native ($(stat -f -c %T "$T/native")): $native_ok/$total passed;" \
	"provfs: $provfs_ok/$(grep -c . "$T/provfs.v") passed (exit $provfs_status)"

# Checks that pass natively but not on provfs (or never reported).
regressions=$(grep '^ok ' "$T/native.v" | cut -d' ' -f2 | while read -r name; do
	grep -qx "ok $name" "$T/provfs.v" || echo "$name"
done)
if [ -n "$regressions" ]; then
	note "checks passing natively but failing on provfs:"
	for name in $regressions; do
		grep -E "^not ok [0-9]+ - $name( |\$)" "$T/provfs.tap" || echo "missing: $name"
	done
	fail "provfs fails $(echo "$regressions" | wc -w) conformance check(s) that pass natively"
fi
# Nothing may be left behind in the backing directory by the suite's cleanup.
leftover=$(find "$T/backing" -mindepth 1 | head -5)
[ -z "$leftover" ] || fail "fsconform left files in the backing directory: $leftover"
exit 0
