# Files written and deleted at once (configure's conftest files) still get
# their digest in the log, hashed after the name is gone: the daemon still
# holds the inode (its cached O_PATH fd).  Both with passthrough (no inline
# hash) and without.
. "$(dirname "$0")/lib.sh"
for mode in "" --no-passthrough; do
	rm -rf "$T/b" "$T/log.db"
	mount_ws "$T/b" "$T/m" $mode
	# Two big outputs first keep both workers busy capturing, so the
	# small files are gone by the time their jobs are taken.
	head -c 60000000 /dev/zero >"$T/m/big1"
	head -c 60000000 /dev/zero >"$T/m/big2"
	i=0
	while [ $i -lt 40 ]; do
		# random writes, so there is no inline hash even without passthrough
		printf 'conftest %d\n' $i >"$T/m/conftest$i"
		printf 'X' | dd of="$T/m/conftest$i" bs=1 seek=3 conv=notrunc status=none
		rm "$T/m/conftest$i"
		i=$((i + 1))
	done
	umount_ws "$T/m"
	missing=$(sql "select count(*) from access where op='close-write'
		and path like '/conftest%' and digest_after is null")
	assert_eq 0 "$missing" "close-write records without a digest ($mode)"
	python3 - "$T/log.db" <<'PY' || fail "wrong digests ($mode)"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select path, digest_after from access where op='close-write' "
                  "and path like '/conftest%' and digest_after is not null").fetchall()
got = {}
for path, d in rows:
    got.setdefault(path, set()).add(d)
assert len(got) == 40, len(got)
for i in range(40):
    text = ("conftest %d\n" % i).encode()
    want = hashlib.sha256(text[:3] + b"X" + text[4:]).hexdigest()
    assert want in got["/conftest%d" % i], (i, got["/conftest%d" % i])
PY
done

# A huge scratch file deleted while it is being hashed (a test suite's
# sparse terabyte) is not hashed to the end: nobody's output, and the hash
# of its holes held unmount for minutes per TiB.  Logged without a digest.
rm -rf "$T/b" "$T/log.db"
mount_ws "$T/b" "$T/m"
truncate -s 64G "$T/m/huge" && printf x >>"$T/m/huge" && rm "$T/m/huge"
printf kept >"$T/m/small"
umount_ws "$T/m"
assert_eq "" "$(sql "select digest_after from access where op='close-write' and path='/huge'")" \
	"digest of the deleted 64 GiB file"
assert_eq 1 "$(sql "select count(*) from access where op='close-write' and path='/small'
	and digest_after is not null")" "the small file's digest"
exit 0
