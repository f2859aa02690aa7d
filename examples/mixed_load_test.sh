#!/usr/bin/env bash
# Starts the mixed-load service on free ports (bash's /dev/tcp throughout):
# three push connections held while two keep-alive HTTP requests are served
# on one connection; each push connection must bring ten well-formed
# messages in sequence; /stats must show the ticker's count moving and the
# three clients while they are connected.
set -u
server=$1
coproc SRV { exec "$server" 127.0.0.1:0 127.0.0.1:0; }
pid=$SRV_PID
fail() { echo "FAIL: $*" >&2; kill "$pid" 2>/dev/null; exit 1; }
read -r -t 30 line <&"${SRV[0]}" || fail "no http address line"
case "$line" in "http on 127.0.0.1:"*) ;; *) fail "unexpected first line: $line" ;; esac
hport=${line##*:}
read -r -t 30 line <&"${SRV[0]}" || fail "no push address line"
case "$line" in "push on 127.0.0.1:"*) ;; *) fail "unexpected second line: $line" ;; esac
pport=${line##*:}

stats() {   # one GET /stats on its own connection: prints the body
  exec 6<>"/dev/tcp/127.0.0.1/$hport" || fail "connect for /stats"
  printf 'GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&6
  timeout 30 cat <&6 | tail -n 1
  exec 6<&-
}

exec 3<>"/dev/tcp/127.0.0.1/$pport" || fail "push connect 1"
exec 4<>"/dev/tcp/127.0.0.1/$pport" || fail "push connect 2"
exec 5<>"/dev/tcp/127.0.0.1/$pport" || fail "push connect 3"

# The first message on each says the server has started its pusher.
for fd in 3 4 5; do read -r -t 30 first <&$fd || fail "no first push message on fd $fd"; done
s1=$(stats)
[[ $s1 =~ ^ticks=([0-9]+)\ clients=3\ pushed=[0-9]+$ ]] || fail "stats with three clients: $s1"
t1=${BASH_REMATCH[1]}

exec 7<>"/dev/tcp/127.0.0.1/$hport" || fail "http connect"
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&7
out=$(timeout 30 cat <&7) || fail "the server did not close the HTTP connection"
exec 7<&-
[ "$(grep -c '^HTTP/1.1 200 OK' <<<"$out")" = 2 ] || fail "two answers on one connection: $out"
[ "$(grep -c '^hello from goc' <<<"$out")" = 2 ] || fail "two bodies: $out"

# Ten more messages on each push connection (a second's worth), numbered on.
for fd in 3 4 5; do
  prev=-1
  for i in $(seq 10); do
    read -r -t 30 msg <&$fd || fail "push message $i on fd $fd"
    [[ $msg =~ ^push\ ([0-9]+)\ ([0-9]+)$ ]] || fail "malformed push message: $msg"
    seq=${BASH_REMATCH[1]}
    [ "$prev" = -1 ] || [ "$seq" = $((prev + 1)) ] || fail "push sequence $prev then $seq"
    prev=$seq
  done
done

# The ticker runs on: its count moves (no timing claim, just that it does).
for try in $(seq 300); do
  s2=$(stats)
  [[ $s2 =~ ^ticks=([0-9]+)\  ]] || fail "stats: $s2"
  [ "${BASH_REMATCH[1]}" -gt "$t1" ] && break
  sleep 0.1
done
[ "${BASH_REMATCH[1]}" -gt "$t1" ] || fail "ticks did not move from $t1: $s2"
exec 3<&- 4<&- 5<&-
kill -0 "$pid" 2>/dev/null || fail "the server has exited"
kill "$pid"
wait "$pid" 2>/dev/null
echo "ok: push x3 (10 messages each in sequence), keep-alive HTTP, /stats $s1 -> $s2"
