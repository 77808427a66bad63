#!/bin/bash
# What 'provfs run' with full capture costs against a native build, and
# against two other ways of learning what a build touched: strace and
# reprozip.
#
# Each Debian source package (zlib, lua5.4; fetched once with apt-get source
# into bench/.cache) is built four ways, the order rotating from run to run:
#   native    sh -c BUILD in a fresh copy of the sources
#   provfs    provfs run --store SCRATCH --key KEY --out M -- sh -c BUILD
#             (host root read-only and logged, workspace and /tmp logged,
#             outputs and inputs copied into a fresh store, manifest signed)
#   strace    strace -f -e trace=%file,%process -o FILE sh -c BUILD
#   reprozip  reprozip trace -d DIR sh -c BUILD (with clone3 disabled: see
#             build_noclone3)
# Printed: the median wall time of each, the median over runs of the ratio
# to native, and the targets beside them, with a noise line: native's and
# provfs's own spread (min-max) and the provfs/native ratio of each round.  A machine-readable copy goes to
# bench/results/run-overhead-<date>-<time>.txt.
#
# Then what each captured: every file reprozip's config.yml lists as read
# (packages' files, other_files, inputs_outputs read by the run), under the
# build directory or a system path, must appear among the manifest's
# resolvedDependencies (names, or uri for an input of unknown digest).
#
#   bench/run-overhead.sh [--runs N] [--only zlib|lua] [--quick]
#                         [--provfs PATH] [--work DIR] [--warm-store]
#
# --warm-store keeps one store for all provfs runs (as a build slave does),
# filled by one untimed build first: the host's compilers and libraries are
# then already stored, and a build's capture is its own outputs and the
# inputs that changed.  Without it every timed build starts from an empty
# store and copies every input it read.
#
# --quick is one run of zlib only.  Targets: provfs within 10% of native,
# and its added time at least 3x smaller than reprozip trace's.  Run as
# root (provfs run mounts).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$ROOT/bench/.cache
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
RESULTS=$ROOT/bench/results
RUNS=5
ONLY=""
QUICK=0
PROVFS=${PROVFS:-$ROOT/build/tools/provfs}
WORK=${BENCH_WORK:-$ROOT/bench/.work}
MODES="native provfs strace reprozip"

while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2; shift ;;
	--runs=*) RUNS=${1#--runs=} ;;
	--only) ONLY=$2; shift ;;
	--only=*) ONLY=${1#--only=} ;;
	--quick) QUICK=1 ;;
	--provfs) PROVFS=$2; shift ;;
	--work) WORK=$2; shift ;;
	--warm-store) WARM=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run-overhead: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$ONLY" in
"" | zlib | lua) ;;
*) echo "run-overhead: --only takes zlib or lua, not '$ONLY'" >&2; exit 2 ;;
esac
case "$RUNS" in
'' | *[!0-9]* | 0) echo "run-overhead: --runs needs a positive number" >&2; exit 2 ;;
esac
if [ "$QUICK" = 1 ]; then
	[ "$RUNS" = 5 ] && RUNS=1
	[ -z "$ONLY" ] && ONLY=zlib
fi
if [ "$(id -u)" != 0 ]; then
	echo "run-overhead: run as root (provfs run mounts filesystems)" >&2
	exit 2
fi
if [ ! -x "$PROVFS" ]; then
	echo "run-overhead: no provfs binary at '$PROVFS': build it (tools/setup.sh) or pass --provfs" >&2
	exit 2
fi
PROVFS=$(cd "$(dirname "$PROVFS")" && pwd)/$(basename "$PROVFS")
PY=/usr/bin/python3 # Debian's, which has yaml (a dependency of reprozip)

# reprozip 1.1 (Debian 12) does not know clone3(2), which glibc 2.34+ uses
# for posix_spawn and threads: its tracer stops with "process created new
# process ... but we didn't see syscall entry" (fixed upstream later, see
# VIDA-NYU/reprozip#389).  glibc falls back to clone(2) when clone3 fails
# with ENOSYS, so reprozip runs under a seccomp filter that makes it fail.
NOCLONE3=$WORK/noclone3
build_noclone3() {
	[ -x "$NOCLONE3" ] && [ "$NOCLONE3" -nt "$0" ] && return 0
	cat >"$NOCLONE3.c" <<'EOC'
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("noclone3");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
EOC
	cc -O2 -Wall -o "$NOCLONE3" "$NOCLONE3.c"
}

# The builds, BUILD_zlib and BUILD_lua, are in bench/lib.sh.

# ---- one run ----

RUN=$WORK/run     # this run's scratch: src/ (the build), store/, strace.out, rz/
KEEP=$WORK/keep   # what the coverage check needs from earlier runs
KEY=$WORK/key/bench
LOADS="" # 1-minute load average at the start of each run: other work skews timings
cleanup() {
	# provfs run takes its own mounts (under /run/provfs) down, even when
	# the build is interrupted; only the scratch directory is ours.
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A SAMPLES # "workload mode" -> space-separated seconds
declare -A EXTRA   # "workload key" -> value, for the report

store_dir() {
	if [ "${WARM:-0}" = 1 ]; then echo "$WORK/store"; else echo "$RUN/store"; fi
}

# warm_store WORKLOAD: one untimed provfs build into the shared store.
warm_store() {
	local wl=$1 cmd=BUILD_$1
	cmd=${!cmd}
	[ "${WARM:-0}" = 1 ] || return 0
	[ -e "$WORK/store/warm-$wl" ] && return 0
	rm -rf "$RUN" && mkdir -p "$RUN" && cp -a "$CACHE/src/$wl" "$RUN/src"
	(cd "$RUN/src" && "$PROVFS" run --quiet --store "$WORK/store" --key "$KEY.key" \
		--out "$RUN/warm.json" -- sh -c "$cmd" >/dev/null 2>&1) && touch "$WORK/store/warm-$wl"
}

# run_case WORKLOAD MODE: fresh sources, one timed build.
run_case() {
	local wl=$1 mode=$2 src=$RUN/src cmd t0 t1 rc=0
	cmd=BUILD_$wl
	cmd=${!cmd}
	[ "$mode" = provfs ] && warm_store "$wl"
	rm -rf "$RUN"
	mkdir -p "$RUN" "$KEEP"
	cp -a "$CACHE/src/$wl" "$src"
	sync
	LOADS="$LOADS $(cut -d' ' -f1 /proc/loadavg)"
	cd "$src"
	t0=$(now)
	case "$mode" in
	native) sh -c "$cmd" >"$RUN/out" 2>&1 || rc=$? ;;
	provfs) "$PROVFS" run --quiet --store "$(store_dir)" --key "$KEY.key" \
		--out "$RUN/manifest.json" -- sh -c "$cmd" >"$RUN/out" 2>&1 || rc=$? ;;
	strace) strace -f -e trace=%file,%process -o "$RUN/strace.out" \
		sh -c "$cmd" >"$RUN/out" 2>&1 || rc=$? ;;
	reprozip) "$NOCLONE3" reprozip trace -d "$RUN/rz" --overwrite sh -c "$cmd" >"$RUN/out" 2>&1 || rc=$? ;;
	esac
	t1=$(now)
	cd "$ROOT"
	if [ "$rc" != 0 ]; then
		tail -20 "$RUN/out" >&2
		echo "run-overhead: $wl failed under $mode (exit $rc; see above)" >&2
		exit 1
	fi
	add_sample "$wl" "$mode" "$(calc "$t1 - $t0")"
	case "$mode" in
	provfs)
		cp "$RUN/manifest.json" "$KEEP/$wl.manifest.json"
		EXTRA["$wl store_mib"]=$(du -sm "$(store_dir)" | cut -f1)
		;;
	strace) EXTRA["$wl strace_lines"]=$(wc -l <"$RUN/strace.out") ;;
	reprozip)
		cp "$RUN/rz/config.yml" "$KEEP/$wl.config.yml"
		# Compared now, while reprozip's build tree exists (to tell files
		# from directories); the manifest is the latest provfs run's.
		if [ -f "$KEEP/$wl.manifest.json" ]; then
			coverage "$wl" "$src" "$CACHE/src/$wl" >"$KEEP/$wl.coverage"
		fi
		;;
	esac
	rm -rf "$RUN"
}

# coverage WORKLOAD SRC PRISTINE: reprozip's files against the manifest.
# config.yml does not say how a file was used, and it lists files only
# stat()ed too (gcc probing for lto-wrapper), which are no inputs; so each
# listed path is looked up in reprozip's trace.sqlite3: opened for reading
# or executed means read.  A read file the build made itself (absent from
# the pristine sources: zlib's *.lo, renamed into place) is an output, so it
# is looked for among the subjects instead (if it still exists at the end).  Prints "key value" lines, then
# "missing_path PATH" lines.
coverage() {
	"$PY" - "$KEEP/$1.config.yml" "$RUN/rz/trace.sqlite3" "$KEEP/$1.manifest.json" "$2" "$3" <<'PY'
import base64, json, os, sqlite3, sys
import yaml

config, trace, manifest, src, pristine = sys.argv[1:6]
FILE_READ = 1  # reprozip/tracer: opened_files.mode bits (1 read, 2 write, 8 stat...)

with open(config) as f:
    cfg = yaml.safe_load(f)
listed = set()
for pkg in cfg.get("packages") or []:
    listed.update(pkg.get("files") or [])
listed.update(cfg.get("other_files") or [])
for io in cfg.get("inputs_outputs") or []:
    if io.get("read_by_runs"):
        listed.add(io["path"])

db = sqlite3.connect(trace)
how = {}  # realpath -> "read" or "stat"
for name, mode in db.execute("SELECT name, mode FROM opened_files WHERE is_directory = 0"):
    real = os.path.realpath(name)
    if mode & FILE_READ:
        how[real] = "read"
    else:
        how.setdefault(real, "stat")
for (name,) in db.execute("SELECT name FROM executed_files"):
    how[os.path.realpath(name)] = "read"

with open(manifest) as f:
    statement = json.loads(base64.b64decode(json.load(f)["payload"]))
deps, subjects = set(), {s["name"] for s in statement["subject"]}
for dep in statement["predicate"]["buildDefinition"]["resolvedDependencies"]:
    deps.add(dep.get("name", ""))
    uri = dep.get("uri", "")
    if uri.startswith("file://"):
        deps.add(uri[len("file://"):])

SYSTEM = ("/usr/", "/etc/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/opt/", "/var/")
n = dict(listed=len(listed), dirs=0, other=0, stat_only=0, read=0, read_workspace=0,
         made_by_build=0, made_by_build_not_subject=0)
seen, missing = set(), []
for path in listed:
    real = os.path.realpath(path)
    if real in seen:
        continue
    seen.add(real)
    if os.path.isdir(real):
        n["dirs"] += 1
        continue
    if real == src or real.startswith(src + "/"):
        key = os.path.relpath(real, src)  # the manifest names workspace files relatively
    elif real.startswith(SYSTEM):
        key = real
    else:
        n["other"] += 1  # /proc, /dev, /tmp, $HOME...: not compared
        continue
    if how.get(real) != "read":
        n["stat_only"] += 1
        continue
    if not key.startswith("/") and not os.path.lexists(os.path.join(pristine, key)):
        n["made_by_build"] += 1
        # a temporary file the build removed again (conftest.o) is no subject
        if key not in subjects and os.path.lexists(real):
            n["made_by_build_not_subject"] += 1
            missing.append(key + " (made by the build; not a subject either)")
        continue
    n["read"] += 1
    n["read_workspace"] += not key.startswith("/")
    if key not in deps:
        missing.append(key)
n["missing"] = len(missing)
n["manifest_deps"] = len(deps)
n["manifest_subjects"] = len(subjects)
for k, v in n.items():
    print(k, v)
for m in sorted(missing):
    print("missing_path", m)
PY
}

# measure WORKLOAD: RUNS rounds of every mode, the order rotating each round.
measure() {
	local wl=$1 i k mode
	local -a modes
	read -r -a modes <<<"$MODES"
	for i in $(seq 1 "$RUNS"); do
		for k in 0 1 2 3; do
			mode=${modes[$(((i - 1 + k) % 4))]}
			log "run $i/$RUNS $wl: $mode"
			run_case "$wl" "$mode"
		done
	done
}

# ---- statistics and report ----

# round_ratios WORKLOAD MODE: MODE time / native time of each round, in
# run order, one per line.
round_ratios() {
	local -a n m
	local i
	read -r -a n <<<"${SAMPLES["$1 native"]:-}"
	read -r -a m <<<"${SAMPLES["$1 $2"]:-}"
	for i in "${!n[@]}"; do
		if [ -n "${m[$i]:-}" ]; then calc "${m[$i]} / ${n[$i]}"; fi
	done
}

# Median over runs of MODE time / native time (same round).
ratio_median() { # workload mode
	local -a ratios
	mapfile -t ratios < <(round_ratios "$1" "$2")
	median "${ratios[@]}"
}

# spread SAMPLE...: "MIN-MAX" of the numbers given, two decimals.
spread() {
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { if (NR) printf "%.2f-%.2f\n", lo, hi; else print "nan" }'
}

STAMP=$(date +%Y%m%d-%H%M%S)
REPORT=$RESULTS/run-overhead-$STAMP.txt
ROWS=()

# table WORKLOAD: the timing rows, the targets, and the coverage check.
table() {
	local wl=$1 mode med ratio nmed pmed rmed padd radd times verdict cov
	nmed=$(median ${SAMPLES["$wl native"]})
	for mode in $MODES; do
		# shellcheck disable=SC2086
		med=$(median ${SAMPLES["$wl $mode"]})
		ratio=$(ratio_median "$wl" "$mode")
		printf '%-8s %-9s %9.2f s %8.3f %+9.2f s\n' "$wl" "$mode" "$med" "$ratio" \
			"$(calc "$med - $nmed")"
		ROWS+=("$wl mode=$mode median=$med ratio=$ratio added=$(calc "$med - $nmed")")
	done
	pmed=$(median ${SAMPLES["$wl provfs"]})
	rmed=$(median ${SAMPLES["$wl reprozip"]})
	padd=$(calc "$pmed - $nmed")
	radd=$(calc "$rmed - $nmed")
	ratio=$(ratio_median "$wl" provfs)
	verdict=$(calc "$ratio <= 1.10" | sed 's/1/meets/; s/0/MISSES/')
	printf '  target: provfs <= 1.10 x native: %.3f, %s\n' "$ratio" "$verdict"
	ROWS+=("$wl target=provfs_ratio<=1.10 value=$ratio verdict=$verdict")
	# How far to trust that median on a noisy machine: each mode's own
	# spread, and the ratio of every round.
	# shellcheck disable=SC2086
	printf '  noise: native %s s, provfs %s s; provfs/native by round: %s\n' \
		"$(spread ${SAMPLES["$wl native"]})" "$(spread ${SAMPLES["$wl provfs"]})" \
		"$(round_ratios "$wl" provfs | xargs -r printf '%.3f ' | sed 's/ $//')"
	if [ "$(calc "$padd <= 0")" = 1 ]; then
		times=inf
		verdict=meets
	else
		times=$(printf '%.2f' "$(calc "$radd / $padd")")
		verdict=$(calc "$times >= 3" | sed 's/1/meets/; s/0/MISSES/')
	fi
	printf '  target: reprozip added / provfs added >= 3: %.2f s / %.2f s = %s, %s\n' \
		"$radd" "$padd" "$times" "$verdict"
	ROWS+=("$wl target=reprozip_added/provfs_added>=3 value=$times verdict=$verdict")
	printf '  provfs store after one build: %s MiB; strace log: %s lines\n' \
		"${EXTRA["$wl store_mib"]:-?}" "${EXTRA["$wl strace_lines"]:-?}"
	cov=$KEEP/$wl.coverage
	if [ -s "$cov" ]; then
		awk '$1 != "missing_path" { v[$1] = $2 }
			END { printf "  coverage: reprozip config.yml lists %d paths: %d directories, %d outside the build dir and system paths, %d only stat()ed (per its trace), %d made by the build (%d of them not subjects), %d files read (%d in the build dir)\n",
				v["listed"], v["dirs"], v["other"], v["stat_only"], v["made_by_build"],
				v["made_by_build_not_subject"], v["read"], v["read_workspace"]
			      printf "  coverage: %d of those missing from the manifest (%d resolvedDependencies, %d subjects)\n",
				v["missing"], v["manifest_deps"], v["manifest_subjects"] }' "$cov"
		{ grep '^missing_path ' "$cov" || true; } | sed 's/^missing_path /    missing: /' | head -40
		n=$(grep -c '^missing_path ' "$cov" || true)
		[ "$n" -le 40 ] || echo "    ... and $((n - 40)) more (see the report)"
		ROWS+=("$wl coverage $(awk '$1 != "missing_path" { printf "%s=%s ", $1, $2 }' "$cov")")
	else
		echo "  coverage: not compared (no provfs manifest before the reprozip run)"
	fi
}

# ---- main ----

mkdir -p "$WORK" "$RESULTS" "$(dirname "$KEY")"
install_deps build-essential make autoconf automake libtool libtool-bin libreadline-dev \
	dpkg-dev strace reprozip python3-yaml
fetch_sources
build_noclone3
[ -f "$KEY.key" ] || "$PROVFS" keygen --out "$KEY" >/dev/null
rm -rf "$KEEP"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

want zlib && measure zlib
want lua && measure lua

{
	echo
	echo "provfs run overhead, $(date -u '+%Y-%m-%d %H:%M UTC'), $RUNS run(s) each, $(nproc) cores," \
		"kernel $(uname -r), provfs $(git -C "$ROOT" rev-parse --short HEAD)"
	printf '%-8s %-9s %11s %8s %11s\n' build mode median ratio added
	want zlib && table zlib
	want lua && table lua
	echo "load average: $LOAD_START at start; 1-minute at each run start:$LOADS"
	echo "(above ~0.5 means something else ran: the machine has $(nproc) cores)"
	echo "ratio: median over rounds of mode/native; added: median(mode) - median(native)."
	if [ "${WARM:-0}" = 1 ]; then
		echo "provfs: whole 'provfs run' (mounts, build, unmount, inputs and outputs copied into"
		echo "one store kept for all its runs (--warm-store), manifest signed); reprozip: whole"
		echo "'reprozip trace' incl. its package lookup."
	else
		echo "provfs: whole 'provfs run' (mounts, build, unmount, inputs and outputs copied into a"
		echo "fresh store, manifest signed); reprozip: whole 'reprozip trace' incl. its package lookup."
	fi
}

{
	echo "# run-overhead $(date -u '+%Y-%m-%dT%H:%M:%SZ') runs=$RUNS quick=$QUICK only=${ONLY:-all}"
	echo "# host cores=$(nproc) kernel=$(uname -r) provfs=$(git -C "$ROOT" rev-parse HEAD)"
	echo "# strace=$(strace -V | head -1 | awk '{ print $NF }') reprozip=$(reprozip --version 2>&1 | awk '{ print $NF }')"
	echo "# loadavg_start=$LOAD_START loadavg_at_run_start=$LOADS"
	for r in "${ROWS[@]}"; do echo "row $r"; done
	for k in "${!SAMPLES[@]}"; do echo "samples $k${SAMPLES[$k]}"; done | sort
	for wl in zlib lua; do
		[ -s "$KEEP/$wl.coverage" ] && sed "s/^/coverage $wl /" "$KEEP/$wl.coverage"
	done
	true
} >"$REPORT"
echo "results written to $REPORT" >&2
