# Every command answers --help with exit 0; bad usage exits 2 with a hint.
. "$(dirname "$0")/lib.sh"
"$PROVFS" --help | grep -q "usage: provfs" || fail "provfs --help"
cmds=$("$PROVFS" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}')
[ -n "$cmds" ] || fail "no commands listed"
for c in $cmds; do
	"$PROVFS" "$c" --help >"$T/out" 2>&1 || fail "$c --help exit $?"
	grep -qi "usage" "$T/out" || fail "$c --help prints no usage"
	"$PROVFS" "$c" --no-such-option >"$T/out" 2>&1
	assert_eq 2 "$?" "$c with an unknown option"
	# Said once, naming the command and the option, then the hint.
	grep -qx "provfs $c: unrecognized option '--no-such-option'" "$T/out" ||
		fail "$c: unknown option not named: $(cat "$T/out")"
	assert_eq 2 "$(wc -l <"$T/out")" "$c: lines for an unknown option"
	grep -qx "Try 'provfs $c --help'." "$T/out" || fail "$c: no hint to --help"
done
"$PROVFS" no-such-command 2>/dev/null
assert_eq 2 "$?" "unknown command"
"$PROVFS" 2>/dev/null
assert_eq 2 "$?" "no command"
"$PROVFS" verify --key >"$T/out" 2>&1
assert_eq 2 "$?" "an option without its value"
grep -qx "provfs verify: option '--key' requires an argument" "$T/out" ||
	fail "missing value not named: $(cat "$T/out")"
"$PROVFS" --version | grep -q "^provfs [0-9]" || fail "--version"
exit 0
