# On overlayfs (no file handles) with no fds kept (PROVFS_FD_CACHE=0), a
# directory is found again by its path in the mount for every request:
# reads relative to a working directory inside it go on, with no error,
# while another process renames one of its parents back and forth through
# the mount (the daemon's names follow each rename just after the backing
# file moved; a lookup in between used to fail with ESTALE, about 1 read
# in 1,000).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/lower" "$T/upper" "$T/work" "$T/b" "$T/m"
mount -t overlay provfs-e2e -o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/b" 2>/dev/null ||
	exit 77
trap 'cleanup; umount "$T/b" 2>/dev/null' EXIT
mkdir -p "$T/b/top/a/sub"
for i in 1 2 3 4 5 6 7 8 9 10; do echo "$i" >"$T/b/top/a/sub/f$i"; done
PROVFS_FD_CACHE=0 mount_ws "$T/b" "$T/m"
(
	cd "$T/m/top" || exit 1
	end=$(($(date +%s) + 6))
	while [ "$(date +%s)" -lt "$end" ]; do mv a b && mv b a || exit 1; done
) &
renamer=$!
(
	cd "$T/m/top/a/sub" || exit 1
	end=$(($(date +%s) + 6))
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		for i in 1 2 3 4 5 6 7 8 9 10; do
			[ "$(cat "f$i")" = "$i" ] || exit 1
			n=$((n + 1))
		done
	done
	echo "$n" >"$T/reads"
) 2>"$T/errs"
readers=$?
wait $renamer || fail "the renames failed"
assert_eq 0 "$readers" "reads during the renames ($(head -3 "$T/errs"))"
note "$(cat "$T/reads") reads"
[ "$(cat "$T/reads")" -gt 100 ] || fail "too few reads to tell: $(cat "$T/reads")"
umount_ws "$T/m"
exit 0
