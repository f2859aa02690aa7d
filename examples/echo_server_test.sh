#!/usr/bin/env bash
# Starts the echo server on a free port, talks to it over two connections
# at once (bash's /dev/tcp), checks both echoes, then stops it.
set -u
server=$1
coproc SRV { exec "$server" 127.0.0.1:0; }
pid=$SRV_PID   # bash unsets SRV_PID once it sees the coprocess gone
fail() { echo "FAIL: $*" >&2; kill "$pid" 2>/dev/null; exit 1; }
read -r -t 30 line <&"${SRV[0]}" || fail "no address line from the server"
case "$line" in "listening on 127.0.0.1:"*) ;; *) fail "unexpected first line: $line" ;; esac
addr=${line#listening on }
port=${addr##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "connect 1"
exec 5<>"/dev/tcp/127.0.0.1/$port" || fail "connect 2"
printf 'hello\n' >&3
printf 'world\n' >&5
printf 'again\n' >&3
read -r -t 30 a <&3; read -r -t 30 b <&5; read -r -t 30 c <&3
exec 3>&- 5>&-
[ "$a" = hello ] && [ "$b" = world ] && [ "$c" = again ] || fail "echoes: '$a' '$b' '$c'"
kill -0 "$pid" 2>/dev/null || fail "the server has exited"
kill "$pid"
wait "$pid" 2>/dev/null
echo "ok: two connections echoed"
