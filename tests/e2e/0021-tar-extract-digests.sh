# Extracting a tarball (create, write, then chmod/chown/utimens) and reading
# every file back: each output's logged digest equals sha256sum's, and
# every read is logged with the digest of what was read.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/src/a/b" "$T/src/c"
i=0
while [ $i -lt 200 ]; do
	head -c $((i * 37 + 1)) /dev/urandom >"$T/src/a/f$i"
	i=$((i + 1))
done
printf 'x\n' >"$T/src/a/b/exec.sh"
chmod 755 "$T/src/a/b/exec.sh"
touch -d 2001-02-03 "$T/src/c/old"
ln -s ../a/f1 "$T/src/c/link"
tar -cf "$T/t.tar" -C "$T/src" .
mount_ws "$T/b" "$T/m"
tar -xpf "$T/t.tar" -C "$T/m" || fail "extract"
(cd "$T/m" && find . -type f -print0 | xargs -0 sha256sum) >"$T/sums" || fail "hash"
umount_ws "$T/m"
"$PROVFS" log --json "$T/log.db" >"$T/log.json" || fail "log"
python3 - "$T/log.json" "$T/sums" <<'PY' || fail "digests"
import json, sys
d = json.load(open(sys.argv[1]))
sums = {}
for line in open(sys.argv[2]):
    h, p = line.split(None, 1)
    sums[p.strip()[1:]] = h
outs = {o["path"]: o.get("sha256") for o in d["outputs"]}
assert len(sums) == 202, len(sums)
for p, h in sums.items():
    assert outs.get(p) == h, (p, outs.get(p), h)
PY
n=$(sql "select count(*) from access where op='open' and (flags & 3) = 0 and digest_after is null and result = 0")
assert_eq 0 "$n" "reads logged without a digest"
exit 0
