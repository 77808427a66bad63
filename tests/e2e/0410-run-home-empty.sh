# provfs run --home empty: $HOME is a new, empty, writable directory at the
# same path, owned and protected as the host's, logged with the tmp mount
# under the path the build used, gone after the build; the manifest says
# so (internalParameters.slave.home), and provfs show prints it.  With
# --home host HOME is the host's, read-only (EROFS), and the manifest says
# home=host; by default it is an overlay (e2e 0432), or the host's where
# HOME can take none (with a warning where the kernel refused it); a build that failed after looking under HOME for something it
# did not then read (a file to write, a directory to make) ends with a hint
# at --home overlay (one that never looked there, or only read there, does not).  A
# workspace inside HOME still appears there.  A HOME that
# cannot be replaced is a usage error (exit 2) before anything runs.
. "$(dirname "$0")/lib.sh"
H=$(mktemp -d /srv/provfs-e2e-home.XXXXXX 2>/dev/null) || exit 77
trap 'rm -rf "$H"; cleanup' EXIT
chmod 0710 "$H"
echo host-config >"$H/.config-file"
mkdir -p "$T/ws"
cd "$T/ws"
slave_param() { # MANIFEST KEY
	python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(s["predicate"]["buildDefinition"]["internalParameters"]["slave"][sys.argv[2]])' "$1" "$2"
}

HOME=$H "$PROVFS" run --store "$T/store" --quiet --json --home empty --out "$T/m.json" -- sh -c '
	[ -z "$(ls -A "$HOME")" ] || exit 11
	[ "$(stat -c %a "$HOME")" = 710 ] || exit 12
	mkdir -p "$HOME/.cache/tool" && echo cached >"$HOME/.cache/tool/entry" || exit 13
	[ "$(cat "$HOME/.cache/tool/entry")" = cached ] || exit 14
	[ ! -e "$HOME/.no-such-rc" ] || exit 15
	echo built >out.txt' >"$T/run.json"
assert_eq 0 "$?" "build writing a cache in an empty HOME"
[ ! -e "$H/.cache" ] || fail "the build wrote into the host's HOME"
[ "$(cat "$H/.config-file")" = host-config ] || fail "the host's HOME changed"
assert_eq empty "$(slave_param "$T/m.json" home)" "manifest's slave.home"
# A path looked up in the empty HOME is named as the build used it.
"$PROVFS" show "$T/m.json" | grep -qx "  $H/.no-such-rc" ||
	fail "missing path in HOME: $("$PROVFS" show "$T/m.json" | grep no-such-rc)"
assert_eq loopback "$(slave_param "$T/m.json" network)" "manifest's slave.network"
assert_eq all "$(slave_param "$T/m.json" capture)" "manifest's slave.capture"
"$PROVFS" show "$T/m.json" | grep -q "^slave  *namespaces: capture=all home=empty left-running=0 network=loopback unrouted=0 user=0:0$" ||
	fail "provfs show: $("$PROVFS" show "$T/m.json" | grep ^slave)"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
outs=$("$PROVFS" log --json "$log" | python3 -c '
import json, sys
print(" ".join(sorted("%s:%s:%s" % (o["mount"], o["path"], o.get("sha256", ""))
                      for o in json.load(sys.stdin)["outputs"] if o["mount"] == "tmp")))')
assert_eq "tmp:$H/.cache/tool/entry:$(echo cached | sha256sum | cut -d' ' -f1)" "$outs" \
	"the cache file in the log, under the path the build used"

# --home host: the host's HOME, read-only.
HOME=$H "$PROVFS" run --store "$T/store" --quiet --home host --out "$T/m2.json" -- sh -c '
	[ "$(cat "$HOME/.config-file")" = host-config ] || exit 21
	touch "$HOME/new" 2>/dev/null && exit 22
	exit 0' 2>"$T/err2"
assert_eq 0 "$?" "--home host: readable, not writable"
[ ! -e "$H/new" ] || fail "--home host was writable"
assert_eq host "$(slave_param "$T/m2.json" home)" "manifest's slave.home with --home host"

# Default: an overlay (e2e 0432); where HOME can take none (a ',' in its
# path), the host's, read-only, without a word.
HOME=$H "$PROVFS" run --store "$T/store" --quiet --out "$T/m2b.json" -- sh -c '
	[ "$(cat "$HOME/.config-file")" = host-config ] && touch "$HOME/new"' 2>"$T/err2"
assert_eq 0 "$?" "default HOME: readable and writable: $(cat "$T/err2")"
[ ! -e "$H/new" ] || fail "the default HOME's write reached the host"
assert_eq overlay "$(slave_param "$T/m2b.json" home)" "manifest's slave.home by default"
mkdir -p "$H/a,b"
HOME=$H/a,b "$PROVFS" run --store "$T/store" --quiet --out "$T/m2c.json" -- sh -c '
	touch "$HOME/new" 2>/dev/null && exit 22; exit 0' 2>"$T/err2"
assert_eq 0 "$?" "default HOME that takes no overlay: read-only: $(cat "$T/err2")"
[ ! -s "$T/err2" ] || fail "a word about the fallback: $(cat "$T/err2")"
assert_eq host "$(slave_param "$T/m2c.json" home)" "manifest's slave.home, no overlay"
rmdir "$H/a,b"
# An overlay the kernel refuses (its options longer than a page): the
# host's HOME, read-only, with a warning, and the manifest says so.
L=$H
for i in 1 2 3 4 5 6 7 8 9; do L=$L/$(printf 'd%.0s' $(seq 240)); done
mkdir -p "$L"
HOME=$L "$PROVFS" run --store "$T/store" --quiet --out "$T/m2d.json" -- sh -c '
	touch "$HOME/new" 2>/dev/null && exit 22; exit 0' 2>"$T/err2"
assert_eq 0 "$?" "default HOME whose overlay the kernel refuses: read-only"
grep -q "^provfs: warning: cannot mount an overlay on HOME .*it stays read-only" "$T/err2" ||
	fail "no warning of the fallback: $(cat "$T/err2")"
assert_eq host "$(slave_param "$T/m2d.json" home)" "manifest's slave.home, overlay refused"
# (a failed build there gets no HOME hint: the look-up of HOME was the
# overlay's set-up, not the build's; it was taken for a failed write)
HOME=$L "$PROVFS" run --store "$T/store" -- sh -c 'exit 4' 2>"$T/err2"
assert_eq 4 "$?" "a failed build with the overlay refused"
! grep -q "hint: the slave's HOME" "$T/err2" || fail "a HOME hint for a build that never looked there: $(cat "$T/err2")"
HOME=$L "$PROVFS" run --store "$T/store" --quiet --home overlay -- true 2>"$T/err2"
assert_eq 2 "$?" "--home overlay the kernel refuses"
grep -q "cannot mount an overlay on .* for --home overlay" "$T/err2" || fail "--home overlay refused: $(cat "$T/err2")"
rm -rf "$H/dddd"*

# A failed build with the host's HOME ends with a hint at --home overlay,
# whether it made a directory, created a file or wrote to one there;
# with --home empty, one that succeeded, or one that failed without
# looking under HOME (a compile error), without.
# The hint names the last path the build looked at there.
for write in '.cache mkdir "$HOME/.cache"' 'new echo x >"$HOME/new"' \
	'.config-file echo x >>"$HOME/.config-file"'; do
	HOME=$H "$PROVFS" run --store "$T/store" --home host -- sh -c "${write#* }" 2>"$T/err4"
	[ $? -ne 0 ] || fail "a build writing in HOME ($write) succeeded"
	grep -q "^provfs: hint: the slave's HOME ($H) is read-only.*; it looked at $H/${write%% *}), run it with --home overlay (the default)\$" "$T/err4" ||
		fail "no hint naming $H/${write%% *} after a failed build ($write): $(cat "$T/err4")"
done
HOME=$H "$PROVFS" run --store "$T/store" --home host -- sh -c 'exit 4' 2>"$T/err6"
assert_eq 4 "$?" "a build failing without looking under HOME"
! grep -q "hint:" "$T/err6" || fail "a HOME hint for a build that never looked there: $(cat "$T/err6")"
# Nor one whose only looks under HOME were its PATH's search for a
# command (~/bin before /usr/bin, as many CI hosts have it), nor one that
# provfs run itself was told to stop (SIGTERM).
mkdir -p "$H/bin"
HOME=$H PATH="$H/bin:$H/.cargo/bin:$PATH" "$PROVFS" run --store "$T/store" --home host -- sh -c 'cat /dev/null; ls / >/dev/null; exit 5' 2>"$T/err7"
assert_eq 5 "$?" "a build failing after searching PATH under HOME"
! grep -q "hint:" "$T/err7" || fail "a HOME hint for PATH searches: $(cat "$T/err7")"
# Nor one that only read there (a toolchain kept in HOME: pyenv's python,
# rustup's cargo): a read that succeeded is no write the root refused.
mkdir -p "$H/.tool/bin"
cp /bin/true "$H/.tool/bin/tool"
HOME=$H PATH="$H/bin:$PATH" "$PROVFS" run --store "$T/store" --home host -- sh -c '
	cat "$HOME/.config-file" >/dev/null; ls "$HOME/.tool" >/dev/null
	"$HOME/.tool/bin/tool"; exit 5' 2>"$T/err8"
assert_eq 5 "$?" "a build failing after reading under HOME"
! grep -q "hint:" "$T/err8" || fail "a HOME hint after reads under HOME: $(cat "$T/err8")"
HOME=$H "$PROVFS" run --store "$T/store" --home host -- sh -c 'ls "$HOME" >/dev/null; sleep 30' 2>"$T/err9" &
pid=$!
i=0
while ! grep -q "running 'sh'" "$T/err9" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -TERM $pid
wait $pid
assert_eq 143 "$?" "a build stopped by SIGTERM to provfs run"
grep -q "terminated by signal 15" "$T/err9" || fail "no word of the signal: $(cat "$T/err9")"
! grep -q "hint:" "$T/err9" || fail "a HOME hint for a stopped build: $(cat "$T/err9")"
HOME=$H "$PROVFS" run --store "$T/store" --home empty -- sh -c 'exit 3' 2>"$T/err5"
assert_eq 3 "$?" "a failed build with --home empty"
HOME=$H "$PROVFS" run --store "$T/store" -- true 2>>"$T/err5"
assert_eq 0 "$?" "a build that succeeds"
! grep -q "hint:" "$T/err5" || fail "a hint where none is due: $(cat "$T/err5")"

# A workspace inside HOME appears in the new HOME, alone.
mkdir -p "$H/proj"
cd "$H/proj"
HOME=$H "$PROVFS" run --store "$T/store" --quiet --home empty --out "$T/m3.json" -- sh -c '
	[ "$(ls -A "$HOME")" = proj ] || exit 31
	echo x >"$HOME/proj/made"' 2>"$T/err3"
assert_eq 0 "$?" "workspace inside the new HOME: $(cat "$T/err3")"
[ -f "$H/proj/made" ] || fail "the workspace inside HOME did not reach the host"
cd "$T/ws"

# HOMEs that cannot be replaced.
for bad in /tmp/somewhere /var/tmp /proc relative / "$T/ws/sub" /nonexistent-provfs-home; do
	before=$(ls "$T/store/builds" 2>/dev/null | wc -l)
	HOME=$bad "$PROVFS" run --store "$T/store" --quiet --home empty -- true 2>"$T/err"
	assert_eq 2 "$?" "--home empty with HOME=$bad"
	grep -q "HOME" "$T/err" || fail "HOME=$bad: no clear error: $(cat "$T/err")"
	assert_eq "$before" "$(ls "$T/store/builds" 2>/dev/null | wc -l)" "HOME=$bad left a build behind"
done
"$PROVFS" run --home other -- true 2>"$T/err"
assert_eq 2 "$?" "--home other"
exit 0
