# How execs are attributed.  A pid first seen at its exec (a shell's forked
# child running a program) gets one process record, describing the program
# it runs (argv, exe), and the exec is logged under it; it is filled from
# /proc a few ms later even when the program makes no further request on
# the mount.  A process seen before (a shell that read a file there)
# logs the exec under its own record.  No pid gets two records with the
# same argv.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b" "$T/m"
cp /usr/bin/sleep "$T/b/sleep"
printf 'x\n' >"$T/b/f"
"$PROVFS" mount --ro --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" >/dev/null ||
	fail "mount failed"
MOUNTS="$T/m"
m=$T/m
# The test shell looks sleep up, so that (entries are cached) the exec
# below is the first request of each child.
stat "$m/sleep" >/dev/null
sh -c "$m/sleep 0.21; $m/sleep 0.22" || fail "sleeps failed"
# (/proc is read off the request path: the shell waits a little before
# its exec, or its record could describe the program it exec'd.)
sh -c "read x < $m/f; sleep 0.1; exec $m/sleep 0.23" || fail "exec failed"
umount_ws "$T/m"
q() { sqlite3 "$T/log.db" "$1"; }
for a in 0.21 0.22; do
	assert_eq 1 "$(q "SELECT COUNT(*) FROM process WHERE argv LIKE '%\"$a\"%'")" \
		"records of 'sleep $a'"
	assert_eq "$m/sleep" "$(q "SELECT exe FROM process WHERE argv LIKE '%\"$a\"%'")" \
		"exe of 'sleep $a'"
	assert_eq 1 "$(q "SELECT COUNT(*) FROM access a JOIN process p ON p.id = a.process
		WHERE a.op = 'exec' AND a.path = '/sleep' AND p.argv LIKE '%\"$a\"%'")" \
		"exec of /sleep logged under the record of 'sleep $a'"
done
assert_eq 1 "$(q "SELECT COUNT(*) FROM access a JOIN process p ON p.id = a.process
	WHERE a.op = 'exec' AND a.path = '/sleep' AND p.argv LIKE '%read x%'")" \
	"exec by the shell that read f logged under the shell's record"
assert_eq 1 "$(q "SELECT COUNT(*) FROM access a JOIN process p ON p.id = a.process
	WHERE a.op = 'open' AND a.path = '/f' AND p.argv LIKE '%read x%'")" \
	"the shell's open of f"
assert_eq 0 "$(q "SELECT COUNT(*) FROM (SELECT pid, argv FROM process
	GROUP BY pid, argv HAVING COUNT(*) > 1)")" "pids with two records of one argv"
exit 0
