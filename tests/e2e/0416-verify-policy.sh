# provfs verify's policy, on manifests of real provfs run builds: --env
# (the environment's tree digest; an unmanaged host root never matches),
# --builder, --no-network, --offline (loopback only and nothing sent
# beyond it), --succeeded.  Every rule that fails is named,
# exit 1; a manifest edited to pass (its exit status set to 0) fails on its
# signature first; a malformed --env is a usage error.
. "$(dirname "$0")/lib.sh"
S=$T/store
R=$T/rootfs
tiny_root "$R" /bin/sh /bin/true
D=$("$PROVFS" env --store "$S" --quiet import --name tiny "$R") || fail "import"
K=$S/keys/provfs.pub
B=https://provfs.dev/builders/local/v1
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$S" --env "$D" --quiet --out "$T/good.json" -- true || fail "good build"
"$PROVFS" run --store "$S" --quiet --out "$T/host.json" -- true || fail "host build"
"$PROVFS" run --store "$S" --env "$D" --net --quiet --out "$T/net.json" -- true || fail "--net build"
"$PROVFS" run --store "$S" --env "$D" --quiet --out "$T/failed.json" -- sh -c 'exit 3'
assert_eq 3 "$?" "the failing build's status"

# The good build meets all four rules.
"$PROVFS" verify --key "$K" --env "$D" --builder "$B" --no-network --succeeded "$T/good.json" \
	>"$T/out" || fail "the good build against the policy: $(cat "$T/out")"
grep -q "policy met (4 rules)" "$T/out" || fail "output: $(cat "$T/out")"

# policy_fails MANIFEST MESSAGE OPTION...: exit 1, and MESSAGE said.
policy_fails() {
	m=$1 msg=$2
	shift 2
	"$PROVFS" verify --key "$K" "$@" "$m" >/dev/null 2>"$T/err"
	assert_eq 1 "$?" "exit status of verify $* $(basename "$m")"
	grep -q "$msg" "$T/err" || fail "verify $* $(basename "$m"): $(cat "$T/err")"
}
policy_fails "$T/host.json" "ran on an unmanaged root" --env "$D"
policy_fails "$T/good.json" "is not an allowed one" --env "$(printf '0%.0s' $(seq 64))"
policy_fails "$T/good.json" "builder '$B' is not a trusted one" --builder https://example.org/b
policy_fails "$T/net.json" "network 'host', not loopback only" --no-network
policy_fails "$T/failed.json" "the build failed (exit status 3)" --succeeded
# --offline: the good build sent nothing beyond loopback; one that tried
# (a connection to a documentation address) is named, as is --net.
"$PROVFS" verify --key "$K" --offline "$T/good.json" >/dev/null || fail "--offline, good build"
"$PROVFS" run --store "$S" --quiet --out "$T/tried.json" -- \
	python3 -c 'import socket
try:
    socket.create_connection(("192.0.2.1", 80), 2)
except OSError:
    pass' || fail "the build trying the network"
"$PROVFS" verify --key "$K" --no-network "$T/tried.json" >/dev/null ||
	fail "--no-network holds for a build that only tried"
policy_fails "$T/tried.json" "the build tried to reach the network (1 packet beyond loopback found no route)" --offline
policy_fails "$T/net.json" "network 'host', not loopback only" --offline
# Several rules off: each is named.
"$PROVFS" verify --key "$K" --env "$D" --no-network --succeeded --json "$T/host.json" \
	>"$T/json" 2>/dev/null
assert_eq 1 "$?" "host build against three rules"
python3 - "$T/json" <<'PY' || fail "json: $(cat "$T/json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is False and r["policyRules"] == 3, r
assert len(r["problems"]) == 1 and "unmanaged root" in r["problems"][0], r
PY
# Another allowed environment among several is enough.
"$PROVFS" verify --key "$K" --env "$(printf '1%.0s' $(seq 64))" --env "$D" "$T/good.json" \
	>/dev/null || fail "one of two allowed environments"

# Editing the failed build's exit status to 0 breaks its signature.
python3 - "$T/failed.json" "$T/edited.json" <<'PY' || fail "edit"
import base64, json, sys
env = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(env["payload"]))
for b in st["predicate"]["runDetails"]["byproducts"]:
    if b["name"] == "exit-status":
        b["annotations"]["exitStatus"] = 0
env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
json.dump(env, open(sys.argv[2], "w"))
PY
policy_fails "$T/edited.json" "signature" --succeeded
grep -q "policy:" "$T/err" && fail "an unsigned payload's policy was looked at: $(cat "$T/err")"

# A malformed digest is a usage error.
"$PROVFS" verify --key "$K" --env "${D%?}" "$T/good.json" 2>"$T/err"
assert_eq 2 "$?" "a 63-digit --env"
grep -q "64 lowercase hex" "$T/err" || fail "message: $(cat "$T/err")"
exit 0
