# /tmp and /var/tmp in the slave are writable, private to the build and
# logged: a file the build writes in each is in the log under the path the
# build used (tmp:/tmp/..., tmp:/var/tmp/...), with its digest, and nothing
# reaches the host's own /tmp or /var/tmp.  They are no outputs: the
# manifest's only subject is the workspace's tmp/NAME, though /tmp/NAME
# holds something else.  provfs show lists each process
# once, though each mount recorded the processes it saw.  A TMPDIR under
# the host's /tmp or /var/tmp (a CI runner's per-job one) is in the
# slave's /tmp too, empty, owned and protected as on the host.
. "$(dirname "$0")/lib.sh"
[ -d /var/tmp ] || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
name=provfs-e2e-$$
"$PROVFS" run --store "$T/store" --quiet --json --out "$T/m.json" -- sh -c "
	echo in-tmp >/tmp/$name && echo in-var-tmp >/var/tmp/$name &&
	mkdir tmp && echo in-workspace >tmp/$name &&
	[ \$(cat /tmp/$name /var/tmp/$name | wc -l) = 2 ] &&
	[ -k /tmp ] && [ -k /var/tmp ]" >"$T/run.json"
assert_eq 0 "$?" "build writing /tmp and /var/tmp"
[ ! -e "/tmp/$name" ] && [ ! -e "/var/tmp/$name" ] || fail "the build wrote to the host"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
outs=$("$PROVFS" log --json "$log" | python3 -c '
import json, sys
print(" ".join(sorted("%s:%s:%s" % (o["mount"], o["path"], o.get("sha256", ""))
                      for o in json.load(sys.stdin)["outputs"] if o["mount"] == "tmp")))')
want="tmp:/tmp/$name:$(echo in-tmp | sha256sum | cut -d' ' -f1) tmp:/var/tmp/$name:$(echo in-var-tmp | sha256sum | cut -d' ' -f1)"
assert_eq "$want" "$outs" "tmp outputs in the log"
subjects=$(python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(" ".join("%s:%s" % (d["name"], d["digest"]["sha256"]) for d in s["subject"]))' "$T/m.json")
assert_eq "tmp/$name:$(echo in-workspace | sha256sum | cut -d' ' -f1)" "$subjects" \
	"the subjects (the workspace's file only)"

# Each of the three mounts recorded the processes it saw; provfs show lists
# each process (pid, program, arguments) once, and counts them so.
"$PROVFS" show "$T/m.json" | sed -n '/^process tree/,/^[a-z]/p' | sed '1d;$d' >"$T/tree"
[ -s "$T/tree" ] || fail "no process tree shown"
dups=$(sed 's/^ *//' "$T/tree" | sort | uniq -d)
[ -z "$dups" ] || fail "processes shown twice: $dups"
assert_eq "process tree ($(wc -l <"$T/tree"))" "$("$PROVFS" show "$T/m.json" | grep '^process tree')" \
	"the tree's count"
records=$(python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
b = [b for b in s["predicate"]["runDetails"]["byproducts"] if b["name"] == "process-tree"][0]
print(len(b["annotations"]["processes"]))' "$T/m.json")
[ "$records" -gt "$(wc -l <"$T/tree")" ] || fail "no process was recorded by two mounts ($records records)"

# TMPDIR under the host's /tmp: mktemp finds it in the slave's own /tmp;
# the host's is left as it was.
D=$(mktemp -d /tmp/provfs-e2e-tmpdir.XXXXXX) || exit 1
trap 'rm -rf "$D"; cleanup' EXIT
echo host-file >"$D/host-file"
chmod 0701 "$D"
TMPDIR=$D "$PROVFS" run --store "$T/store" --quiet --out "$T/m2.json" -- sh -c '
	[ -z "$(ls -A "$TMPDIR")" ] || exit 11
	[ "$(stat -c %a:%u "$TMPDIR")" = 701:0 ] || exit 12
	f=$(mktemp) && echo scratch >"$f" && [ "${f#"$TMPDIR"/}" != "$f" ] || exit 13' 2>"$T/err2"
assert_eq 0 "$?" "a build using TMPDIR=$D: $(cat "$T/err2")"
assert_eq host-file "$(ls "$D")" "the host's TMPDIR afterwards"
if id nobody >/dev/null 2>&1; then
	chmod 0700 "$D"
	TMPDIR=$D "$PROVFS" run --store "$T/store" --quiet --user nobody --out "$T/m3.json" -- \
		sh -c 'f=$(mktemp) && [ "$(stat -c %U "$TMPDIR")" = nobody ]' 2>"$T/err3"
	assert_eq 0 "$?" "--user nobody with TMPDIR=$D: $(cat "$T/err3")"
fi
exit 0
