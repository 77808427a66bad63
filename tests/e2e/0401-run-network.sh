# Without --net the slave has only its own loopback: a connection to a host
# service fails; with --net the host's loopback service answers.  Without
# --net, what the build sent beyond loopback (packets that found no route,
# IPv4 and IPv6) is counted: in the manifest (slave unrouted=N), in the
# --json summary, and a failed build that sent any ends with a hint at
# --net; a build that only used loopback counts 0 and gets no such hint.
# The slave's own host name resolves, to loopback, without DNS.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws" "$T/www"
echo "hello from the host" >"$T/www/index.html"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$T/www" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; cleanup' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.3
done
probe="import socket,sys
try:
    s = socket.create_connection(('127.0.0.1', $port), 2)
    s.sendall(b'GET /index.html HTTP/1.0\r\n\r\n')
    data = b''
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    print(data.decode().split('\r\n\r\n', 1)[1].strip())
except OSError as e:
    print('unreachable', e); sys.exit(3)"
cd "$T/ws"
"$PROVFS" run --store "$T/store" --quiet -- python3 -c "$probe" >"$T/off" 2>&1
assert_eq 3 "$?" "connection without --net"
grep -q unreachable "$T/off" || fail "without --net: $(cat "$T/off")"
"$PROVFS" run --store "$T/store" --quiet --net -- python3 -c "$probe" >"$T/on" 2>&1 ||
	fail "with --net: $(cat "$T/on")"
grep -q "hello from the host" "$T/on" || fail "with --net: $(cat "$T/on")"
# (Where the host's root resolves "localhost", as its /etc/hosts does on
# any installed system; a bare debootstrap chroot has no /etc/hosts.)
if getent hosts localhost | grep -q '^127\.0\.0\.1 '; then
	"$PROVFS" run --store "$T/store" --quiet -- python3 -c '
import socket
print(socket.gethostbyname(socket.gethostname()))' >"$T/self" 2>&1 ||
		fail "the slave's own host name: $(cat "$T/self")"
	assert_eq 127.0.0.1 "$(cat "$T/self")" "the slave's own host name's address"
fi
slave_param() { # MANIFEST KEY
	python3 -c 'import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
print(s["predicate"]["buildDefinition"]["internalParameters"]["slave"].get(sys.argv[2], "-"))' "$1" "$2"
}
json_field() { # FILE KEY
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "-"))' "$1" "$2"
}
"$PROVFS" run --store "$T/store" --out "$T/m1.json" -- python3 -c "$probe" >/dev/null 2>"$T/err1"
assert_eq 0 "$(slave_param "$T/m1.json" unrouted)" "unrouted after a loopback-only build"
! grep -q "hint: the build tried to reach the network" "$T/err1" ||
	fail "a network hint for a loopback connection: $(cat "$T/err1")"
# 192.0.2.1 and 2001:db8::1 are documentation addresses; no route either
# way (IPv6 may be missing altogether: then only the first counts).  The
# build writes how many times it was told ENETUNREACH.
"$PROVFS" run --store "$T/store" --json --out "$T/m2.json" -- python3 -c '
import errno, socket, sys
n = 0
for a in ("192.0.2.1", "2001:db8::1"):
    try:
        socket.create_connection((a, 80), 2)
    except OSError as e:
        n += e.errno == errno.ENETUNREACH
open("unreachable", "w").write("%d" % n)
sys.exit(4)' >"$T/run2.json" 2>"$T/err2"
assert_eq 4 "$?" "a build connecting beyond loopback"
n=$(cat unreachable)
[ "$n" -ge 1 ] || fail "the build was not told ENETUNREACH: $(cat "$T/err2")"
assert_eq "$n" "$(slave_param "$T/m2.json" unrouted)" "unrouted in the manifest"
assert_eq "$n" "$(json_field "$T/run2.json" unrouted)" "unrouted in the --json summary"
"$PROVFS" show "$T/m2.json" | grep -q "^slave .* network=loopback unrouted=$n " ||
	fail "provfs show: $("$PROVFS" show "$T/m2.json" | grep ^slave)"
"$PROVFS" run --store "$T/store" --out "$T/m3.json" -- sh -c 'python3 -c "
import socket
try:
    socket.create_connection((\"192.0.2.1\", 80), 2)
except OSError:
    pass"; exit 5' 2>"$T/err3"
assert_eq 5 "$?" "a failed build that tried the network"
grep -q "^provfs: hint: the build tried to reach the network (1 packet found no route: .*run it with --net\$" "$T/err3" ||
	fail "no --net hint: $(cat "$T/err3")"
"$PROVFS" run --store "$T/store" --net --json --out "$T/m4.json" -- true >"$T/run4.json" 2>/dev/null ||
	fail "--net --json"
assert_eq - "$(json_field "$T/run4.json" unrouted)" "no unrouted count with --net"
assert_eq - "$(slave_param "$T/m4.json" unrouted)" "no unrouted count in the manifest with --net"
exit 0
