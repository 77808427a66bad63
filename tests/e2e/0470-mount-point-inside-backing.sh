# A mount point inside its own backing directory (provfs mount . ./mnt):
# the mount showed itself inside itself, and a look into it had the
# daemon's serving thread stat its own mount, waiting on itself for ever
# (not even umount --force and SIGKILL ended it).  Refused now, as is a
# mount point that is the backing directory itself (the daemon's own
# statfs of it waited on the mount).  A read-only mount under its backing
# (provfs run's of the host's /) hides the mount point from look-ups and
# listings instead.
# And one directory is served by one writable mount at a time: two kept
# their own views of it in the kernel's caches, so a file made through one
# was missing in the other, and logged as missing.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/back/mp"
echo hi >"$T/back/f"
if "$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/back" "$T/back/mp" >/dev/null 2>"$T/err"; then
	MOUNTS="$T/back/mp $MOUNTS"
	fail "a writable mount inside its backing directory was accepted"
fi
grep -q "is inside the backing directory" "$T/err" || fail "no clear error: $(cat "$T/err")"
if timeout 30 "$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/back" "$T/back" >/dev/null 2>"$T/err"; then
	MOUNTS="$T/back $MOUNTS"
	fail "a mount on its own backing directory was accepted"
fi
grep -q "is the backing directory itself" "$T/err" || fail "no clear error: $(cat "$T/err")"
grep -q " $T/back" /proc/mounts && fail "something was mounted"

mount_ws "$T/back" "$T/back/mp" --ro
assert_eq f "$(timeout 10 ls "$T/back/mp")" "the read-only mount's listing"
timeout 10 stat "$T/back/mp/mp" >/dev/null 2>&1
assert_eq 1 "$?" "a look at the mount point inside the read-only mount"
assert_eq hi "$(timeout 10 cat "$T/back/mp/f")" "a file of the read-only mount"
umount_ws "$T/back/mp"

mkdir -p "$T/w" "$T/mb"
mount_ws "$T/w" "$T/ma"
for opt in "" --ro; do
	# shellcheck disable=SC2086
	if "$PROVFS" mount --store "$T/store" --log "$T/log2.db" $opt "$T/w" "$T/mb" >/dev/null 2>"$T/err"; then
		MOUNTS="$T/mb $MOUNTS"
		fail "a second mount ($opt) of a directory served writable was accepted"
	fi
	grep -q "is already served by another provfs mount" "$T/err" || fail "no clear error: $(cat "$T/err")"
done
# A mount on the backing directory of a running mount waited on that
# daemon's lock for ever (and mounted once it ended): busy, at once.
mkdir -p "$T/other"
if timeout 60 "$PROVFS" mount --store "$T/store" --log "$T/log3.db" "$T/other" "$T/w" >/dev/null 2>"$T/err"; then
	MOUNTS="$T/w $MOUNTS"
	fail "a mount on a served backing directory was accepted"
fi
grep -q "is busy: it is the backing directory of a running provfs mount" "$T/err" ||
	fail "no clear error: $(cat "$T/err")"
umount_ws "$T/ma"
mount_ws "$T/w" "$T/mb"
umount_ws "$T/mb"
# Read-only mounts share it.
mount_ws "$T/w" "$T/ma" --ro
mount_ws "$T/w" "$T/mb" --ro
umount_ws "$T/ma"
umount_ws "$T/mb"
# Two provfs run in one workspace at once: the second is refused before
# anything is mounted, saying so (also in --json); the first is unharmed.
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run -q --store "$T/store" -- sh -c 'echo started >started; sleep 3; echo done >done' &
first=$!
i=0
while [ ! -e started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$PROVFS" run -q --json --store "$T/store" -- true >"$T/second.json" 2>/dev/null
assert_eq 2 "$?" "a second run in the same workspace"
grep -q "is already served by another provfs run" "$T/second.json" ||
	fail "no clear error: $(cat "$T/second.json")"
wait $first
assert_eq 0 "$?" "the first run"
assert_eq done "$(cat done)" "the first run's output"
