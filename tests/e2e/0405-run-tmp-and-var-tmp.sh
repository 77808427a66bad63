# /tmp and /var/tmp in the slave are writable, private to the build and
# logged: a file the build writes in each is in the log under the path the
# build used (tmp:/tmp/..., tmp:/var/tmp/...), with its digest, and nothing
# reaches the host's own /tmp or /var/tmp.
. "$(dirname "$0")/lib.sh"
[ -d /var/tmp ] || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
name=provfs-e2e-$$
"$PROVFS" run --store "$T/store" --quiet --json --out "$T/m.json" -- sh -c "
	echo in-tmp >/tmp/$name && echo in-var-tmp >/var/tmp/$name &&
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
exit 0
