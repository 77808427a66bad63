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
done
"$PROVFS" no-such-command 2>/dev/null
assert_eq 2 "$?" "unknown command"
"$PROVFS" 2>/dev/null
assert_eq 2 "$?" "no command"
"$PROVFS" --version | grep -q "^provfs [0-9]" || fail "--version"
exit 0
