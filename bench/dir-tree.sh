#!/bin/sh
# What directory-heavy work costs under provfs run: the pattern of a test
# suite that unpacks trees and removes them (python's test_tarfile,
# npm's node_modules): make a tree of directories and small files, then,
# timed, list every directory twice, stat every entry, and remove the
# tree (os.walk, os.lstat, shutil.rmtree).  Three modes,
# alternating, RUNS rounds: natively, under 'provfs run' (directories read
# without OPENDIR where the backing filesystem allows it, listings cached
# by the kernel), and under 'provfs run' with PROVFS_OPENDIR=1 (a stream
# per open directory, as before).  Prints each mode's median seconds and
# its median ratio to native over the rounds, and where the workspace is
# (the filesystem decides the mode: ext4, XFS, btrfs, tmpfs read without
# OPENDIR).
#
# usage: bench/dir-tree.sh [BUILD_DIR]   (default: build)
# env:   DIRS (400 directories), FILES (5 files each), RUNS (5)
# exit:  0, or 2 on a setup error.  Run as root.
set -u
BUILD=${1:-build}
PROVFS=${PROVFS:-$(pwd)/$BUILD/tools/provfs}
DIRS=${DIRS:-400}
FILES=${FILES:-5}
RUNS=${RUNS:-5}
[ -x "$PROVFS" ] || { echo "build first: ninja -C $BUILD" >&2; exit 2; }
W=$(mktemp -d /var/tmp/dir-tree.XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/ws" "$W/store"
cat >"$W/ws/tree.py" <<'PY'
import os, shutil, sys, time
dirs, files = int(sys.argv[1]), int(sys.argv[2])
top = "tree"
for d in range(dirs):
    p = os.path.join(top, "d%02d" % (d % 20), "e%04d" % d)
    os.makedirs(p)
    for f in range(files):
        with open(os.path.join(p, "f%d.txt" % f), "w") as out:
            out.write("%d %d\n" % (d, f))
# timed: what follows the unpacking (creating files costs this disk
# ~0.4 ms each natively, and would hide the rest in its noise)
t = time.perf_counter()
for _ in range(2):
    for root, subdirs, names in os.walk(top):
        for n in subdirs + names:
            os.lstat(os.path.join(root, n))
shutil.rmtree(top)
print("%.3f" % (time.perf_counter() - t))
PY

# one MODE: seconds of one round of tree.py in that mode
one() {
	case $1 in
	native) (cd "$W/ws" && python3 tree.py "$DIRS" "$FILES") ;;
	provfs) (cd "$W/ws" && "$PROVFS" run -q --store "$W/store" -- python3 tree.py "$DIRS" "$FILES") ;;
	opendir) (cd "$W/ws" && PROVFS_OPENDIR=1 "$PROVFS" run -q --store "$W/store" -- \
		python3 tree.py "$DIRS" "$FILES") ;;
	esac
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "# workspace on $(stat -f -c %T "$W/ws"); $DIRS directories of $FILES files, $RUNS rounds"
modes="native provfs opendir"
r=1
while [ "$r" -le "$RUNS" ]; do
	for m in $modes; do
		s=$(one "$m") || { echo "round $r, $m: the workload failed" >&2; exit 2; }
		echo "$s" >>"$W/$m.times"
	done
	nat=$(sed -n "${r}p" "$W/native.times")
	for m in provfs opendir; do
		awk -v a="$(sed -n "${r}p" "$W/$m.times")" -v b="$nat" 'BEGIN {printf "%.3f\n", a / b}' \
			>>"$W/$m.ratios"
	done
	# the order rotates from round to round
	modes="${modes#* } ${modes%% *}"
	r=$((r + 1))
done
for m in native provfs opendir; do echo "# $m by round: $(tr "\n" " " <"$W/$m.times")"; done
printf '%-8s %9s %7s\n' mode median ratio
printf '%-8s %8ss %7s\n' native "$(median <"$W/native.times")" 1.000
for m in provfs opendir; do
	printf '%-8s %8ss %7s\n' "$m" "$(median <"$W/$m.times")" "$(median <"$W/$m.ratios")"
done
echo "(provfs: directories read without OPENDIR where the filesystem allows; opendir: PROVFS_OPENDIR=1)"
