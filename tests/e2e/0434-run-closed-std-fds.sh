# provfs run started with its standard descriptors closed (from cron, a
# service, a script's '<&- >&- 2>&-'): provfs holds each of them on
# /dev/null, so that no file it opens (the store's gate, the exec ring, a
# store object) takes number 0, 1 or 2 and gets its messages written into
# it.  The build still sees them closed, as it would natively; the build is
# recorded and its manifest verifies.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"

"$PROVFS" run --store "$T/store" --out "$T/m.json" -- sh -c '
	exec 3>fds.txt
	for fd in 0 1 2; do
		if [ -e /proc/self/fd/$fd ]; then echo "$fd open" >&3; else echo "$fd closed" >&3; fi
	done
	echo made >out.txt
	echo started >&3
	i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done' <&- >&- 2>&- &
pid=$!
i=0
while ! grep -q started fds.txt 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || { touch go; fail "the build did not start"; }
	sleep 0.1
done
# provfs itself, and the processes it started (its mount daemons, which
# exec provfs anew): 0, 1 and 2 are /dev/null, not closed, not a file.
for p in $pid $(pgrep -f -- "--exec-ring /run/provfs/run-") ; do
	[ -d /proc/$p ] || continue
	for fd in 0 1 2; do
		assert_eq /dev/null "$(readlink /proc/$p/fd/$fd)" "process $p's descriptor $fd"
	done
done
touch go
wait $pid
assert_eq 0 "$?" "the build's exit status"
assert_eq "0 closed
1 closed
2 closed
started" "$(cat fds.txt)" "the build's standard descriptors"

"$PROVFS" verify --key "$T/store/keys/provfs.pub" --store "$T/store" "$T/m.json" out.txt \
	>/dev/null 2>"$T/err" || fail "verify: $(cat "$T/err")"
"$PROVFS" store fsck --store "$T/store" >/dev/null 2>"$T/err" || fail "store fsck: $(cat "$T/err")"
assert_eq made "$(cat out.txt)" "the build's output"

# keygen and verify with all three closed: the key files hold only keys.
"$PROVFS" keygen --out "$T/k" <&- >&- 2>&-
assert_eq 0 "$?" "keygen with its descriptors closed"
head -1 "$T/k.key" | grep -q "^-----BEGIN PRIVATE KEY-----$" || fail "the private key: $(head -2 "$T/k.key")"
[ "$(grep -c . "$T/k.pub")" -eq 3 ] || fail "the public key: $(cat "$T/k.pub")"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" "$T/m.json" <&- >&- 2>&-
assert_eq 0 "$?" "verify with its descriptors closed"
exit 0
