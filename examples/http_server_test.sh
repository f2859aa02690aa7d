#!/usr/bin/env bash
# Starts the HTTP server on a free port and sends, over one connection (bash's
# /dev/tcp), two keep-alive requests and a third with "Connection: close":
# three answers on the one connection, then the server closes it; a 404 on a
# second connection; then stops the server.
set -u
server=$1
coproc SRV { exec "$server" 127.0.0.1:0; }
pid=$SRV_PID
fail() { echo "FAIL: $*" >&2; kill "$pid" 2>/dev/null; exit 1; }
read -r -t 30 line <&"${SRV[0]}" || fail "no address line from the server"
case "$line" in "listening on 127.0.0.1:"*) ;; *) fail "unexpected first line: $line" ;; esac
port=${line##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "connect"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
out=$(timeout 30 cat <&3) || fail "the server did not close the connection"
exec 3<&-
[ "$(grep -c '^HTTP/1.1 200 OK' <<<"$out")" = 3 ] || fail "three answers on one connection: $out"
[ "$(grep -c '^hello from goc' <<<"$out")" = 3 ] || fail "three bodies: $out"
exec 4<>"/dev/tcp/127.0.0.1/$port" || fail "connect 2"
printf 'GET /nope HTTP/1.0\r\n\r\n' >&4
out=$(timeout 30 cat <&4) || fail "HTTP/1.0: the server did not close"
exec 4<&-
grep -q '^HTTP/1.1 404 Not Found' <<<"$out" || fail "404: $out"
kill -0 "$pid" 2>/dev/null || fail "the server has exited"
kill "$pid"
wait "$pid" 2>/dev/null
echo "ok: keep-alive, Connection: close, HTTP/1.0 and a 404"
