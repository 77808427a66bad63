#!/bin/sh
# What a process costs under provfs run: a loop of N runs of /bin/true (a
# fork, an exec, the loader and libc: the shape of a configure script or
# a test suite) natively and inside `provfs run` (host root, full
# capture), alternating, RUNS rounds.  Inside, `perf stat` (when
# installed) counts the loop's own processes only, not the daemons: page
# faults, context switches and task-clock per process, beside the same
# counts natively (where the slave may count only user mode, as with
# kernel.perf_event_paranoid >= 2, its counts are not comparable: "-").
# Each round also times `provfs run -- true`, the fixed cost of a slave
# (mounts, manifest), which the added time per process leaves out.
# Prints the medians and the added wall time per process.
#
# usage: bench/exec-overhead.sh [BUILD_DIR]   (default: build)
# env:   N (1000), RUNS (5)
# exit:  0, or 2 on a setup error.  Run as root.
set -u
BUILD=${1:-build}
PROVFS=${PROVFS:-$BUILD/tools/provfs}
N=${N:-1000}
RUNS=${RUNS:-5}
[ -x "$PROVFS" ] || { echo "build first: ninja -C $BUILD" >&2; exit 2; }
PROVFS=$(realpath "$PROVFS")
case $N in '' | *[!0-9]*) echo "N must be a number" >&2; exit 2 ;; esac
case $RUNS in '' | *[!0-9]*) echo "RUNS must be a number" >&2; exit 2 ;; esac
# Not under /tmp: the slave has its own.
W=$(mktemp -d "${BENCH_WORK:-/var/tmp}/exec-overhead.XXXXXX") || exit 2
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/ws"
LOOP="i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i + 1)); done"
PERF=
command -v perf >/dev/null 2>&1 && perf stat -e task-clock true >/dev/null 2>&1 && PERF=1

# one MODE: appends "wall faults switches task_ms" to $W/MODE
one() {
	mode=$1
	set -- sh -c "$LOOP"
	[ -n "$PERF" ] && set -- perf stat -x, -e page-faults,context-switches,task-clock -o "$W/ws/stat" -- "$@"
	[ "$mode" = provfs ] &&
		set -- "$PROVFS" run -q --store "$W/store" --out "$W/m.json" -- "$@"
	rm -f "$W/ws/stat"
	t0=$(date +%s.%N)
	(cd "$W/ws" && "$@") || { echo "exec-overhead: the $mode loop failed" >&2; exit 2; }
	t1=$(date +%s.%N)
	if [ -n "$PERF" ]; then
		awk -F, -v w="$(echo "$t1 - $t0" | bc)" '
			$3 ~ /:u$/ { user = 1 } { sub(/:u$/, "", $3) }
			$3 == "page-faults" { f = $1 } $3 == "context-switches" { c = $1 }
			$3 == "task-clock" { t = $1 }
			# user mode only (perf_event_paranoid in the slave): not
			# comparable with the native counts
			END { if (user || f == "") print w, "-", "-", "-"; else print w, f, c, t }' \
			"$W/ws/stat" >>"$W/$mode"
	else
		echo "$(echo "$t1 - $t0" | bc) - - -" >>"$W/$mode"
	fi
}

median() { # COLUMN FILE
	awk -v c="$1" '{print $c}' "$2" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

: >"$W/native"
: >"$W/provfs"
echo "exec-overhead: $RUNS rounds of $N processes, native and provfs run alternating" \
	"(load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
: >"$W/empty"
r=0
while [ $r -lt "$RUNS" ]; do
	one native
	one provfs
	t0=$(date +%s.%N)
	(cd "$W/ws" && "$PROVFS" run -q --store "$W/store" --out "$W/m.json" -- true) ||
		{ echo "exec-overhead: provfs run -- true failed" >&2; exit 2; }
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc >>"$W/empty"
	r=$((r + 1))
done
printf '%-8s %10s %14s %14s %14s\n' mode "wall s" "faults/proc" "switches/proc" "cpu ms/proc"
for mode in native provfs; do
	w=$(median 1 "$W/$mode")
	if [ -n "$PERF" ] && [ "$(median 2 "$W/$mode")" != - ]; then
		printf '%-8s %10.3f %14.1f %14.2f %14.3f\n' $mode "$w" \
			"$(echo "$(median 2 "$W/$mode") / $N" | bc -l)" \
			"$(echo "$(median 3 "$W/$mode") / $N" | bc -l)" \
			"$(echo "$(median 4 "$W/$mode") / $N" | bc -l)"
	else
		printf '%-8s %10.3f %14s %14s %14s\n' $mode "$w" - - -
	fi
done
nw=$(median 1 "$W/native")
pw=$(median 1 "$W/provfs")
ew=$(median 1 "$W/empty")
printf 'ratio %.3f; provfs run -- true %.3f s; added %.3f ms per process beyond that (medians of %s rounds)\n' \
	"$(echo "$pw / $nw" | bc -l)" "$ew" "$(echo "($pw - $nw - $ew) * 1000 / $N" | bc -l)" "$RUNS"
