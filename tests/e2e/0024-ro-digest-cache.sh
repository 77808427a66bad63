# A read-only mount remembers digests across mounts in STORE/cache/digests:
# a second mount of the same tree hashes only what changed (the cache grows
# by one record per file hashed), its digests are right, a file changed
# within the last 2 s is not remembered, and a garbage cache file is
# replaced rather than trusted.
. "$(dirname "$0")/lib.sh"
C=$T/store/cache/digests
mkdir -p "$T/b"
for f in a b c; do head -c 50000 /dev/urandom >"$T/b/$f"; done
sleep 2.2 # settled: ctime at least 2 s before the hashing starts

records() { echo $((($(stat -c %s "$C") - 16) / 80)); }

# read_all MOUNT_OPTIONS...: one --ro mount, every file read, log checked.
read_all() {
	rm -f "$T/log.db"
	mount_ws "$T/b" "$T/m" --ro "$@"
	cat "$T/m/a" "$T/m/b" "$T/m/c" >/dev/null
	umount_ws "$T/m"
	for f in a b c; do
		assert_eq "$(sha "$T/b/$f")" "$(input_digest "/$f")" "digest of $f"
	done
}

read_all
[ -f "$C" ] || fail "no digest cache at $C"
assert_eq 600 "$(stat -c %a "$C")" "cache file mode"
assert_eq 3 "$(records)" "records after the first mount"

# Unchanged files come from the cache: nothing new is hashed.
read_all
assert_eq 3 "$(records)" "records after an unchanged second mount"

# A changed file is hashed again (new ctime), and remembered once settled.
printf 'changed' >>"$T/b/b"
sleep 2.2
read_all
assert_eq 4 "$(records)" "records after one file changed"

# Changed just now: hashed, logged right, but not remembered.
printf 'again' >>"$T/b/c"
read_all
assert_eq 4 "$(records)" "a file changed within 2 s was remembered"

# --no-digest-cache neither reads nor writes it.
printf 'more' >>"$T/b/a"
sleep 2.2
read_all --no-digest-cache
assert_eq 4 "$(records)" "--no-digest-cache wrote to the cache"

# A garbage cache is started afresh, not trusted.
head -c 1000 /dev/urandom >"$C"
read_all
assert_eq 3 "$(records)" "records after a garbage cache file"
exit 0
