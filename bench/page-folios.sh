#!/bin/sh
# How the kernel maps a binary of the read-only root: natively, and
# through a provfs mount with and without passthrough.  Drops FILE's cached
# pages (posix_fadvise DONTNEED), maps it readable and executable as the
# loader does, touches every page, and counts from /proc/self/pagemap and
# /proc/kpageflags the pages that belong to large folios, and the kB mapped
# by PMD (smaps' FilePmdMapped).  Without passthrough the pages are FUSE's
# own page cache, which is why answering OPEN with ENOSYS (no passthrough)
# made cc1 slower (bench/README.md, "Where the remaining overhead goes").
#
# usage: bench/page-folios.sh [FILE]   (default: gcc's cc1)
# env:   PROVFS (build/tools/provfs)
# exit:  0, or 2 on a setup error.  Run as root (kpageflags, mounting).
set -u
PROVFS=${PROVFS:-build/tools/provfs}
FILE=${1:-$(gcc -print-prog-name=cc1 2>/dev/null)}
[ -x "$PROVFS" ] || { echo "build first: ninja -C build" >&2; exit 2; }
[ -f "$FILE" ] || { echo "no such file: '$FILE'" >&2; exit 2; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/page-folios.XXXXXX")
trap '"$PROVFS" umount "$W/m" >/dev/null 2>&1; rm -rf "$W"' EXIT
mkdir -p "$W/m"
DIR=$(dirname "$FILE")
BASE=$(basename "$FILE")

show() { # LABEL PATH
	python3 - "$1" "$2" <<'EOF' || exit 2
import mmap, os, struct, sys
label, path = sys.argv[1], sys.argv[2]
f = open(path, 'rb')
size = os.fstat(f.fileno()).st_size
os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
m = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ | mmap.PROT_EXEC)
total = 0
for off in range(0, size, 4096):
    total += m[off]
start = end = None
for line in open('/proc/self/maps'):
    if line.rstrip().endswith(path):
        a, b = line.split()[0].split('-')
        start, end = int(a, 16), int(b, 16)
        break
if start is None:
    sys.exit("mapping of %s not found" % path)
large = small = 0
with open('/proc/self/pagemap', 'rb') as pm, open('/proc/kpageflags', 'rb') as kf:
    for va in range(start, end, 4096):
        pm.seek(va // 4096 * 8)
        e = struct.unpack('Q', pm.read(8))[0]
        if not e >> 63:
            continue
        kf.seek((e & ((1 << 55) - 1)) * 8)
        flags = struct.unpack('Q', kf.read(8))[0]
        if flags & (3 << 15):  # compound head or tail
            large += 1
        else:
            small += 1
pmd = 0
cur = False
for line in open('/proc/self/smaps'):
    if '-' in line.split()[0] and len(line.split()) >= 5:
        cur = line.rstrip().endswith(path)
    elif cur and line.startswith('FilePmdMapped:'):
        pmd += int(line.split()[1])
print("%-24s %10d %10d %12d" % (label, large, small, pmd))
EOF
}

printf '%-24s %10s %10s %12s   (%s)\n' mode "in large" "4 KiB" "PMD-mapped" "$FILE"
printf '%-24s %10s %10s %12s\n' "" folios pages kB
show native "$FILE"
for mode in passthrough no-passthrough; do
	opt=
	[ $mode = no-passthrough ] && opt=--no-passthrough
	# shellcheck disable=SC2086
	"$PROVFS" mount --ro $opt --store "$W/s" "$DIR" "$W/m" >/dev/null || exit 2
	show "provfs $mode" "$W/m/$BASE"
	"$PROVFS" umount "$W/m" || exit 2
done
