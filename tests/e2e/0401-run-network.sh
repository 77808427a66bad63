# Without --net the slave has only its own loopback: a connection to a host
# service fails; with --net the host's loopback service answers.
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
exit 0
