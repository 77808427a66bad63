#!/bin/bash
# What a provfs mount (store and access log on) costs against the plain disk.
#
# Each workload runs natively, in a plain directory on the same disk, and on
# a fresh provfs mount of such a directory, alternating native/provfs, N
# times each.  Printed: the median of each side, the median of the per-pair
# ratios, and the target beside it.  A machine-readable copy goes to
# bench/results/fs-overhead-<date>.txt.
#
#   bench/fs-overhead.sh [--runs N] [--only compile|tarball|seq] [--quick]
#                        [--native-only] [--floor] [--provfs PATH] [--work DIR]
#                        [--no-fresh-fs] [--tarball FILE]
#
# --floor adds a third mode, the FUSE floor: libfuse's own example
# filesystem passthrough_ll (no logging, no hashing; fuse3 source package,
# built once into bench/.cache) mounted over the same backing directory with
# the kernel caching provfs asks for, the order native/provfs/floor rotating
# from run to run.  Its columns show how much of provfs's overhead FUSE
# itself costs on this machine; the verdicts stay about provfs.
#
# Workloads:
#   compile  zlib and lua5.4 (Debian sources, fetched once with apt-get
#            source into bench/.cache), configured and built with make -j2;
#            this project (git HEAD) with meson + ninja -j2
#   tarball  extract the linux-source tarball (~84k files; a small tree of
#            the sources above with --quick or when it cannot be fetched),
#            then sha256sum every file (--tarball FILE: another
#            uncompressed tarball, e.g. a part of linux-source small enough
#            for --floor, whose passthrough_ll keeps an fd per inode and so
#            stops at the 20000-fd limit on the whole tree)
#   seq      1 GiB sequential write (dd conv=fsync), drop caches, read back
#
# Targets: compile within 5% of native, tarball within 50%, sequential
# throughput at least 80% of native.  Run as root (mounts, drop_caches).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/bench/.cache
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
RESULTS=$ROOT/bench/results
RUNS=5
ONLY=""
QUICK=0
NATIVE_ONLY=0
FLOOR=0
PROVFS=${PROVFS:-$ROOT/build/tools/provfs}
WORK=${BENCH_WORK:-$ROOT/bench/.work}
SEQ_MB=1024
# The tarball and seq workloads run on a fresh ext4 (a loop-mounted image
# made for each run) holding the backing tree and the store: on a
# filesystem that just had a large tree deleted (the previous run's),
# ext4's inode allocator skips recently deleted inodes one by one
# (recently_deleted() in its profile), and a create took 300-500 us of
# kernel time instead of ~40, natively as much as under provfs, so a run's
# time depended on what ran before it.  --no-fresh-fs runs them in WORK.
FRESH_FS=1
FRESH_NOW=0 # set while the current workload uses a fresh filesystem
TARBALL_ARG=""

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift ;;
	--runs=*) RUNS=${1#--runs=} ;;
	--only) ONLY=$2; shift ;;
	--only=*) ONLY=${1#--only=} ;;
	--quick) QUICK=1 ;;
	--native-only) NATIVE_ONLY=1 ;;
	--floor) FLOOR=1 ;;
	--provfs) PROVFS=$2; shift ;;
	--work) WORK=$2; shift ;;
	--no-fresh-fs) FRESH_FS=0 ;;
	--tarball) TARBALL_ARG=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "fs-overhead: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$ONLY" in
"" | compile | tarball | seq) ;;
*) echo "fs-overhead: --only takes compile, tarball or seq, not '$ONLY'" >&2; exit 2 ;;
esac
if [ -n "$TARBALL_ARG" ] && ! tar -tf "$TARBALL_ARG" >/dev/null 2>&1; then
	echo "fs-overhead: --tarball '$TARBALL_ARG' is not a readable uncompressed tarball" >&2
	exit 2
fi
case "$RUNS" in
'' | *[!0-9]* | 0) echo "fs-overhead: --runs needs a positive number" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	[ "$RUNS" = 5 ] && RUNS=1
	SEQ_MB=256
fi
if [ "$(id -u)" != 0 ]; then
	echo "fs-overhead: run as root (it mounts provfs and drops caches)" >&2
	exit 2
fi
if [ "$NATIVE_ONLY" = 0 ] && [ ! -x "$PROVFS" ]; then
	echo "fs-overhead: no provfs binary at '$PROVFS': build it (tools/setup.sh) or pass --provfs" >&2
	exit 2
fi

BUILD_DEPS="build-essential make autoconf automake libtool libtool-bin libreadline-dev
	dpkg-dev xz-utils meson ninja-build pkg-config"
FLOOR_DEPS="build-essential pkg-config libfuse3-dev dpkg-dev fuse3" # passthrough_ll

# The tarball: linux-source, uncompressed once so the run measures files, not xz.
LINUX_TAR=$CACHE/linux/linux-source.tar
SMALL_TAR=$CACHE/small-tree.tar
fetch_tarball() {
	if [ -n "$TARBALL_ARG" ]; then
		TARBALL=$TARBALL_ARG
		return
	fi
	if [ "$QUICK" = 0 ] && [ ! -s "$LINUX_TAR" ]; then
		log "fetching linux-source (about 140 MB) with apt-get download"
		mkdir -p "$CACHE/linux"
		if (cd "$CACHE/linux" && { ls linux-source-*.deb >/dev/null 2>&1 ||
			apt-get download -qq "$(apt-cache depends linux-source |
				sed -n 's/.*Depends: //p' | head -1)"; }); then
			dpkg-deb --fsys-tarfile "$CACHE"/linux/linux-source-*.deb |
				tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
				xz -dc >"$LINUX_TAR.tmp" && mv "$LINUX_TAR.tmp" "$LINUX_TAR"
		fi
	fi
	if [ "$QUICK" = 0 ] && [ -s "$LINUX_TAR" ]; then
		TARBALL=$LINUX_TAR
		return
	fi
	[ "$QUICK" = 1 ] || log "linux-source unavailable: using the small tree instead"
	if [ ! -s "$SMALL_TAR" ]; then
		local d i
		d=$(mktemp -d)
		for i in 1 2 3 4 5 6 7 8; do
			mkdir -p "$d/tree/$i"
			cp -a "$CACHE/src/zlib" "$CACHE/src/lua" "$d/tree/$i/"
			git -C "$ROOT" archive HEAD | tar -x -C "$d/tree/$i"
		done
		tar -cf "$SMALL_TAR" -C "$d" tree
		rm -rf "$d"
	fi
	TARBALL=$SMALL_TAR
}

# ---- workloads: prepare (untimed, into the backing dir) and run (timed) ----

prepare_zlib() { cp -a "$CACHE/src/zlib" "$1/zlib"; }
run_zlib() { cd "$1/zlib" && sh -c "$BUILD_zlib"; }

prepare_lua() { cp -a "$CACHE/src/lua" "$1/lua"; }
run_lua() { cd "$1/lua" && sh -c "$BUILD_lua"; }

prepare_provfs() { mkdir "$1/provfs" && git -C "$ROOT" archive HEAD | tar -x -C "$1/provfs"; }
run_provfs() {
	cd "$1/provfs" && meson setup b >/dev/null && ninja -C b -j2 >/dev/null
}

prepare_tarball() { :; }
run_tarball_extract() { tar -xf "$TARBALL" -C "$1"; }
run_tarball_hash() { cd "$1" && find . -type f -print0 | xargs -0 sha256sum >/dev/null; }

prepare_seq() { :; }
run_seq_write() { dd if=/dev/zero of="$1/big" bs=1M count="$SEQ_MB" conv=fsync status=none; }
run_seq_read() { dd if="$1/big" of=/dev/null bs=1M status=none; }

drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || log "cannot drop caches"
}

# ---- mounts: native runs in the backing directory itself ----

MODES=(native) # in the order of the first run; later runs rotate it
[ "$NATIVE_ONLY" = 1 ] || MODES+=(provfs)
[ "$FLOOR" = 0 ] || MODES+=(floor)

# passthrough_ll's options (its --help, libfuse 3.14), besides -f and source=:
#   timeout=86400  entry and attribute timeout in seconds, as provfs
#   cache=always   keep_cache on open (the page cache survives a reopen) and
#                  cache_readdir on opendir, as provfs
#   allow_other    other users may use the mount, as provfs does as root
# Left at their defaults: no_writeback (provfs turns the writeback cache off
# too), no_xattr (getxattr answers ENOSYS once), no_flock (which only skips
# asking for flock locks: libfuse 3.14 asks anyway, the op being there; provfs
# keeps locks in the kernel), multi-threaded (at most 10 threads, libfuse's
# default, -o max_threads being ignored by this example; provfs allows 16).
# It has no splice options: libfuse's default applies, splice for data coming
# to the daemon (writes) and copies for replies (reads), where provfs does
# the opposite.
FLOOR_OPTS=(-o timeout=86400 -o cache=always -o allow_other)

MOUNTED=""   # "MODE MOUNTPOINT" while one is mounted
FLOOR_PID="" # passthrough_ll, run in the foreground of a background job
# mount_fs MODE DIR: mount DIR/backing on DIR/mnt.
mount_fs() {
	local mode=$1 dir=$2 i
	case "$mode" in
	provfs)
		"$PROVFS" mount --store "$dir/store" --log "$dir/log.db" "$dir/backing" "$dir/mnt" >/dev/null
		;;
	floor)
		# -f: stay in the foreground, in a background job, so that its
		# pid is $! and the unmount can wait for it (it daemonizes
		# without -f); source=: the directory to pass through (default /).
		"$PASSTHROUGH_LL" -f -o source="$dir/backing" "${FLOOR_OPTS[@]}" "$dir/mnt" \
			</dev/null >"$dir/floor.log" 2>&1 &
		FLOOR_PID=$!
		for i in $(seq 1 100); do
			mountpoint -q "$dir/mnt" && break
			if [ "$i" = 100 ] || ! kill -0 "$FLOOR_PID" 2>/dev/null; then
				cat "$dir/floor.log" >&2
				echo "fs-overhead: passthrough_ll did not mount $dir/mnt" >&2
				exit 1
			fi
			sleep 0.1
		done
		;;
	*) return 0 ;;
	esac
	MOUNTED="$mode $dir/mnt"
}

# umount_fs MODE MOUNTPOINT: provfs umount waits until the store and the log
# hold everything; passthrough_ll exits once its mount is gone.
umount_fs() {
	case "$1" in
	provfs) "$PROVFS" umount "$2" >/dev/null ;;
	floor)
		fusermount3 -u "$2" || return
		wait "$FLOOR_PID" || log "passthrough_ll exited with status $?"
		FLOOR_PID=""
		;;
	esac
	MOUNTED=""
}

# ---- one run ----

LOADS="" # 1-minute load average at the start of each run: other work skews timings
cleanup() {
	if [ -n "$MOUNTED" ]; then
		umount_fs "${MOUNTED%% *}" "${MOUNTED#* }" 2>/dev/null ||
			umount -l "${MOUNTED#* }" 2>/dev/null || true
	fi
	[ -z "$FLOOR_PID" ] || kill "$FLOOR_PID" 2>/dev/null || true
	[ -z "${FRESH_MNT:-}" ] || umount -l "$FRESH_MNT" 2>/dev/null || true
	rm -f "$WORK/fresh.img"
	rm -rf "$WORK/run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A FLOOR_FAILED # row -> why the floor could not run it
declare -A SAMPLES # "row mode" -> space-separated seconds

# run_case MODE PREPARE "ROW:FUNC ..." [drop]: one fresh directory (and mount)
# for a sequence of timed phases; "drop" drops caches before each phase.
run_case() {
	local mode=$1 prepare=$2 phases=$3 drop=${4:-} dir target row func t0 t1 u0 u1
	dir=$WORK/run
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$FRESH_NOW" = 0 ] || fresh_fs_mount "$dir"
	mkdir -p "$dir/backing" "$dir/mnt"
	"$prepare" "$dir/backing"
	mount_fs "$mode" "$dir"
	target=$dir/backing
	[ "$mode" = native ] || target=$dir/mnt
	sync
	LOADS="$LOADS $(cut -d' ' -f1 /proc/loadavg)"
	for phase in $phases; do
		row=${phase%%:*}
		func=${phase#*:}
		[ -n "$drop" ] && drop_caches
		t0=$(now)
		if ! (set +e; "$func" "$target") >"$dir/out" 2>&1; then
			tail -5 "$dir/out" >&2
			if [ "$mode" = floor ]; then
				# The floor is a reference, not the subject: note
				# it and go on (passthrough_ll keeps an fd per
				# inode and runs out of them on a large tree).
				log "$row failed on floor: $(head -1 "$dir/out")"
				FLOOR_FAILED["$row"]=$(head -1 "$dir/out" | tr -s ' \t' '__' | cut -c1-80)
				break
			fi
			echo "fs-overhead: $row failed on $mode (see above)" >&2
			exit 1
		fi
		t1=$(now)
		add_sample "$row" "$mode" "$(calc "$t1 - $t0")"
	done
	if [ "$mode" != native ]; then
		u0=$(now)
		umount_fs "$mode" "$dir/mnt"
		u1=$(now)
		[ "$mode" != provfs ] || add_sample "$row" flush "$(calc "$u1 - $u0")"
	fi
	[ "$FRESH_NOW" = 0 ] || fresh_fs_umount "$dir"
	rm -rf "$dir"
}

# fresh_fs_mount DIR: a new ext4 on a sparse 16 GiB image in WORK, on DIR.
fresh_fs_mount() {
	FRESH_IMG=$WORK/fresh.img
	rm -f "$FRESH_IMG"
	truncate -s 16G "$FRESH_IMG"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$FRESH_IMG" ||
		{ echo "fs-overhead: mkfs.ext4 failed (use --no-fresh-fs)" >&2; exit 1; }
	mount -o loop "$FRESH_IMG" "$1" ||
		{ echo "fs-overhead: cannot loop-mount a fresh filesystem (use --no-fresh-fs)" >&2; exit 1; }
	FRESH_MNT=$1
}

fresh_fs_umount() {
	umount "$1" && FRESH_MNT=""
	rm -f "$FRESH_IMG"
}

# measure PREPARE "ROW:FUNC ..." [drop]: RUNS rounds of every mode, the
# order rotating (native/provfs, then provfs/native, and so on).
measure() {
	local i j mode n=${#MODES[@]}
	for i in $(seq 1 "$RUNS"); do
		for j in $(seq 0 $((n - 1))); do
			mode=${MODES[$(((i - 1 + j) % n))]}
			log "run $i/$RUNS $mode: ${2//:run_/ }"
			run_case "$mode" "$@"
		done
	done
}

# ---- statistics and report ----


# Median over runs of MODE/native for times, native/MODE for throughputs.
pair_ratio_median() { # row kind(time|rate) mode
	local -a n p
	read -r -a n <<<"${SAMPLES["$1 native"]:-}"
	read -r -a p <<<"${SAMPLES["$1 $3"]:-}"
	local ratios=() i
	for i in "${!n[@]}"; do
		[ -n "${p[$i]:-}" ] || continue
		if [ "$2" = time ]; then
			ratios+=("$(calc "${p[$i]} / ${n[$i]}")")
		else
			ratios+=("$(calc "${n[$i]} / ${p[$i]}")")
		fi
	done
	median "${ratios[@]}"
}

STAMP=$(date +%Y%m%d-%H%M%S)
REPORT=$RESULTS/fs-overhead-$STAMP.txt
ROWS=()

# shown KIND MEDIAN: a median of seconds as the table shows it.
shown() {
	if [ "$2" = nan ]; then
		echo -
	elif [ "$1" = rate ]; then
		printf '%.0f MB/s' "$(calc "$SEQ_MB / $2")"
	else
		printf '%.2f s' "$2"
	fi
}

# shown_ratio RATIO
shown_ratio() { [ "$1" = nan ] && echo - || printf '%.3f' "$1"; }

# row NAME KIND(time|rate) TARGET: one line of the table and of the report.
row() {
	local name=$1 kind=$2 target=$3 nmed pmed fmed ratio verdict
	local flmed flratio pvf floor_cols="" floor_keys=""
	# shellcheck disable=SC2086
	nmed=$(median ${SAMPLES["$name native"]:-})
	# shellcheck disable=SC2086
	pmed=$(median ${SAMPLES["$name provfs"]:-})
	# shellcheck disable=SC2086
	fmed=$(median ${SAMPLES["$name flush"]:-})
	if [ "$pmed" = nan ]; then
		ratio=nan verdict="native only"
	elif [ "$target" = - ]; then
		ratio=$(pair_ratio_median "$name" "$kind" provfs) verdict=""
	else
		ratio=$(pair_ratio_median "$name" "$kind" provfs)
		if [ "$kind" = rate ]; then
			verdict=$(calc "$ratio >= $target" | sed 's/1/meets/; s/0/MISSES/')
		else
			verdict=$(calc "$ratio <= $target" | sed 's/1/meets/; s/0/MISSES/')
		fi
	fi
	local tshown
	if [ "$target" = - ]; then
		tshown="-"
	elif [ "$kind" = rate ]; then
		tshown=">= $target"
	else
		tshown="<= $target"
	fi
	if [ "$FLOOR" = 1 ]; then
		# shellcheck disable=SC2086
		flmed=$(median ${SAMPLES["$name floor"]:-})
		flratio=$(pair_ratio_median "$name" "$kind" floor)
		if [ "$pmed" = nan ] || [ "$flmed" = nan ]; then
			pvf=nan
		elif [ "$kind" = rate ]; then # provfs's throughput over the floor's
			pvf=$(printf '%.3f' "$(calc "$flmed / $pmed")")
		else
			pvf=$(printf '%.3f' "$(calc "$pmed / $flmed")")
		fi
		floor_cols=$(printf '%-11s %12s %8s %8s' "$verdict" "$(shown "$kind" "$flmed")" \
			"$(shown_ratio "$flratio")" "$(shown_ratio "$pvf")")
		floor_keys=" floor_median=$flmed floor_ratio=$flratio provfs_vs_floor=$pvf"
		if [ -n "${FLOOR_FAILED[$name]:-}" ]; then
			floor_keys="$floor_keys floor_failed=${FLOOR_FAILED[$name]}"
		elif [ "$flmed" = nan ] && [ "${#FLOOR_FAILED[@]}" -gt 0 ]; then
			floor_keys="$floor_keys floor_failed=an_earlier_phase_failed"
		fi
	fi
	printf '%-22s %12s %12s %8s %10s  %s\n' "$name" "$(shown "$kind" "$nmed")" \
		"$(shown "$kind" "$pmed")" "$(shown_ratio "$ratio")" "$tshown" "${floor_cols:-$verdict}"
	ROWS+=("$name kind=$kind native_median=$nmed provfs_median=$pmed ratio=$ratio target=$tshown verdict=${verdict:-info} umount_median=$fmed$floor_keys")
}

# ---- main ----

mkdir -p "$WORK" "$RESULTS"
# shellcheck disable=SC2086
want compile && { install_deps $BUILD_DEPS; fetch_sources; }
# shellcheck disable=SC2086
want tarball && { install_deps $BUILD_DEPS; fetch_sources; fetch_tarball; }
# shellcheck disable=SC2086
[ "$FLOOR" = 0 ] || { install_deps $FLOOR_DEPS; build_passthrough_ll; }

if want compile; then
	measure prepare_zlib "compile-zlib:run_zlib"
	measure prepare_lua "compile-lua5.4:run_lua"
	measure prepare_provfs "compile-provfs:run_provfs"
fi
FRESH_NOW=$FRESH_FS
if want tarball; then
	measure prepare_tarball "tarball-extract:run_tarball_extract tarball-hash:run_tarball_hash"
	# The target is on the whole job: extraction plus hashing.
	for m in "${MODES[@]}"; do
		read -r -a e <<<"${SAMPLES["tarball-extract $m"]:-}"
		read -r -a h <<<"${SAMPLES["tarball-hash $m"]:-}"
		for i in "${!e[@]}"; do
			add_sample tarball-total "$m" "$(calc "${e[$i]} + ${h[$i]}")"
		done
	done
fi
if want seq; then
	measure prepare_seq "seq-write:run_seq_write seq-read:run_seq_read" drop
fi
FRESH_NOW=0

{
	echo
	echo "provfs overhead, $(date -u '+%Y-%m-%d %H:%M UTC'), $RUNS run(s) each, $(nproc) cores," \
		"kernel $(uname -r), provfs $(git -C "$ROOT" rev-parse --short HEAD)"
	[ "$NATIVE_ONLY" = 1 ] && echo "(native only: no provfs runs)"
	if [ "$FLOOR" = 1 ]; then
		printf '%-22s %12s %12s %8s %10s  %-11s %12s %8s %8s\n' \
			workload native provfs ratio target verdict floor fl_ratio p/floor
	else
		printf '%-22s %12s %12s %8s %10s  %s\n' workload native provfs ratio target verdict
	fi
	printf '%-22s %12s %12s %8s %10s  %s\n' "(medians)" "" "" "" "" ""
	if want compile; then
		row compile-zlib time 1.05
		row compile-lua5.4 time 1.05
		row compile-provfs time 1.05
	fi
	if want tarball; then
		row tarball-extract time -
		row tarball-hash time -
		row tarball-total time 1.50
	fi
	if want seq; then
		row seq-write rate 0.80
		row seq-read rate 0.80
	fi
	echo "load average at run starts: $LOADS (above ~0.5 means something else ran)"
	echo "ratio: median over runs of provfs/native time (native/provfs for throughput);"
	echo "provfs times exclude 'provfs umount' (waits for store and log): umount_median in the report"
	if [ "$FRESH_FS" = 1 ] && { want tarball || want seq; }; then
		echo "tarball and seq: each run on a fresh ext4 (loop image) holding backing tree and store"
	fi
	if [ "$FLOOR" = 1 ]; then
		echo "floor: libfuse $(pkg-config --modversion fuse3)'s example passthrough_ll ${FLOOR_OPTS[*]};"
		echo "fl_ratio: as ratio, for the floor; p/floor: provfs median time / floor median" \
			"time (floor/provfs for throughput)"
	fi
}

{
	echo "# fs-overhead $(date -u '+%Y-%m-%dT%H:%M:%SZ') runs=$RUNS quick=$QUICK seq_mb=$SEQ_MB"
	echo "# host cores=$(nproc) kernel=$(uname -r) provfs=$(git -C "$ROOT" rev-parse HEAD)"
	echo "# tarball=${TARBALL:-none} fresh_fs=$FRESH_FS"
	[ "$FLOOR" = 0 ] || echo "# floor=passthrough_ll libfuse=$(pkg-config --modversion fuse3)" \
		"options=${FLOOR_OPTS[*]}"
	echo "# loadavg_at_run_start=$LOADS"
	for r in "${ROWS[@]}"; do echo "row $r"; done
	for k in "${!SAMPLES[@]}"; do echo "samples $k${SAMPLES[$k]}"; done | sort
} >"$REPORT"
echo "results written to $REPORT" >&2
