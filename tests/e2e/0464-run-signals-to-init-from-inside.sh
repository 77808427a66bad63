# A build that sends the terminal's signals to pid 1 itself (kill -TSTP 1,
# -INT, -QUIT) is not stopped or interrupted by its own slave's init,
# which passed every such signal on to COMMAND's group: a SIGTSTP stopped
# the build, and provfs run waited for ever (about one run in two).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws" || exit 1
for sig in TSTP INT QUIT TSTP; do
	timeout 30 "$PROVFS" run -q --store "$T/store" -- \
		sh -c "kill -$sig 1; sleep 0.2; kill -$sig 1; echo alive >alive.txt" 2>"$T/err"
	assert_eq 0 "$?" "provfs run after kill -$sig 1 inside (124: hung): $(cat "$T/err")"
	assert_eq alive "$(cat alive.txt)" "the build after kill -$sig 1"
	rm -f alive.txt
done
exit 0
