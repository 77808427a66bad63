# Symlinks the build leaves in the workspace that point into what only the
# slave had (its HOME overlay, /tmp, /var/tmp, /dev/shm: Bazel's bazel-bin
# into its output base under ~/.cache) dangle on the host, and what they
# point to is no output: provfs run warns, naming them, says where what
# the build left there is kept, and lists them in --json (private_links).
# Not for links to the environment's files, into the workspace (here
# under /tmp when TMPDIR is), to HOME with --home host, or for a link the
# build removed or pointed elsewhere again.
. "$(dirname "$0")/lib.sh"
# A HOME of its own, which takes an overlay whatever the caller's is (not
# under /tmp, where it could not).
H=$(mktemp -d /srv/provfs-e2e-home.XXXXXX 2>/dev/null) || exit 77
trap 'rm -rf "$H"; cleanup' EXIT
mkdir -p "$T/ws"
cd "$T/ws"

HOME=$H "$PROVFS" run --store "$T/store" --quiet --json --out "$T/m.json" -- sh -c '
	mkdir -p "$HOME/out" && echo kept >"$HOME/out/f" && ln -s "$HOME/out" homelink
	mkdir sub && echo t >/tmp/t && ln -s /tmp/t sub/tmplink
	ln -s /var/tmp/b bazel-bin
	ln -s /usr/bin sys
	ln -s "$PWD/sub" inws
	ln -s /tmp/gone gone && rm gone
	ln -s /dev/shm/x again && rm again && ln -s /usr again' >"$T/run.json" 2>"$T/err"
assert_eq 0 "$?" "the build"
grep -q "warning: the build left 3 symlinks in the workspace pointing into the slave's own" "$T/err" ||
	fail "no warning of 3 links: $(cat "$T/err")"
grep -q "homelink -> /.*/out, sub/tmplink -> /tmp/t, bazel-bin -> /var/tmp/b;" "$T/err" ||
	fail "the links are not named: $(cat "$T/err")"
grep -q "bazel --output_user_root=DIR" "$T/err" || fail "no word for Bazel: $(cat "$T/err")"
for l in sys inws gone again; do
	! grep -q " $l -> " "$T/err" || fail "$l named: $(cat "$T/err")"
done
H=$H python3 - "$T/run.json" "$T/store" <<'PY' || fail "private_links in --json, or what was kept"
import json, os, sys
run = json.load(open(sys.argv[1]))
links = run["private_links"]
assert [l["link"] for l in links] == ["homelink", "sub/tmplink", "bazel-bin"], links
assert links[1]["target"] == "/tmp/t" and links[2]["target"] == "/var/tmp/b", links
home = links[0]["target"][:-len("/out")]
assert home == os.environ["H"], (home, os.environ["H"])
kept = os.path.join(sys.argv[2], "builds", run["build"], "tmp" + home, "out", "f")
assert open(kept).read() == "kept\n", kept
assert open(os.path.join(sys.argv[2], "builds", run["build"], "tmp", "tmp", "t")).read() == "t\n"
PY
# On the host the links are as the build left them: dangling, or pointing
# at the host's own file of that path.
[ -L homelink ] && [ "$(readlink sub/tmplink)" = /tmp/t ] || fail "the links are not in the workspace"

# No such link: no warning, an empty list.  A link to HOME itself, or to
# a file the environment has there (a venv's python in ~/.pyenv), points
# where the host has the same: no such link either.
echo pre >"$H/pre"
HOME=$H "$PROVFS" run --store "$T/store" --json --out "$T/m2.json" -- sh -c '
	ln -s /usr/lib lib2; ln -s "$HOME" h2; ln -s "$HOME/pre" h4' >"$T/run2.json" 2>"$T/err2"
assert_eq 0 "$?" "the second build"
! grep -q "symlink" "$T/err2" || fail "a warning without such links: $(cat "$T/err2")"
assert_eq "[]" "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["private_links"]))' "$T/run2.json")" "private_links"

# With --home host, HOME is the environment's own (read-only): a link to
# it points where the host has the same directory.
HOME=$H "$PROVFS" run --store "$T/store" --home host --out "$T/m3.json" -- sh -c 'ln -s "$HOME" h3' 2>"$T/err3"
assert_eq 0 "$?" "the --home host build"
! grep -q "symlink" "$T/err3" || fail "a warning for a link to the host's HOME: $(cat "$T/err3")"
# A link renamed into place (ln -sfn over an old link makes one of a
# temporary name and renames it) is named under its final name.
ln -s old latest
"$PROVFS" run --store "$T/store" --quiet --json --out "$T/m4.json" -- sh -c '
	mkdir /tmp/out && ln -sfn /tmp/out latest && ln -s /tmp/out t1 && mv t1 t2 && mv t2 t3' \
	>"$T/run4.json" 2>"$T/err4"
assert_eq 0 "$?" "the build with renamed links: $(cat "$T/err4")"
assert_eq '["latest", "t3"]' "$(python3 -c 'import json,sys; print(json.dumps([l["link"] for l in json.load(open(sys.argv[1]))["private_links"]]))' "$T/run4.json")" "renamed private links"
exit 0
