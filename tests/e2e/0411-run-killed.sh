# provfs run killed with SIGKILL (a CI job's hard timeout: no teardown):
# the build's processes die with it, and its three mount daemons, started
# with --die-with-parent, unmount themselves and end, recording each mount
# as 'abandoned' in a log that provfs log still reads; also when it is
# killed while it starts them.  provfs mount
# --die-with-parent alone: the mount goes when the process that ran the
# command exits.  A later run removes the empty mount-point directories of
# killed runs (older than 10 minutes), not a recent one's.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
"$PROVFS" run --store "$T/store" --quiet -- sh -c 'echo started >marker; exec sleep 1411' &
rpid=$!
wait_for 30 test -s marker || fail "the build did not start"
id=$(ls "$T/store/builds")
[ -n "$id" ] && grep -q " /run/provfs/run-$id/workspace " /proc/mounts || fail "no mounts for build '$id'"
kill -9 "$rpid"
wait "$rpid" 2>/dev/null
gone() {
	! grep -q " /run/provfs/run-$id/" /proc/mounts &&
		! pgrep -f "sleep 1411" >/dev/null &&
		! pgrep -f "provfs mount .*run-$id/" >/dev/null
}
wait_for 30 gone || fail "left behind: $(grep " /run/provfs/run-$id/" /proc/mounts) $(pgrep -af "sleep 1411|run-$id/")"
log=$T/store/builds/$id/log.db
assert_eq "root|1|abandoned tmp|1|abandoned workspace|1|abandoned" \
	"$(sqlite3 "$log" "select label || '|' || (finished_ns > 0) || '|' || status from mount order by label" | tr '\n' ' ' | sed 's/ $//')" \
	"mount rows of the killed run"
"$PROVFS" log --json "$log" >"$T/log.json" || fail "provfs log on the killed run's log"
python3 -c 'import json, sys
outs = [o["path"] for o in json.load(open(sys.argv[1]))["outputs"] if o["mount"] == "workspace"]
sys.exit(0 if outs == ["/marker"] else "outputs: %r" % outs)' "$T/log.json" ||
	fail "the marker is not the workspace's output"

# Killed while it starts its daemons: one that started after provfs run
# was gone watched init, which it took for its parent, and stayed (with
# its mount, holding the store's lock, so gc waited for ever).
for d in 0.004 0.006 0.008 0.010 0.012 0.015 0.02 0.03 0.005 0.009 0.011 0.014; do
	"$PROVFS" run --store "$T/early" --quiet -- true >/dev/null 2>&1 </dev/null &
	p=$!
	sleep $d
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
done
wait_for 30 sh -c "! pgrep -f '[p]rovfs mount .*--store $T/early ' >/dev/null" ||
	fail "daemons of runs killed at their start were left: $(pgrep -af "[p]rovfs mount .*--store $T/early ")"
for b in $(ls "$T/early/builds" 2>/dev/null); do
	grep -q " /run/provfs/run-$b/" /proc/mounts && fail "a mount of a run killed at its start was left"
done

# provfs mount --die-with-parent on its own.
mkdir -p "$T/b" "$T/m"
sh -c '"$1" mount --die-with-parent --store "$2/store" --log "$2/m.db" "$2/b" "$2/m" >/dev/null &&
	echo x >"$2/m/f"' sh "$PROVFS" "$T" || fail "mount --die-with-parent"
MOUNTS="$T/m"
wait_for 30 sh -c "! grep -q ' $T/m ' /proc/mounts" || fail "the mount outlived its parent"
MOUNTS=""
status_is() { [ "$(sqlite3 "$T/m.db" "select status from mount" 2>/dev/null)" = "$1" ]; }
wait_for 30 status_is abandoned || fail "status: '$(sqlite3 "$T/m.db" "select status from mount")'"
[ -f "$T/b/f" ] || fail "the file written through it"

# A later run sweeps old empty mount points, and keeps recent ones; an
# old mount whose daemon was killed with -9 (ENOTCONN, even where the
# kernel has the mount root's attributes cached) is detached first.
# A recent one stays: its run may still be starting.
# Each run's exec ring goes with its last mount point: an old live run
# (still mounted) keeps its ring.
old=/run/provfs/run-e2e-old-$$ new=/run/provfs/run-e2e-new-$$ dead=/run/provfs/run-e2e-dead-$$
live=/run/provfs/run-e2e-live-$$
mkdir -p "$old/root" "$old/workspace" "$old/tmp" "$new/root" "$T/b2" "$live/tmp"
touch "$old/execs" "$live/execs"
# (a directory of its own for each: one is served by one writable mount)
mkdir -p "$T/b2/live"
"$PROVFS" mount --store "$T/store" --log "$T/live.db" "$T/b2/live" "$live/tmp" >/dev/null ||
	fail "mount on $live/tmp"
MOUNTS="$MOUNTS $live/tmp"
touch -d '1 hour ago' "$live"
for d in "$dead" "$new"; do
	mkdir -p "$d/tmp" "$T/b2/$(basename "$d")"
	"$PROVFS" mount --store "$T/store" --log "$T/$(basename "$d").db" "$T/b2/$(basename "$d")" "$d/tmp" >/dev/null ||
		fail "mount on $d/tmp"
	MOUNTS="$MOUNTS $d/tmp"
	# (its root's attributes now in the kernel's cache, as a build's
	# use leaves them: a plain stat of the dead mount still succeeds,
	# and the sweep took it for a live one)
	stat "$d/tmp" >/dev/null || fail "stat of $d/tmp"
	pkill -9 -f -- "--log $T/$(basename "$d").db" || fail "no daemon to kill for $d/tmp"
done
wait_for 30 sh -c "! pgrep -f '[-]-log $T/dead.db' >/dev/null" || fail "the killed daemon still runs"
touch -d '1 hour ago' "$old" "$dead"
# The killed daemons' state files (pid and log, for provfs umount).
state() { echo "/run/provfs/mount-$(printf %s "$1" | sha256sum | cut -c1-32)"; }
[ -f "$(state "$dead/tmp")" ] && [ -f "$(state "$new/tmp")" ] || fail "no state files of the mounts"
"$PROVFS" run --store "$T/store" --quiet -- true || fail "a run after the killed one"
[ ! -e "$(state "$dead/tmp")" ] || fail "the swept dead mount's state file was left"
[ -f "$(state "$new/tmp")" ] || fail "a recent run's mount lost its state file"
[ ! -e "$old" ] || fail "old mount points of a killed run were left"
grep -q " $dead/tmp " /proc/mounts && fail "an old dead mount was left mounted"
[ ! -e "$dead" ] || fail "an old dead mount's run directory was left"
grep -q " $new/tmp " /proc/mounts || fail "a recent run's dead mount was detached"
[ -d "$new/root" ] || fail "a recent run's mount point was removed"
[ -f "$live/execs" ] || fail "a live run's exec ring was removed"
umount_ws "$live/tmp"
rm -f "$live/execs"
rmdir "$live/tmp" "$live"
umount -l "$new/tmp"
rm -rf "$new" "$(state "$new/tmp")"
exit 0
