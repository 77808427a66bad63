#!/bin/sh
# Environment values whose names look secret are masked in the manifest.
. "$(dirname "$0")/manifest-lib.sh"
"$MAKE_TEST_LOG" log.db ws 2 || fail make_test_log
"$PROVFS" keygen --out k >/dev/null || fail keygen
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --out m.json \
	--env GITHUB_TOKEN=s3cr3t-value --env DB_PASSWORD=hunter2 --env CC=gcc
expect 0 "$PROVFS" show --json m.json
grep -q 's3cr3t-value\|hunter2' "$WORK/out" && fail "a secret value is in the manifest"
grep -q '"GITHUB_TOKEN":"\*\*\*"' "$WORK/out" || fail "GITHUB_TOKEN not masked"
grep -q '"CC":"gcc"' "$WORK/out" || fail "CC not recorded"
exit 0
