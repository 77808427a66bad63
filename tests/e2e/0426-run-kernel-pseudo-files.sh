# A file of the host's /sys (a kernel pseudo filesystem, read through the
# slave's root) whose content changes by itself, as a NUMA node's meminfo
# does from moment to moment: provfs run records the read, with the
# digest of what was read, and does not warn that it could not be stored
# (it used to: "input '...meminfo' not stored: its content changed since
# the build"); the manifest verifies against the store.
. "$(dirname "$0")/lib.sh"
F=/sys/devices/system/node/node0/meminfo
[ -r "$F" ] || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$T/store" --out "$T/m.json" -- sh -c "
	cat $F >seen.txt
	sleep 0.5; cat $F >/dev/null; sleep 0.5" 2>"$T/err"
assert_eq 0 "$?" "a build reading $F: $(cat "$T/err")"
grep -q "not stored" "$T/err" && fail "a warning about a kernel pseudo file: $(cat "$T/err")"
cmp -s seen.txt "$F" && note "meminfo did not change during the build"
"$PROVFS" show "$T/m.json" | grep -q "$F" || fail "the read of $F is not in the manifest"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" --store "$T/store" "$T/m.json" >/dev/null ||
	fail "the manifest does not verify against the store"

exit 0
