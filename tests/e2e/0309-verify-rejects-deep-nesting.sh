#!/bin/sh
# Deeply nested JSON is refused before parsing recurses (no stack overflow).
. "$(dirname "$0")/manifest-lib.sh"
PY=$(python_bin) || exit 77
"$PROVFS" keygen --out k >/dev/null || fail keygen
"$PY" -c 'import sys; n=200000; sys.stdout.write("{\"extra\":" + "["*n + "]"*n + "}")' > deep.json
expect 1 "$PROVFS" verify --key k.pub deep.json
err_has "nesting too deep"
expect 1 "$PROVFS" show deep.json
exit 0
