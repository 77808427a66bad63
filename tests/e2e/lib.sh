# Helpers for end-to-end tests.  Each test is one behaviour; it exits 0 on
# pass, 1 on failure, 77 to skip.  Environment (from tests/run.sh):
#   PROVFS  the provfs binary     TMPDIR  a fresh scratch directory
#   BUILD   the build directory   SRCROOT the source tree
set -u
: "${PROVFS:?PROVFS must name the provfs binary}"
: "${TMPDIR:?}"
T=$TMPDIR
MOUNTS=""

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

# mount_ws BACKING MOUNTPOINT [provfs mount options...]: store $T/store, log $T/log.db
# (and the options in MOUNT_OPTS, for a test run again in another mode)
mount_ws() {
	b=$1
	m=$2
	shift 2
	mkdir -p "$b" "$m"
	# shellcheck disable=SC2086
	"$PROVFS" mount --store "$T/store" --log "$T/log.db" ${MOUNT_OPTS:-} "$@" "$b" "$m" >/dev/null ||
		fail "mount of $b on $m failed"
	MOUNTS="$m $MOUNTS"
}

# mount_daemon BACKING MOUNTPOINT [provfs mount options...]: as mount_ws,
# with the daemon's pid in DAEMON_PID (from mount --json).  Not in a
# subshell: it adds to MOUNTS.
mount_daemon() {
	b=$1
	m=$2
	shift 2
	mkdir -p "$b" "$m"
	DAEMON_PID=$("$PROVFS" mount --json --store "$T/store" --log "$T/log.db" "$@" "$b" "$m" |
		sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p')
	MOUNTS="$m $MOUNTS"
	[ -n "$DAEMON_PID" ] && [ -d "/proc/$DAEMON_PID" ] || fail "no daemon pid from mount --json"
}

# stop_daemon PID: SIGSTOP, and wait (5 s at most) until it is stopped.
stop_daemon() {
	kill -STOP "$1"
	_i=0
	while [ "$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat")" != T ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# hold_opens FILE: after one open of FILE (which registers its backing
# file), opens it 1000 times at once and prints the fd counts of the
# daemon of mount_daemon before and while they are open, how many
# distinct contents the 1000 read, and the digest of the content.
hold_opens() {
	cat "$1" >/dev/null
	python3 - "$1" "/proc/$DAEMON_PID/fd" <<'PY'
import hashlib, os, sys
before = len(os.listdir(sys.argv[2]))
fds = [os.open(sys.argv[1], os.O_RDONLY) for _ in range(1000)]
during = len(os.listdir(sys.argv[2]))
digests = {hashlib.sha256(os.pread(fd, 1 << 20, 0)).hexdigest() for fd in fds}
for fd in fds:
    os.close(fd)
print(before, during, len(digests), digests.pop())
PY
}

# fuse_trace MOUNTPOINT: the fuse tracepoint's lines in $TR/trace for that
# mount's connection alone (its device minor): other FUSE mounts busy on
# the machine meanwhile are not counted.
fuse_trace() {
	grep "connection $(stat -c %Ld "$1") " "${TR:-/sys/kernel/tracing}/trace"
}

umount_ws() {
	"$PROVFS" umount "$1" || fail "umount of $1 failed"
	MOUNTS=$(echo "$MOUNTS" | sed "s# $1 # #; s#^$1 ##")
}

. "$(dirname "$0")/diag.sh"
# tests/run.sh stops a test after 600 s: say where a stuck one waits first.
watchdog_start "${WATCHDOG_SECONDS:-540}"

cleanup() {
	watchdog_stop
	for m in $MOUNTS; do
		if grep -q " $m " /proc/mounts; then
			"$PROVFS" umount "$m" >/dev/null 2>&1 || umount -l "$m" 2>/dev/null
		fi
	done
}
trap cleanup EXIT

# sql QUERY: runs QUERY against the access log.
sql() {
	sqlite3 "$T/log.db" "$1"
}

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# store_object STORE DIGEST: where the object of DIGEST lies in STORE.
store_object() {
	echo "$1/objects/sha256/$(echo "$2" | cut -c1-2)/$(echo "$2" | cut -c3-)"
}

# The final digest the log's summary gives for an output path.
output_digest() {
	"$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in d["outputs"]:
    if o["path"] == sys.argv[1]:
        print(o.get("sha256", ""))
' "$1"
}

input_digest() {
	"$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in d["inputs"]:
    if o["path"] == sys.argv[1]:
        print(o.get("sha256", ""))
' "$1"
}

# tiny_root DIR PROGRAM...: a small root filesystem for an environment:
# the programs (in DIR/bin) with the libraries they link, and the empty
# directories a slave needs (tmp, proc, dev, build, run, etc).
tiny_root() {
	r=$1
	shift
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/dev" "$r/build" "$r/run"
	for b in "$@"; do
		cp -L "$b" "$r/bin/"
		ldd "$b" | grep -o '/[^ ]*' | while read -r lib; do
			mkdir -p "$r$(dirname "$lib")"
			cp -L "$lib" "$r$lib"
		done
	done
}
