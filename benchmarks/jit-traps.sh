#!/usr/bin/env bash
# What the JIT still does once a relay has warmed up: starts splice-proxy with `--warmup` and the
# JVM's compilation log, pushes ROUNDS iperf3 transfers of 5 s through it, and prints per round the
# JIT compilation time the JVM reports and the relay's CPU seconds per GB; then every uncommon trap
# (a deoptimization: compiled code meeting a branch or type its profile never saw) after the relay
# began to listen, with the method compiled around it. A trap in io.github.splice4j means the
# warm-up did not take a path the clients then took: the JIT throws away the compiled splice path
# and compiles it again, on the relay's cores, in the middle of the clients' traffic.
#
# Usage: benchmarks/jit-traps.sh [STREAMS (default 8)] [ROUNDS (default 4)] [BACKEND (default linux)]
#        JAR=path/to/splice-proxy.jar (default splice-proxy/target/splice-proxy.jar)
#        JAVA=path/to/java (default java)
# Needs: iperf3, python3, jcmd of the same JDK.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-8} ROUNDS=${2:-4} BACKEND=${3:-linux}
JAR=${JAR:-splice-proxy/target/splice-proxy.jar} JAVA=${JAVA:-java}
JCMD=$(dirname "$(command -v "$JAVA")")/jcmd
LISTEN=15520 TARGET=15521
for c in iperf3 python3 "$JCMD"; do command -v "$c" >/dev/null || { echo "missing $c" >&2; exit 1; }; done
[ -f "$JAR" ] || { echo "missing $JAR: run mvn -B -DskipTests verify" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
iperf3 -s -p $TARGET >/dev/null 2>&1 & pids+=($!)
"$JAVA" -XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile="$work/jit.xml" -jar "$JAR" relay \
    --listen 127.0.0.1:$LISTEN --connect 127.0.0.1:$TARGET --warmup 1G --backend "$BACKEND" >"$work/relay.log" 2>&1 &
relay=$!; pids+=($relay)
until grep -q listening "$work/relay.log"; do kill -0 $relay || { cat "$work/relay.log"; exit 1; }; sleep 0.2; done
grep warmed "$work/relay.log" || true
up=$("$JCMD" $relay VM.uptime | awk 'NR == 2 {print $1}')
counter() { "$JCMD" $relay PerfCounter.print | awk -F= -v k="$1" '$1 == k {print $2}'; }
freq=$(counter sun.os.hrt.frequency) tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' /proc/$relay/stat; }
for r in $(seq 1 "$ROUNDS"); do
  c0=$(cpu) j0=$(counter java.ci.totalTime)
  out=$(iperf3 -c 127.0.0.1 -p $LISTEN -P "$P" -t 5 -J)
  c1=$(cpu) j1=$(counter java.ci.totalTime)
  echo "$out" | python3 -c '
import json, sys
r, c, j, freq, tck = sys.argv[1:6]
b = json.load(sys.stdin)["end"]["sum_received"]["bytes"]
print("round %s: %.2f Gbit/s, relay CPU %.3f s/GB, JIT compilation %.0f ms"
      % (r, b * 8 / 5e9, int(c) / int(tck) / (b / 1e9), int(j) / int(freq) * 1000))' \
    "$r" $((c1 - c0)) $((j1 - j0)) "$freq" "$tck"
done
kill $relay; wait $relay 2>/dev/null || true
python3 - "$work/jit.xml" "$up" <<'PY'
import re, sys
log, up = open(sys.argv[1], errors="replace").read(), float(sys.argv[2])
compiled = {m[0]: m[1].split(" (")[0] for m in re.findall(r"<task compile_id='(\d+)'[^>]*?method='([^']+)'", log)}
traps = re.findall(r"<uncommon_trap thread='\d+' reason='([^']+)' action='[^']+'(?: debug_id='\d+')? "
                   r"compile_id='(\d+)'[^>]*stamp='([\d.]+)'[^>]*>\s*<jvms bci='(\d+)' method='([^']+)'", log)
after = [t for t in traps if float(t[2]) > up]
ours = [t for t in after if "splice4j" in compiled.get(t[1], "")]
print("uncommon traps after the relay listened: %d, %d of them in compiled splice4j code" % (len(after), len(ours)))
for reason, cid, stamp, bci, method in after:
    print("  %7.2f s  %-14s %s @%s  (in compiled %s)" % (float(stamp), reason, method.split(" (")[0], bci,
                                                       compiled.get(cid, "?")))
PY
