#!/bin/sh
# Builds the libFuzzer target tests/fuzz/fuzz_manifest.c with clang
# (-fsanitize=fuzzer,address,undefined) into BUILD_DIR (default build-fuzz),
# compiling the few fs/ and provenance/ sources it needs directly.
#   tests/fuzz/build.sh [BUILD_DIR]
#   BUILD_DIR/fuzz_manifest -max_total_time=30 tests/data/fuzz   (CI: short run)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-build-fuzz}
mkdir -p "$OUT"
command -v clang >/dev/null || { echo "clang is needed (apt-get install clang)" >&2; exit 2; }
clang -std=c17 -g -O1 -D_GNU_SOURCE -DPROVFS_VERSION='"fuzz"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$SRC/fs" -I"$SRC/provenance" \
	"$SRC/tests/fuzz/fuzz_manifest.c" \
	"$SRC/provenance/json.c" "$SRC/provenance/dsse.c" "$SRC/provenance/sign.c" \
	"$SRC/provenance/statement.c" "$SRC/provenance/verify.c" "$SRC/provenance/manifest.c" \
	"$SRC/provenance/envfacts.c" \
	"$SRC/fs/util.c" "$SRC/fs/digest.c" "$SRC/fs/cas.c" "$SRC/fs/tree.c" "$SRC/fs/procinfo.c" \
	$(pkg-config --cflags --libs jansson openssl) -lpthread \
	-o "$OUT/fuzz_manifest"
echo "built $OUT/fuzz_manifest"
