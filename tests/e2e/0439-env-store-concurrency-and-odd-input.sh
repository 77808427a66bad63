# Environments and the store under concurrent use and odd input.
# - Two runs starting at once on an environment never materialised before:
#   both succeed and the root each used is whole (one used to clear the
#   other's half-made root, which was then marked complete and reused).
# - A materialised root is root's alone (it holds setuid programs), and
#   device nodes there have the tree's mode, not the umask's.
# - Two imports of one tree at once leave metadata that parses (it was
#   written in place, and could end up one writer's text over the other's).
# - A name that is not UTF-8 finds its environment; a tarball whose name
#   has a colon is a file, not HOST:FILE.
# - store put of a FIFO is refused at once, not a wait holding the store.
# - A log kept in the store where gc does not look for logs, or at a path
#   with a newline, still keeps its objects through gc.
. "$(dirname "$0")/lib.sh"
S=$T/store
R=$T/rootfs
tiny_root "$R" /bin/sh /bin/cat /bin/ls /usr/bin/wc
mkdir -p "$R/data" "$R/dev"
i=0
while [ $i -lt 3000 ]; do
	echo "$i" >"$R/data/f$i"
	i=$((i + 1))
done
mknod -m 0666 "$R/dev/mynull" c 1 3
cp /bin/cat "$R/bin/suidcat"
chmod 4755 "$R/bin/suidcat"
D=$("$PROVFS" env --store "$S" --quiet import --name many "$R") || fail "import"
# (in workspaces of their own: one is served by one run at a time)
mkdir -p "$T/ws" "$T/ws2"
cd "$T/ws"
(umask 077 && "$PROVFS" run --store "$S" --env many --quiet --out "$T/a.json" -- \
	sh -c 'ls /data | wc -l >a.count') &
p1=$!
(cd "$T/ws2" && "$PROVFS" run --store "$S" --env many --quiet --out "$T/b.json" -- \
	sh -c 'ls /data | wc -l >b.count') || fail "second of two concurrent first runs"
wait $p1 || fail "first of two concurrent first runs"
mv "$T/ws2/b.count" .
[ -e "$S/envs/$D/complete" ] || fail "environment not marked complete"
assert_eq 3000 "$(ls "$S/envs/$D/root/data" | wc -l)" "files of the materialised root"
assert_eq 3000 "$(cat a.count)" "files the first run saw"
assert_eq 3000 "$(cat b.count)" "files the second run saw"
assert_eq 700 "$(stat -c %a "$S/envs/$D")" "mode of the environment's directory"
assert_eq 666 "$(stat -c %a "$S/envs/$D/root/dev/mynull")" "mode of a device node (umask 077)"
if command -v setpriv >/dev/null; then
	# (through sh: setpriv itself still has root's capabilities at its exec)
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		/bin/sh -c '"$1" /etc/shadow' sh "$S/envs/$D/root/bin/suidcat" >/dev/null 2>&1 &&
		fail "a host user ran the environment's setuid program from the store"
fi

# concurrent imports of one small tree, each round's metadata intact
mkdir -p "$T/small/etc"
echo q >"$T/small/etc/q"
n=0
while [ $n -lt 12 ]; do
	"$PROVFS" env --store "$S" --quiet import --name "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa$n" \
		"$T/small" >"$T/i1" &
	"$PROVFS" env --store "$S" --quiet import --name b "$T/small" >"$T/i2" || fail "import b"
	wait $! || fail "import a$n"
	E=$(cat "$T/i2")
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$S/envs/$E.json" ||
		fail "metadata damaged by two imports at once (round $n): $(cat "$S/envs/$E.json")"
	n=$((n + 1))
done
ls -A "$S/envs" | grep -q '^\.' && fail "temporary metadata left: $(ls -A "$S/envs")"

# a name that is not UTF-8, kept when imported again without a name
name=$(printf 'n\377')
"$PROVFS" env --store "$S" --quiet import --name "$name" "$T/small" >/dev/null || fail "import with a Latin-1 name"
"$PROVFS" env --store "$S" show "$name" >/dev/null || fail "env show by a name that is not UTF-8"
"$PROVFS" env --store "$S" --quiet import "$T/small" >/dev/null || fail "import again without a name"
"$PROVFS" env --store "$S" show "$name" >/dev/null || fail "the name was lost by an import without one"

# a tarball whose name has a colon
tar --force-local -cf "$T/nohost:img.tar" -C "$T/small" . || fail "tar"
(cd "$T" && "$PROVFS" env --store "$S" --quiet import 'nohost:img.tar') >"$T/colon" 2>"$T/err" ||
	fail "import of a tarball named with a colon: $(cat "$T/err")"
assert_eq "$E" "$(cat "$T/colon")" "digest of the same tree from a tarball"

# store put of a FIFO
mkfifo "$T/fifo"
timeout 10 "$PROVFS" store --store "$S" put "$T/fifo" 2>"$T/err"
assert_eq 2 "$?" "store put of a FIFO"
grep -q "not a regular file" "$T/err" || fail "message: $(cat "$T/err")"

# logs gc does not find by itself keep their objects
mkdir -p "$T/src" "$T/m" "$S/logs/sub"
for log in "$S/logs/sub/my.db" "$(printf '%s/lo\ng.db' "$T")"; do
	"$PROVFS" mount --store "$S" --log "$log" "$T/src" "$T/m" 2>"$T/err" ||
		fail "mount with --log '$log': $(cat "$T/err")"
	echo "content $log $$" >"$T/m/out.txt"
	"$PROVFS" umount "$T/m" || fail "umount"
	h=$(sha "$T/src/out.txt")
	"$PROVFS" store --store "$S" gc >/dev/null || fail "gc"
	"$PROVFS" store --store "$S" path "$h" >/dev/null ||
		fail "gc removed an object the log '$log' names"
done

# store cat: an object of any size comes out whole (streamed, not read
# into memory), a corrupt one not at all
head -c 30000000 /dev/urandom >"$T/big"
h=$("$PROVFS" store --store "$S" put "$T/big") || fail "store put"
"$PROVFS" store --store "$S" cat "$h" >"$T/big.out" || fail "store cat"
assert_eq "$h" "$(sha "$T/big.out")" "digest of what store cat wrote"
obj=$("$PROVFS" store --store "$S" path "$h")
chmod u+w "$obj"
printf X | dd of="$obj" bs=1 seek=20000000 conv=notrunc 2>/dev/null
"$PROVFS" store --store "$S" cat "$h" >"$T/big.out" 2>"$T/err"
assert_eq 1 "$?" "store cat of a corrupt object"
[ -s "$T/big.out" ] && fail "store cat wrote a corrupt object's bytes"
grep -q corrupt "$T/err" || fail "message: $(cat "$T/err")"
# env ls of records that lack fields or do not parse: the file's name is
# the digest (it printed "(null)"), an unreadable record is warned of.
A=$(printf 'a%.0s' $(seq 64))
B=$(printf 'b%.0s' $(seq 64))
echo '{"name": "partial"}' >"$S/envs/$A.json"
echo 'garbage' >"$S/envs/$B.json"
"$PROVFS" env --store "$S" ls >"$T/ls.out" 2>"$T/ls.err" || fail "env ls: $(cat "$T/ls.err")"
grep -q "(null)" "$T/ls.out" && fail "env ls printed (null): $(cat "$T/ls.out")"
grep -q "^$A  partial " "$T/ls.out" || fail "the record without a digest: $(cat "$T/ls.out")"
grep -q "^$B " "$T/ls.out" || fail "the unreadable record is not listed: $(cat "$T/ls.out")"
grep -q "warning: cannot read the record .*$B.json" "$T/ls.err" || fail "no warning: $(cat "$T/ls.err")"
rm -f "$S/envs/$A.json" "$S/envs/$B.json"
# A store that is a file is said to be no directory.
: >"$T/plainfile"
"$PROVFS" env --store "$T/plainfile" import "$R" >/dev/null 2>"$T/err"
assert_eq 2 "$?" "a store that is a file"
grep -q "Not a directory" "$T/err" || fail "message: $(cat "$T/err")"
# A store whose tmp is a file: run says so once, before mounting (each
# mount's daemon said it, then 'cannot set up the slave's mounts').
"$PROVFS" store --store "$T/st-badtmp" put "$T/plainfile" >/dev/null || fail "put"
rm -rf "$T/st-badtmp/tmp" && : >"$T/st-badtmp/tmp"
mkdir -p "$T/ws-badtmp"
(cd "$T/ws-badtmp" && "$PROVFS" run --store "$T/st-badtmp" --quiet -- true) 2>"$T/err"
assert_eq 2 "$?" "run with a store whose tmp is a file"
assert_eq 1 "$(grep -c "cannot use store '$T/st-badtmp': Not a directory (its objects/sha256, tmp" "$T/err")" \
	"messages: $(cat "$T/err")"
grep -q "cannot set up the slave's mounts" "$T/err" && fail "the mounts were tried: $(cat "$T/err")"
exit 0
