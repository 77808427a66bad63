# provfs run started from a directory inside the workspace (cd debian-pkg;
# provfs run --workspace .. -- dpkg-buildpackage, which writes its .debs
# to ..) runs COMMAND in the same directory of the slave's workspace, and
# the manifest's workingDirectory says so; started from elsewhere, COMMAND
# starts at the workdir.  Also with --workdir.
. "$(dirname "$0")/lib.sh"
[ -d /mnt ] || exit 77 # --workdir needs a directory of the host root
mkdir -p "$T/ws/pkg/src" "$T/elsewhere"
wd() { # MANIFEST
	python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(s["predicate"]["buildDefinition"]["externalParameters"]["workingDirectory"])' "$1"
}

cd "$T/ws/pkg/src"
"$PROVFS" run --store "$T/store" --quiet --workspace "$T/ws" --out "$T/m1.json" -- \
	sh -c 'pwd >here; echo deb >../../made.deb' 2>"$T/err"
assert_eq 0 "$?" "run from a subdirectory: $(cat "$T/err")"
assert_eq "$T/ws/pkg/src" "$(cat "$T/ws/pkg/src/here" 2>/dev/null)" "the command's directory"
[ -f "$T/ws/made.deb" ] || fail "a file written to ../.. did not land in the workspace root"
assert_eq "$T/ws/pkg/src" "$(wd "$T/m1.json")" "manifest's workingDirectory"

"$PROVFS" run --store "$T/store" --quiet --workspace "$T/ws" --workdir /mnt --out "$T/m2.json" -- \
	sh -c 'pwd >here2' 2>"$T/err"
assert_eq 0 "$?" "run from a subdirectory with --workdir: $(cat "$T/err")"
assert_eq /mnt/pkg/src "$(cat "$T/ws/pkg/src/here2" 2>/dev/null)" "the command's directory, --workdir /mnt"
assert_eq /mnt/pkg/src "$(wd "$T/m2.json")" "manifest's workingDirectory, --workdir /mnt"

cd "$T/elsewhere"
"$PROVFS" run --store "$T/store" --quiet --workspace "$T/ws" --out "$T/m3.json" -- \
	sh -c 'pwd >here3' 2>"$T/err"
assert_eq 0 "$?" "run from outside the workspace: $(cat "$T/err")"
assert_eq "$T/ws" "$(cat "$T/ws/here3" 2>/dev/null)" "the command's directory from outside"
assert_eq "$T/ws" "$(wd "$T/m3.json")" "manifest's workingDirectory from outside"
