#!/bin/sh
# CI's short fuzz run: builds the libFuzzer target and runs it for
# FUZZ_SECONDS (default 30) from the seed corpus in tests/data/fuzz.
# Exit 0 no crash, 1 a crash (reproducer left in BUILD_DIR), 77 no clang.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$SRC/build-fuzz}
command -v clang >/dev/null || { echo "clang missing: skipping fuzz smoke" >&2; exit 77; }
"$SRC/tests/fuzz/build.sh" "$OUT" || exit 1
mkdir -p "$OUT/corpus"
cd "$OUT" && ./fuzz_manifest -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 \
	corpus "$SRC/tests/data/fuzz"
