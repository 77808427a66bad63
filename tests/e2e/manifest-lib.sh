# Helpers shared by the manifest e2e tests (0300-0399).  Sourced, not run.
# Needs PROVFS (the provfs binary); finds make_test_log next to it unless
# MAKE_TEST_LOG is set.  Each test works in its own directory under TMPDIR.
set -u
: "${PROVFS:?PROVFS must name the provfs binary}"
if [ -z "${MAKE_TEST_LOG:-}" ]; then
	MAKE_TEST_LOG="$(dirname "$PROVFS")/../tests/make_test_log"
fi
[ -x "$MAKE_TEST_LOG" ] || { echo "make_test_log not found at $MAKE_TEST_LOG" >&2; exit 77; }
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/diag.sh"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/manifest-e2e.XXXXXX")"
trap 'watchdog_stop; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
# meson stops these tests after 120 s: say where a stuck one waits first.
watchdog_start "${WATCHDOG_SECONDS:-90}"
cd "$WORK" || exit 1

fail() { echo "FAIL: $*" >&2; exit 1; }

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# expect CODE CMD...: runs CMD, keeps stderr in $WORK/err, checks the exit code.
expect() {
	want=$1; shift
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$WORK/err" >&2; fail "'$*' exited $got, expected $want"; }
}

# err_has TEXT: the last command's stderr mentions TEXT.
err_has() { grep -q -- "$1" "$WORK/err" || { cat "$WORK/err" >&2; fail "stderr lacks '$1'"; }; }

# make_manifest [N_INPUTS]: key pair k.key/k.pub, log.db, workspace ws/, store st/,
# signed manifest m.json.
make_manifest() {
	"$MAKE_TEST_LOG" log.db ws "${1:-3}" || fail "make_test_log failed"
	"$PROVFS" keygen --out k >/dev/null || fail "keygen failed"
	"$PROVFS" attest --log log.db --key k.key --store st --out m.json --exit-status 0 \
		--no-env >/dev/null || fail "attest failed"
}

# Rewrites m.json with a python expression over the envelope dict `e`.
python_bin() {
	for p in "${PYTHON:-}" /usr/bin/python3 python3; do
		[ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && { echo "$p"; return 0; }
	done
	return 1
}
