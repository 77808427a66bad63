# provfs run --user USER[:GROUP]: COMMAND runs as that user of the
# environment (its own /etc/passwd and /etc/group, not the host's), with
# its groups, HOME, USER and LOGNAME; PID 1 and the daemons stay root.
# The manifest's slave says user=UID:GID (user=0:0 without --user).  An
# unknown user or group, or a malformed spec, is a usage error before
# anything is mounted; a symlinked /etc/passwd in an environment cannot
# make provfs read the host's.
. "$(dirname "$0")/lib.sh"
S=$T/store
before=$(grep -c provfs /proc/mounts)
slave_user() { # MANIFEST: the recorded user= of the slave
	python3 - "$1" <<'PY'
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(st["predicate"]["buildDefinition"]["internalParameters"]["slave"]["user"])
PY
}

# Host root: nobody, in a workspace it owns.
mkdir -p "$T/ws"
chown 65534:65534 "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$S" --quiet --out "$T/m1.json" --user nobody -- \
	sh -c 'id -u >uid; id -g >gid; echo "$HOME $USER $LOGNAME" >env; echo t >/tmp/t; ls -n /tmp/t >tmpls' ||
	fail "a build as nobody"
assert_eq 65534 "$(cat uid)" "uid"
assert_eq 65534 "$(cat gid)" "gid (nobody's primary group)"
assert_eq "$(getent passwd nobody | cut -d: -f6) nobody nobody" "$(cat env)" "HOME USER LOGNAME"
assert_eq "65534 65534" "$(awk '{print $3, $4}' tmpls)" "owner of a /tmp file"
assert_eq "65534:65534" "$(stat -c %u:%g uid)" "owner of an output in the backing directory"
assert_eq "user=65534:65534" "user=$(slave_user "$T/m1.json")" "manifest's slave user"
# The manifest's environment is the one COMMAND had.
python3 - "$T/m1.json" <<'PY' || fail "the manifest's HOME and USER are not nobody's"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
env = st["predicate"]["buildDefinition"]["internalParameters"]["environment"]
assert env["USER"] == "nobody" and env["LOGNAME"] == "nobody", env
assert env["HOME"] != "/root", env
PY
"$PROVFS" verify --key "$S/keys/provfs.pub" "$T/m1.json" >/dev/null || fail "verify"

# A number nobody is listed under, with a group by name.
chmod 777 "$T/ws"
"$PROVFS" run --store "$S" --quiet --out "$T/m2.json" --user 4242:daemon -- \
	sh -c 'echo "$(id -u) $(id -g) $(id -G) $HOME [${USER-unset}]" >num' || fail "a numeric user"
assert_eq "4242 1 1 / [unset]" "$(cat num)" "numeric user"
assert_eq "4242:1" "$(slave_user "$T/m2.json")" "numeric slave user"

# The default is root, and says so.
"$PROVFS" run --store "$S" --quiet --out "$T/m3.json" -- sh -c 'id -u >rootuid' || fail "default run"
assert_eq 0 "$(cat rootuid)" "default user"
assert_eq "0:0" "$(slave_user "$T/m3.json")" "default slave user"

# A workspace the user cannot write: a warning, and the build's own error.
mkdir -p "$T/rootws"
cd "$T/rootws"
"$PROVFS" run --store "$S" --quiet --user nobody -- sh -c 'echo x >f' 2>"$T/err"
[ $? -ne 0 ] || fail "a write to root's workspace as nobody succeeded"
grep -q "user 65534 cannot write the workspace" "$T/err" || fail "no warning: $(cat "$T/err")"

# nobody's HOME (/nonexistent on Debian) is no directory: a build that
# failed writing there is told to set HOME, not to use --home overlay or empty
# (which has nothing to replace there).
nhome=$(getent passwd nobody | cut -d: -f6)
if [ -n "$nhome" ] && [ ! -e "$nhome" ]; then
	"$PROVFS" run --store "$S" --user nobody -- sh -c 'mkdir "$HOME/.cache"' 2>"$T/err"
	[ $? -ne 0 ] || fail "mkdir in a HOME that does not exist succeeded"
	grep -q "hint: the slave's HOME ($nhome) is not a directory of its environment.*env HOME=" \
		"$T/err" || fail "no hint at setting HOME: $(cat "$T/err")"
	! grep -q -- "--home \(empty\|overlay\)" "$T/err" || fail "a hint at --home: $(cat "$T/err")"
fi

# Usage errors: nothing mounted, nothing run.
for spec in nosuchuser nobody:nosuchgroup : nobody: :0 "$(printf 'x%.0s' $(seq 300))"; do
	"$PROVFS" run --store "$S" --quiet --user "$spec" -- touch "$T/ran" 2>"$T/err"
	assert_eq 2 "$?" "exit status for --user '$spec'"
	grep -q -- "--user" "$T/err" || fail "message for '$spec': $(cat "$T/err")"
done
[ ! -e "$T/ran" ] || fail "the command ran despite a bad --user"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left by usage errors"

# An environment with its own users: builder (1500), in group extra (1600).
R=$T/rootfs
tiny_root "$R" /bin/sh /usr/bin/id /bin/touch
mkdir -p "$R/home/builder"
printf 'root:x:0:0::/root:/bin/sh\nbuilder:x:1500:1500::/home/builder:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nbuilder:x:1500:\nextra:x:1600:someone,builder\n' >"$R/etc/group"
"$PROVFS" env --store "$S" --quiet import --name users "$R" >/dev/null || fail "import"
mkdir -p "$T/ews"
chmod 777 "$T/ews"
cd "$T/ews"
"$PROVFS" run --store "$S" --env users --quiet --home empty --out "$T/m4.json" --user builder -- \
	sh -c 'echo "$(id -u) $(id -G) $HOME" >ids; touch "$HOME/mine" && echo ok >homeok' ||
	fail "a build as the environment's builder"
assert_eq "1500 1500 1600 /home/builder" "$(cat ids)" "builder's ids and home"
assert_eq ok "$(cat homeok)" "builder's empty home is writable"
# builder is no user of the host: looked up in the environment only.
getent passwd builder >/dev/null && fail "the host has a builder user; this test needs it not to"
"$PROVFS" run --store "$S" --quiet --user builder -- true 2>"$T/err"
assert_eq 2 "$?" "builder on the host root"

# An environment whose etc/passwd climbs out by a symlink: it resolves
# inside the environment (to itself, a loop), never to the host's file.
R2=$T/rootfs2
cp -a "$R" "$R2"
rm "$R2/etc/passwd"
ln -s ../../../../../../../../etc/passwd "$R2/etc/passwd"
"$PROVFS" env --store "$S" --quiet import --name evil "$R2" >/dev/null || fail "import evil"
"$PROVFS" run --store "$S" --env evil --quiet --user nobody -- true 2>"$T/err"
assert_eq 2 "$?" "nobody through a symlink out of the environment"
grep -q "cannot read the environment's /etc/passwd" "$T/err" || fail "message: $(cat "$T/err")"
assert_eq "$before" "$(grep -c provfs /proc/mounts)" "mounts left behind"
exit 0
