# An input the build overwrites, truncates, deletes or renames over right
# after reading it is logged with the digest of what was read, and the
# store keeps that content under that digest: the workers hash a read in
# the background, and a writer (or unlink, or rename) of the file waits
# until the reads of it queued before are hashed and copied.  Before, the
# log could give the digest of the new (or empty) content, or the store
# the new content under the old digest (a corrupt object), in about 1 run
# in 3.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
i=0
for change in 'echo new >in.txt' ': >in.txt' 'rm in.txt' 'echo other >o.txt && mv o.txt in.txt' \
	'echo new >in.txt' ': >in.txt' 'rm in.txt' 'echo other >o.txt && mv o.txt in.txt' \
	'echo new >in.txt' 'truncate -s 2 in.txt'; do
	i=$((i + 1))
	rm -rf "$T/s" "$T/ws"/*
	echo "original content $i $$" >in.txt
	want=$(sha in.txt)
	"$PROVFS" run --store "$T/s" --quiet --json --out "$T/m.json" -- \
		sh -c "cat in.txt >/dev/null; $change" >"$T/run.json" 2>"$T/err" ||
		fail "run $i ($change): $(cat "$T/err")"
	! grep -q "not stored" "$T/err" || fail "run $i ($change): $(cat "$T/err")"
	log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
	got=$("$PROVFS" log --json "$log" | python3 -c '
import json, sys
print(" ".join(i.get("sha256", "none") for i in json.load(sys.stdin)["inputs"]
               if i["path"] == "/in.txt"))')
	assert_eq "$want" "$got" "run $i ($change): the input's digest"
	obj=$(store_object "$T/s" "$want")
	[ -f "$obj" ] || fail "run $i ($change): the input is not in the store"
	assert_eq "$want" "$(sha "$obj")" "run $i ($change): the stored object's content"
	"$PROVFS" verify --key "$T/s/keys/provfs.pub" --store "$T/s" "$T/m.json" >/dev/null 2>"$T/verr" ||
		fail "run $i ($change): verify: $(cat "$T/verr")"
done
exit 0
