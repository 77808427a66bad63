# Diagnostics for a test that hangs.  Sourced by lib.sh and manifest-lib.sh.
#
# watchdog_start SECONDS: if the test is still running after SECONDS, prints
# to stderr what every provfs process and every process of the test is
# waiting in (state, wchan, kernel stack of each thread, and a gdb backtrace
# of each provfs daemon when gdb is installed), plus the FUSE connections'
# pending requests.  It kills nothing: the test's own timeout still applies.
# Set it below that timeout so the dump lands in the test's log.

diag_descendants() { # PID: PID and every process below it
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		diag_descendants "$c"
	done
}

diag_dump() {
	echo "=== diag: $(date -u +%H:%M:%S) test pid $1 ==="
	pids=$( (diag_descendants "$1"; pgrep -x provfs) | sort -un)
	for p in $pids; do
		[ -d /proc/"$p" ] || continue
		echo "--- pid $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
		for t in /proc/"$p"/task/*; do
			tid=${t##*/}
			echo "  tid $tid $(cat "$t"/comm 2>/dev/null)" \
				"state=$(sed -n 's/^State:[[:space:]]*//p' "$t"/status 2>/dev/null)" \
				"wchan=$(cat "$t"/wchan 2>/dev/null)"
			sed 's/^/      /' "$t"/stack 2>/dev/null
		done
		if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = provfs ] && command -v gdb >/dev/null; then
			timeout 20 gdb -p "$p" -batch -nx -ex 'thread apply all bt' 2>/dev/null |
				grep -E '^(Thread|#)' | sed 's/^/    /'
		fi
	done
	for c in /sys/fs/fuse/connections/*; do
		[ -e "$c/waiting" ] && echo "fuse connection ${c##*/}: $(cat "$c/waiting") waiting"
	done
	grep ' fuse' /proc/mounts
	echo "=== diag end ==="
	diag_summary "$pids"
}

# diag_summary PIDS: the gist of the dump in a few lines, for a log that
# only keeps its end: each process that is not a provfs daemon (the
# build's, the test's own) with what it waits in, each daemon thread that
# is busy or waits for something other than work, and each FUSE
# connection that has requests waiting.
diag_summary() {
	echo "=== diag summary ==="
	for p in $1; do
		[ -d /proc/"$p" ] || continue
		c=$(cat /proc/"$p"/comm 2>/dev/null)
		if [ "$c" = provfs ] && tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -q ' mount '; then
			# A daemon: only its threads that are not waiting for work.
			for t in /proc/"$p"/task/*; do
				w=$(cat "$t"/wchan 2>/dev/null)
				case "$w" in futex_do_wait | fuse_dev_do_read | io_cqring_wait | 0 | "") continue ;; esac
				echo "  $p/${t##*/} $(cat "$t"/comm 2>/dev/null) in $w"
			done
			continue
		fi
		echo "  $p $c $(sed -n 's/^State:[[:space:]]*//p' /proc/"$p"/status 2>/dev/null)" \
			"in $(cat /proc/"$p"/wchan 2>/dev/null):" \
			"$(sed -n '1,4s/^\[<[0-9a-f]*>\] //p' /proc/"$p"/stack 2>/dev/null | sed 's/+.*//' | tr '\n' ' ')"
	done
	for c in /sys/fs/fuse/connections/*; do
		[ -e "$c/waiting" ] && [ "$(cat "$c/waiting")" != 0 ] &&
			echo "  fuse connection ${c##*/}: $(cat "$c/waiting") requests waiting"
	done
	echo "=== diag summary end ==="
}

WATCHDOG_PID=""
watchdog_start() {
	_test_pid=$$
	# The sleep holds no pipe of the test (a runner such as meson waits
	# for its output pipes to close) and dies with the watchdog.
	(
		trap 'kill $_sleep 2>/dev/null; exit 0' TERM
		sleep "$1" </dev/null >/dev/null 2>&1 &
		_sleep=$!
		wait $_sleep && diag_dump "$_test_pid" >&2
	) &
	WATCHDOG_PID=$!
}

watchdog_stop() {
	[ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
	WATCHDOG_PID=""
	return 0
}
