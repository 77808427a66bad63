# attest reads a killed daemon's records through the log's write-ahead
# file, and stores the log file itself as the manifest's access log: when
# the WAL cannot be folded into it (the log on a read-only mount), the
# manifest named a log without the records it lists.  Refused now, exit
# 2; the same log where it can be written is attested, and the log it
# names holds the records (the WAL was not folded in even then: sqlite's
# checkpoint did nothing on a connection that had read nothing yet).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/src" "$T/m" "$T/ro"
echo input >"$T/src/in.txt"
mount_ws "$T/src" "$T/m"
for i in 1 2 3; do cat "$T/m/in.txt" >"$T/m/o$i.txt"; done
sleep 0.5
pid=$(pgrep -f "provfs mount --store $T/store" | head -1)
[ -n "$pid" ] || fail "no daemon found"
kill -9 "$pid"
[ -s "$T/log.db-wal" ] || exit 77 # (the batches were folded already)
mkdir -p "$T/logcopy"
cp "$T/log.db" "$T/log.db-wal" "$T/log.db-shm" "$T/logcopy/" || fail "copy"
"$PROVFS" umount "$T/m" >/dev/null 2>&1
MOUNTS=
mount --bind "$T/logcopy" "$T/ro" && mount -o remount,bind,ro "$T/ro" || exit 77
trap 'umount "$T/ro" 2>/dev/null; cleanup' EXIT
"$PROVFS" keygen --out "$T/k" >/dev/null || fail "keygen"
"$PROVFS" attest --store "$T/store" --key "$T/k.key" --log "$T/ro/log.db" --no-env \
	--out "$T/m1.json" 2>"$T/err"
assert_eq 2 "$?" "attest of a log whose WAL cannot be folded in"
grep -q "write-ahead file .* that cannot be folded into it (it cannot be written)" "$T/err" || fail "message: $(cat "$T/err")"
[ -e "$T/m1.json" ] && fail "a manifest was written"
umount "$T/ro"
"$PROVFS" attest --store "$T/store" --key "$T/k.key" --log "$T/logcopy/log.db" --no-env \
	--out "$T/m2.json" >/dev/null 2>"$T/err" || fail "attest of the writable copy: $(cat "$T/err")"
h=$(python3 -c 'import base64,json,sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
for b in st["predicate"]["runDetails"]["byproducts"]:
    if b.get("name") == "access-log": print(b["digest"]["sha256"])' "$T/m2.json")
assert_eq "$(sha "$T/logcopy/log.db")" "$h" "the access log's digest in the manifest"
"$PROVFS" log "$(store_object "$T/store" "$h")" >/dev/null || fail "the stored log is no log"
# A whole log (no WAL records left) in a directory that cannot be written
# is read: sqlite cannot make the -shm file WAL mode wants there, and the
# log was called "not a provfs access log".  Its directory's name has
# what a URI would take for syntax.
mkdir -p "$T/whole/a%3F?b#c"
cp "$T/logcopy/log.db" "$T/whole/a%3F?b#c/"
W="$T/whole/a%3F?b#c"
mount --bind "$W" "$W" && mount -o remount,bind,ro "$W" || exit 77
trap 'umount "$W" 2>/dev/null; cleanup' EXIT
"$PROVFS" log "$W/log.db" >"$T/log.out" 2>&1 || fail "log of a whole log on a read-only mount: $(cat "$T/log.out")"
grep -q "o3.txt" "$T/log.out" || fail "the log read lacks o3.txt: $(cat "$T/log.out")"
"$PROVFS" attest --store "$T/store" --key "$T/k.key" --log "$W/log.db" --no-env \
	--out "$T/m3.json" >/dev/null 2>"$T/err" || fail "attest of a whole log on a read-only mount: $(cat "$T/err")"
[ -e "$W/log.db-shm" ] && fail "a -shm file appeared on the read-only mount"
umount "$W"
exit 0
