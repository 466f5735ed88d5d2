#!/bin/bash
# Scale run (docs/spec.md, "Performance targets"): N concurrent spliced connections through ONE relay process
# under a 20,000 descriptor limit, every connection moving BYTES each way to completion with
# SHA-256 checked. The relay (RelayMain, linux backend, -Xmx64m) runs in its own process; the
# clients and the echo server (ScaleLoad) in another, with their own descriptor limit, since
# N relayed connections are 2N sockets in the relay alone.
#
# Usage: splice-linux/scripts/scale-test.sh [N=8000] [BYTES=65536]
# Env: JAVA (default: java on PATH), RELAY_PORT (27401), SERVER_PORT (27402), MVN_OPTS (e.g. -o),
# RELAY_OPTS (extra JVM options of the relay, e.g. -Dsplice4j.linux.maxPipes=1).
# Prints the load's summary and the relay's last figures (splices, pipes, threads, heap, fds).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
N=${1:-8000} BYTES=${2:-65536}
RELAY_PORT=${RELAY_PORT:-27401} SERVER_PORT=${SERVER_PORT:-27402}
JAVA=${JAVA:-java}
log=$(mktemp -d /tmp/splice-scale.XXXXXX)

cd "$root" || exit 1
mvn -B -q ${MVN_OPTS:-} -pl splice-linux -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$log/cp.txt" -Dmdep.includeScope=test >"$log/build.log" 2>&1 \
  || { cat "$log/build.log"; exit 1; }
CP="$root/splice-linux/target/test-classes:$root/splice-linux/target/classes:$(cat "$log/cp.txt")"

flags=()
feature=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
if [ "${feature%%.*}" -ge 24 ]; then
  flags=(--enable-native-access=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED)
fi

( ulimit -n 20000 && exec "$JAVA" -Xmx64m "${flags[@]}" ${RELAY_OPTS:-} -Drelay.stats=true -cp "$CP" \
    io.github.splice4j.linux.RelayMain "$RELAY_PORT" "$SERVER_PORT" linux ) >"$log/relay.out" 2>"$log/relay.err" &
relay=$!
trap 'kill $relay 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  grep -q "^relay " "$log/relay.err" 2>/dev/null && break
  kill -0 $relay 2>/dev/null || { cat "$log/relay.err"; exit 1; }
  sleep 0.1
done
echo "relay pid $relay: fd limit $(awk '/Max open files/ {print $4}' /proc/$relay/limits); logs in $log"

start=$(date +%s.%N)
( ulimit -n 20000 && exec "$JAVA" -Xmx1g -cp "$CP" io.github.splice4j.linux.ScaleLoad \
    "$RELAY_PORT" "$SERVER_PORT" "$N" "$BYTES" ) | tee "$log/load.out"
rc=${PIPESTATUS[0]}
end=$(date +%s.%N)
sleep 1.5  # one more figures line after the last connection closed
echo "relay at its peak (max over the run's lines):"
grep -m1 "splices $N " "$log/relay.out" || echo "(never all $N at once)"
echo "relay at the end:"
tail -n 1 "$log/relay.out"
grep -v "^relay " "$log/relay.err" | head -5
printf 'scale run: %s connections, %s bytes each way each, %.1f s in total, exit %s\n' \
  "$N" "$BYTES" "$(echo "$end - $start" | bc)" "$rc"
exit $rc
