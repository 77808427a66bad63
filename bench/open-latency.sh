#!/bin/sh
# What one FUSE round trip costs: a loop of open()+close() of one file on a
# read-only provfs mount (each pair is an OPEN and a RELEASE request), the
# caller left to the scheduler and pinned to CPU 0, over io_uring (the
# default where the kernel has it) and over /dev/fuse (--no-io-uring), with
# native open()+close() of the backing file beside them.  Prints the median
# microseconds per pair over RUNS runs of N pairs each, modes alternating.
#
# usage: bench/open-latency.sh [BUILD_DIR]   (default: build)
# env:   N (20000), RUNS (5)
# exit:  0, or 2 on a setup error.  Run as root.
set -u
BUILD=${1:-build}
PROVFS=${PROVFS:-$BUILD/tools/provfs}
N=${N:-20000}
RUNS=${RUNS:-5}
[ -x "$PROVFS" ] || { echo "build first: ninja -C $BUILD" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/open-latency.XXXXXX")
trap '"$PROVFS" umount "$W/m" >/dev/null 2>&1; rm -rf "$W"' EXIT
mkdir -p "$W/b" "$W/m"
echo data >"$W/b/f"

# loop FILE [CPU]: microseconds per open+close pair
loop() {
	if [ -n "${2:-}" ]; then set -- "$1" taskset -c "$2"; else set -- "$1"; fi
	f=$1
	shift
	"$@" python3 -c '
import os, sys, time
p, n = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
for _ in range(n):
    os.close(os.open(p, os.O_RDONLY))
print("%.2f" % ((time.perf_counter() - t) / n * 1e6))' "$f" "$N"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

for mode in native io_uring dev_fuse; do
	for cpu in any 0; do
		: >"$W/$mode-$cpu"
	done
done
i=0
while [ $i -lt "$RUNS" ]; do
	for mode in io_uring dev_fuse native; do
		f=$W/m/f
		case $mode in
		native) f=$W/b/f ;;
		io_uring) "$PROVFS" mount --ro --store "$W/s" "$W/b" "$W/m" >/dev/null || exit 2 ;;
		dev_fuse) "$PROVFS" mount --ro --no-io-uring --store "$W/s" "$W/b" "$W/m" >/dev/null ||
			exit 2 ;;
		esac
		loop "$f" >>"$W/$mode-any"
		loop "$f" 0 >>"$W/$mode-0"
		[ $mode = native ] || "$PROVFS" umount "$W/m" || exit 2
	done
	i=$((i + 1))
done
printf '%-10s %14s %14s   (us per open+close, median of %s x %s)\n' mode "any CPU" "pinned CPU 0" \
	"$RUNS" "$N"
for mode in native io_uring dev_fuse; do
	printf '%-10s %14s %14s\n' $mode "$(median <"$W/$mode-any")" "$(median <"$W/$mode-0")"
done
