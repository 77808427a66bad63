#!/bin/sh
# An access log cut short (a copy that stopped, a full disk) or with bytes
# changed is refused by provfs log and provfs attest with exit 2 and says
# it is damaged, not "not a log"; a file that is no log at all says that;
# neither writes a manifest.
. "$(dirname "$0")/manifest-lib.sh"
"$MAKE_TEST_LOG" log.db ws 3000 || fail "make_test_log failed"
"$PROVFS" keygen --out k >/dev/null || fail "keygen failed"
expect 0 "$PROVFS" log log.db
size=$(stat -c %s log.db)
[ "$size" -gt 131072 ] || fail "the log is too small to cut: $size bytes"
head -c $((size / 2)) log.db >cut.db
expect 2 "$PROVFS" log cut.db
err_has "'cut.db' is a damaged provfs access log (truncated or corrupt"
expect 2 "$PROVFS" attest --log cut.db --key k.key --store st --out m.json --no-env
err_has "'cut.db' is a damaged provfs access log"
[ ! -e m.json ] || fail "attest wrote a manifest from a damaged log"
printf 'not a database at all, but long enough for a header of one hundred bytes to be read in full\n' >text.db
expect 2 "$PROVFS" log text.db
err_has "'text.db' is not a provfs access log"
exit 0
