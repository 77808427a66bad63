# On a `provfs mount` (no other mount of the slave to join records with),
# short-lived programs that lie off the mount (cat from the host's /usr)
# and read one file on it each have a record with their arguments: the
# first request of a new record waits until the daemon has read its /proc.
# Before, 28% to 45% of 1,000 such cats had none (read after cat had
# gone), and e2e 0048 failed once in CI for sed.  Also a forked child's
# first request (a subshell's redirection) names the child, not a blank.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || exit 77
mount_daemon "$T/b" "$T/m"
m=$T/m
printf 'x\n' >"$m/f"
i=0
while [ $i -lt 300 ]; do
	/bin/cat "$m/f" >/dev/null || fail "cat $i"
	i=$((i + 1))
done
( : >"$m/sub.$$" )
umount_ws "$T/m"
assert_eq 300 "$(sql "SELECT count(*) FROM process WHERE exe = '/usr/bin/cat'")" "cat's records"
assert_eq 300 "$(sql "SELECT count(*) FROM process WHERE exe = '/usr/bin/cat'
	AND argv = json_array('/bin/cat', '$m/f')")" "cat's records with its arguments"
assert_eq 300 "$(sql "SELECT count(DISTINCT p.id) FROM access a JOIN process p ON p.id = a.process
	WHERE a.path = '/f' AND a.op = 'open' AND p.exe = '/usr/bin/cat'")" "cat's reads of f under cat's records"
# The subshell that created sub.PID: a record with a program and arguments
# (its parent's: a fork keeps them).
[ -n "$(sql "SELECT p.argv FROM access a JOIN process p ON p.id = a.process
	WHERE a.path = '/sub.$$' AND a.op = 'create' AND p.argv != '[]' AND p.exe != ''")" ] ||
	fail "the subshell's record: $(sql "SELECT p.exe, p.argv FROM access a JOIN process p ON p.id = a.process WHERE a.path = '/sub.$$'")"
exit 0
