#!/bin/sh
# Runs the whole test suite: unit tests (cmocka) and end-to-end tests
# (tests/e2e/*.sh, real FUSE mounts), once on a normal build and once on an
# AddressSanitizer + UndefinedBehaviorSanitizer build.  Ends with the line
# "N passed, N failed".
#
#   tests/run.sh                 everything
#   tests/run.sh --quick         normal build only
#   tests/run.sh PATTERN...      only e2e tests whose file name contains PATTERN
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

tools/setup.sh --deps-only || exit 2

variants="build build-asan"
patterns=""
for a in "$@"; do
	case "$a" in
	--quick) variants="build" ;;
	*) patterns="$patterns $a" ;;
	esac
done

passed=0
failed=0
skipped=0
failures=""
# Each failed e2e test's verdict and diag summary, printed again at the end.
gist=$(mktemp /tmp/provfs-test-gist.XXXXXX)

configure() {
	dir=$1
	if [ ! -f "$dir/build.ninja" ]; then
		if [ "$dir" = build-asan ]; then
			meson setup "$dir" -Dwerror=true -Db_sanitize=address,undefined \
				-Db_lundef=false -Dbuildtype=debug >/dev/null || return 1
		else
			meson setup "$dir" -Dwerror=true >/dev/null || return 1
		fi
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

record() { # name status(0 pass / 77 skip / other fail)
	case "$2" in
	0) passed=$((passed + 1)); echo "ok      $1" ;;
	77) skipped=$((skipped + 1)); echo "skip    $1" ;;
	*) failed=$((failed + 1)); failures="$failures $1"; echo "FAIL    $1 (exit $2)" ;;
	esac
}

for v in $variants; do
	echo "== $v: building"
	if ! configure "$v"; then
		record "$v/compile" 1
		continue
	fi
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"

	echo "== $v: unit tests"
	if [ -z "$patterns" ]; then
		meson test -C "$v" --num-processes 2 --print-errorlogs </dev/null >"$v/unit.out" 2>&1
		# One result per test program, from meson's machine-readable log.
		# The output of each failed one goes to unit.failed-output.
		python3 - "$v/meson-logs/testlog.json" "$v/unit.failed-output" \
			>"$v/unit.results" <<'PY'
import json, sys
with open(sys.argv[2], "w") as failed:
    for line in open(sys.argv[1]):
        t = json.loads(line)
        status = {"OK": 0, "SKIP": 77, "EXPECTEDFAIL": 0}.get(t["result"], 1)
        print(status, t["name"].replace(" ", ""))
        if status == 1:
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            tail = "\n".join(out.splitlines()[-60:])
            failed.write("--- %s (%s):\n%s\n" % (t["name"], t["result"], tail))
PY
		while read -r st name; do
			record "$v/unit/$name" "$st"
		done <"$v/unit.results"
		if grep -qE '^(Fail|Timeout|Unexpected Pass): +[1-9]' "$v/unit.out"; then
			grep -E 'FAIL|TIMEOUT|not ok' "$v/unit.out" | head -40
			sed 's/^/    | /' "$v/unit.failed-output"
		fi
	fi

	echo "== $v: end-to-end tests"
	for t in tests/e2e/[0-9]*.sh; do
		name=$(basename "$t" .sh)
		case "$name" in 03[0-9][0-9]-*) continue ;; esac # run by meson test
		if [ -n "$patterns" ]; then
			match=0
			for p in $patterns; do
				case "$name" in *"$p"*) match=1 ;; esac
			done
			[ $match = 1 ] || continue
		fi
		tmp=$(mktemp -d "/tmp/provfs-test.$name.XXXXXX")
		# stdin from /dev/null, as in CI: run from a terminal, a test
		# would share it from timeout's own process group, in the
		# background, where script(1) setting it raw stops (SIGTTOU).
		PROVFS="$ROOT/$v/tools/provfs" BUILD="$ROOT/$v" SRCROOT="$ROOT" TMPDIR="$tmp" \
			FSCONFORM="$ROOT/$v/tests/fsconform/fsconform" VARIANT="$v" \
			timeout -k 10 600 sh "$t" </dev/null >"$tmp.log" 2>&1
		st=$?
		record "$v/e2e/$name" $st
		if [ $st != 0 ] && [ $st != 77 ]; then
			tail -40 "$tmp.log" | sed 's/^/    | /'
			# The gist again at the very end, where a log cut in
			# the middle still shows it: the test's own verdict
			# and, for a stuck one, what it was waiting in.
			{
				echo "--- $v/e2e/$name (exit $st):"
				{
					grep '^FAIL:' "$tmp.log"
					sed -n '/^=== diag summary ===$/,/^=== diag summary end ===$/p' "$tmp.log"
				} | head -20 | sed 's/^/    | /'
			} >>"$gist"
		fi
		# Never leave a mount behind, whatever the test did.
		grep " $tmp" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
			umount -l "$m" 2>/dev/null
		done
		rm -rf "$tmp" "$tmp.log"
	done
done

# A short libFuzzer run over manifest parsing and verification (clang).
if [ -z "$patterns" ]; then
	echo "== fuzz smoke (manifest parse + verify, ${FUZZ_SECONDS:-30} s)"
	tests/fuzz/ci-smoke.sh "$ROOT/build-fuzz" >build-fuzz.log 2>&1
	st=$?
	record "fuzz/manifest-parse-verify" $st
	[ $st = 0 ] || [ $st = 77 ] || tail -30 build-fuzz.log
fi

if [ -n "$failures" ]; then
	cat "$gist"
	echo "failed:$failures"
fi
rm -f "$gist"
# Skipped tests (exit 77) did not run: counted on their own line, so the
# last line is exactly "N passed, N failed".
[ $skipped = 0 ] || echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
