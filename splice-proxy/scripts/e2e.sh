#!/usr/bin/env bash
# End-to-end checks of the relay with real tools (issue 10): curl through --max-bytes returns
# promptly with exactly the limit; a talker through --idle stays connected while one side talks
# and is cut after silence; SIGTERM drains and exits 0. Needs java, curl and python3; run after
# `mvn package` (uses splice-proxy/target/splice-proxy.jar). Prints PASS/FAIL per check.
set -u
cd "$(dirname "$0")/.."
JAR=${JAR:-target/splice-proxy.jar}
BACKEND=${BACKEND:-linux}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
fail=0
check() { if [ "$1" = ok ]; then echo "PASS $2"; else echo "FAIL $2"; fail=1; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_relay() {  # LOG ARGS...: starts the relay, waits for its first line
  local log=$1; shift
  java -jar "$JAR" relay --backend "$BACKEND" "$@" >"$log" 2>&1 &
  PIDS+=($!); RELAY=$!
  for _ in $(seq 100); do grep -q "listening on" "$log" && return 0; sleep 0.1; done
  echo "relay did not start:"; cat "$log"; return 1
}

# 1. curl of 20 MiB through --max-bytes 1M
head -c $((20 << 20)) /dev/urandom >"$WORK/big"
HTTP=$(free_port); LISTEN=$(free_port)
(cd "$WORK" && exec python3 -m http.server "$HTTP" --bind 127.0.0.1 >/dev/null 2>&1) & PIDS+=($!)
sleep 1
start_relay "$WORK/max.log" --listen 127.0.0.1:$LISTEN --connect 127.0.0.1:$HTTP --max-bytes 1M
t0=$(date +%s%N)
out=$(curl -s --max-time 60 -o "$WORK/got" -w '%{size_download} %{size_header}' "http://127.0.0.1:$LISTEN/big")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
read -r body header <<<"$out"
echo "  curl returned after ${ms} ms with $body body + $header header bytes"
[ $((body + header)) -eq $((1 << 20)) ] && [ "$ms" -lt 10000 ] && check ok "max-bytes: curl returns promptly with exactly 1 MiB" \
  || check no "max-bytes: curl returns promptly with exactly 1 MiB"
cmp -s -n "$body" "$WORK/got" "$WORK/big" && check ok "max-bytes: the body is the file's first bytes" \
  || check no "max-bytes: the body is the file's first bytes"
kill -TERM "$RELAY"; wait "$RELAY" 2>/dev/null
grep "conn 1 " "$WORK/max.log" | sed 's/^/  /'

# 2. --idle 1s: the client talks every 0.3 s for 3 s, the server only listens; then silence
ECHO=$(free_port); LISTEN=$(free_port)
python3 - "$ECHO" >"$WORK/server.out" <<'PY' & PIDS+=($!)
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); got = b""
while True:
    b = c.recv(100)
    if not b: break
    got += b
print(len(got), flush=True)
PY
sleep 0.5
start_relay "$WORK/idle.log" --listen 127.0.0.1:$LISTEN --connect 127.0.0.1:$ECHO --idle 1s
python3 - "$LISTEN" <<'PY'
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(10):
    c.sendall(b"x" * 10); time.sleep(0.3)
c.settimeout(10); t = time.time(); end = c.recv(10)
print("  client: end of stream %.1f s after its last write (0.3 s before): %r" % (time.time() - t, end))
PY
sleep 0.5
[ "$(cat "$WORK/server.out")" = 100 ] && check ok "idle: 100 bytes sent over 3 s all reached the server" \
  || check no "idle: 100 bytes sent over 3 s all reached the server (got $(cat "$WORK/server.out"))"
sleep 0.2
grep -q "up=100 IDLE_TIMEOUT down=0 IDLE_TIMEOUT" "$WORK/idle.log" && check ok "idle: silence ended it both ways" \
  || check no "idle: silence ended it both ways"
grep "conn 1 " "$WORK/idle.log" | sed 's/^/  /'

# 3. SIGTERM drains: an open connection finishes within --drain, then exit 0
kill -TERM "$RELAY"; wait "$RELAY"; rc=$?
[ $rc -eq 0 ] && grep -q "relay stopped: 1 connection " "$WORK/idle.log" && check ok "sigterm: exit 0 after the summary" \
  || check no "sigterm: exit 0 after the summary (rc $rc)"
# 4. ssh through --idle 2s: the server prints every 0.5 s while the client types nothing for 3 s,
#    then the client's command must still run (with per-direction idle its direction died at 2 s)
if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null; then
  SSHD=$(free_port); LISTEN=$(free_port)
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey" && ssh-keygen -q -t ed25519 -N '' -f "$WORK/id"
  cp "$WORK/id.pub" "$WORK/authorized"
  printf 'Port %s\nListenAddress 127.0.0.1\nHostKey %s\nAuthorizedKeysFile %s\nStrictModes no\nPermitRootLogin yes\nPasswordAuthentication no\nPidFile %s\nUsePAM no\n' \
    "$SSHD" "$WORK/hostkey" "$WORK/authorized" "$WORK/sshd.pid" >"$WORK/sshd_config"
  /usr/sbin/sshd -D -e -f "$WORK/sshd_config" 2>"$WORK/sshd.log" & PIDS+=($!)
  sleep 1
  start_relay "$WORK/ssh.log" --listen 127.0.0.1:$LISTEN --connect 127.0.0.1:$SSHD --idle 2s
  out=$( (sleep 3.5; echo 'echo typed-after-pause'; sleep 1) | ssh -T -p "$LISTEN" -i "$WORK/id" \
      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$(id -un)@127.0.0.1" \
      'sh -c "i=0; while [ \$i -lt 10 ]; do echo tick; sleep 0.5; i=\$((i+1)); done & read line; eval \"\$line\"; wait"' 2>&1)
  echo "  ssh printed $(grep -c tick <<<"$out") ticks, then: $(grep -v tick <<<"$out" | tr '\n' ' ')"
  grep -q '^typed-after-pause$' <<<"$out" && check ok "ssh: a command typed after 3.5 s of output still runs through --idle 2s" \
    || check no "ssh: a command typed after 3.5 s of output still runs through --idle 2s"
  kill -TERM "$RELAY"; wait "$RELAY" 2>/dev/null
else
  echo "SKIP ssh: needs sshd and ssh (apt-get install openssh-server openssh-client)"
fi
exit $fail
