# provfs run --home overlay: $HOME shows the environment's files and is
# writable; what the build changes there (new files, appends, removals,
# a directory removed and made again, a renamed directory) goes to a layer
# of its own in the tmp mount, logged under the path the build used, and
# the host's HOME is left as it was.  Reads of HOME's own files are the
# root's, with their digests.  The next build sees none of it.  The
# manifest says home=overlay.  A workspace inside HOME still appears
# there, and writes to it reach the host.  A HOME an overlay cannot take
# is a usage error (exit 2) before anything runs.
. "$(dirname "$0")/lib.sh"
H=$(mktemp -d /srv/provfs-e2e-home.XXXXXX 2>/dev/null) || exit 77
trap 'rm -rf "$H"; cleanup' EXIT
chmod 0710 "$H"
echo host-config >"$H/.config-file"
echo old >"$H/.old-rc"
mkdir -p "$H/.olddir" "$H/.tool/bin"
echo f >"$H/.olddir/f"
cp /bin/true "$H/.tool/bin/tool"
mkdir -p "$T/ws"
cd "$T/ws"
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
slave_param() { # MANIFEST KEY
	python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(s["predicate"]["buildDefinition"]["internalParameters"]["slave"][sys.argv[2]])' "$1" "$2"
}

HOME=$H "$PROVFS" run --store "$T/store" --quiet --json --home overlay --out "$T/m.json" -- sh -c '
	[ "$(cat "$HOME/.config-file")" = host-config ] || exit 11
	[ "$(stat -c %a "$HOME")" = 710 ] || exit 12
	mkdir -p "$HOME/.cache/tool" && echo cached >"$HOME/.cache/tool/entry" || exit 13
	echo more >>"$HOME/.config-file" || exit 14
	[ "$(cat "$HOME/.config-file")" = "$(printf "host-config\nmore")" ] || exit 15
	rm "$HOME/.old-rc" && [ ! -e "$HOME/.old-rc" ] || exit 16
	rm -r "$HOME/.olddir" && mkdir "$HOME/.olddir" || exit 17
	[ -z "$(ls -A "$HOME/.olddir")" ] || exit 18
	mv "$HOME/.tool" "$HOME/.tool2" && "$HOME/.tool2/bin/tool" || exit 19
	[ ! -e "$HOME/.tool" ] || exit 20
	echo built >out.txt' >"$T/run.json" 2>"$T/err"
assert_eq 0 "$?" "a build changing an overlaid HOME: $(cat "$T/err")"
[ "$(cat "$H/.config-file")" = host-config ] || fail "the host's .config-file changed"
[ "$(cat "$H/.old-rc")" = old ] || fail "the host's .old-rc was removed"
[ "$(cat "$H/.olddir/f")" = f ] || fail "the host's .olddir was emptied"
[ -x "$H/.tool/bin/tool" ] && [ ! -e "$H/.tool2" ] || fail "the host's .tool was renamed"
[ ! -e "$H/.cache" ] || fail "the build wrote into the host's HOME"
[ -f out.txt ] || fail "the workspace output is missing"
assert_eq overlay "$(slave_param "$T/m.json" home)" "manifest's slave.home"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" "$T/m.json" out.txt >/dev/null ||
	fail "the manifest does not verify"

# What the build wrote in HOME is logged with the tmp mount, under the
# path it used; what it read of HOME's own files, with the root.
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
"$PROVFS" log --json "$log" >"$T/log.json" || fail "provfs log"
outs=$(python3 -c '
import json, sys
print(" ".join(sorted("%s:%s" % (o["path"], o.get("sha256", ""))
                      for o in json.load(open(sys.argv[1]))["outputs"]
                      if o["mount"] == "tmp" and not o["path"].startswith("/.home-work"))))' "$T/log.json")
for want in "$H/.cache/tool/entry:$(sha "cached
")" "$H/.config-file:$(sha "host-config
more
")"; do
	case " $outs " in
	*" $want "*) ;;
	*) fail "no output $want in the tmp mount's log: $outs" ;;
	esac
done
python3 -c '
import json, sys
ins = {(i["mount"], i["path"]): i.get("sha256") for i in json.load(open(sys.argv[1]))["inputs"]}
want = ("root", sys.argv[2] + "/.config-file")
sys.exit(0 if ins.get(want) == sys.argv[3] else "no root input %s with %s: %s" % (want, sys.argv[3], ins.get(want)))
' "$T/log.json" "$H" "$(sha "host-config
")" || fail "HOME's own file read through the overlay is not the root's input"

# The manifest's missing paths are the build's: the names of HOME it found
# are none (the overlay's empty upper layer, in the tmp mount, is looked in
# first: each was listed as missing), nor is the overlay's work directory,
# nor what it made there (looked for in the root's HOME, made in the tmp
# mount's);
# what it looked for in vain in HOME, the root, the workspace or /tmp is.
HOME=$H "$PROVFS" run --store "$T/store" --quiet --out "$T/m2.json" -- sh -c '
	cat "$HOME/.config-file" >/dev/null && [ ! -e "$HOME/.no-such-rc" ] &&
	[ ! -e /usr/no-such-file ] && [ ! -e no-such-here ] &&
	[ ! -e /tmp/no-such-tmp ] && echo n >"$HOME/.made-here" &&
	mkdir "$HOME/.made-dir"' 2>"$T/err" || fail "the probing build: $(cat "$T/err")"
python3 -c '
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
miss = [b for b in s["predicate"]["runDetails"]["byproducts"] if b["name"] == "missing-paths"][0]["annotations"]["paths"]
home = sys.argv[2]
bad = [p for p in miss if p == home + "/.config-file" or p.startswith("/.home-work")
       or ".made-" in p]
assert not bad, ("missing paths that are not missing", bad)
for want in ("/usr/no-such-file", "no-such-here", "/tmp/no-such-tmp", home + "/.no-such-rc"):
    assert miss.count(want) == 1, (want, miss)
' "$T/m2.json" "$H" || fail "the manifest's missing paths"

# A new build starts from the environment's HOME again.
HOME=$H "$PROVFS" run --store "$T/store" --quiet --home overlay -- sh -c '
	[ ! -e "$HOME/.cache" ] && [ -e "$HOME/.old-rc" ] && [ -e "$HOME/.olddir/f" ] &&
	[ "$(cat "$HOME/.config-file")" = host-config ]' 2>"$T/err"
assert_eq 0 "$?" "the next build's HOME is the environment's: $(cat "$T/err")"

# A workspace inside HOME appears in the overlaid HOME, and reaches the host.
mkdir -p "$H/proj"
cd "$H/proj"
HOME=$H "$PROVFS" run --store "$T/store" --quiet --home overlay -- sh -c '
	[ -e "$HOME/.config-file" ] || exit 31
	echo x >"$HOME/proj/made" && echo y >"$HOME/other"' 2>"$T/err3"
assert_eq 0 "$?" "workspace inside the overlaid HOME: $(cat "$T/err3")"
[ -f "$H/proj/made" ] || fail "the workspace inside HOME did not reach the host"
[ ! -e "$H/other" ] || fail "a file beside the workspace in HOME reached the host"
cd "$T/ws"

# HOMEs an overlay cannot take.
mkdir -p "$H/a,b"
for bad in /tmp/somewhere relative / "$T/ws/sub" /nonexistent-provfs-home "$H/a,b"; do
	before=$(ls "$T/store/builds" 2>/dev/null | wc -l)
	HOME=$bad "$PROVFS" run --store "$T/store" --quiet --home overlay -- true 2>"$T/err"
	assert_eq 2 "$?" "--home overlay with HOME=$bad"
	grep -q "^provfs: --home overlay.*HOME" "$T/err" || fail "HOME=$bad: no clear error: $(cat "$T/err")"
	assert_eq "$before" "$(ls "$T/store/builds" 2>/dev/null | wc -l)" "HOME=$bad left a build behind"
done
exit 0
