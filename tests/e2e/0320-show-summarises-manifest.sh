#!/bin/sh
# show prints environment, inputs, outputs, process tree, exit status and
# signature status; with --key it checks the signature.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest 3
expect 0 "$PROVFS" show m.json
for want in "UNVERIFIED" "exit status    0" "src/input-00002.c" "out/app.bin" \
	    "process tree (2)" "100 make -j2" "include/missing.h" "packages"; do
	grep -q -- "$want" "$WORK/out" || fail "show lacks '$want'"
done
expect 0 "$PROVFS" show --key k.pub m.json
grep -q "verified by" "$WORK/out" || fail "show --key did not verify"
"$PROVFS" keygen --out other >/dev/null
expect 1 "$PROVFS" show --key other.pub m.json
grep -q "NOT VERIFIED" "$WORK/out" || fail "show --key with a wrong key did not say so"
exit 0
