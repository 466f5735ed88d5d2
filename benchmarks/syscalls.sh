#!/usr/bin/env bash
# System calls per GB moved, by kind, for each relay: the C reference relays and HAProxy beside
# splice-proxy on the linux and nio backends. Counts, not times, so the figures do not depend on
# what else the machine is doing (a slower run can batch differently, so compare relays within
# one run). Each relay forwards one iperf3 transfer of BYTES; `perf stat` counts the relay
# process's syscall tracepoints while it runs.
#
# Usage: benchmarks/syscalls.sh [BYTES (default 2G)] [iperf3 streams (default 1)]
# Needs: perf (Debian linux-perf), iperf3, haproxy, and relay-bench's C relays
#        (SPLICE_BENCH_BIN, default /tmp/splice-bench; `relay-bench --setup` builds them),
#        splice-proxy/target/splice-proxy.jar (mvn -B -DskipTests verify).
# Output: one table, rows are syscalls, columns relays, figures are calls per GB (10^9 bytes).
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-2G} P=${2:-1}
BIN=${SPLICE_BENCH_BIN:-/tmp/splice-bench}
JAR=splice-proxy/target/splice-proxy.jar
IPERF=15501 port=15510
for c in perf iperf3 haproxy; do command -v $c >/dev/null || { echo "missing $c" >&2; exit 1; }; done
[ -x "$BIN/cproxy" ] || { echo "missing $BIN/cproxy: run relay-bench --setup" >&2; exit 1; }
[ -f "$JAR" ] || { echo "missing $JAR: run mvn -B -DskipTests verify" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
iperf3 -s -p $IPERF >/dev/null 2>&1 & pids+=($!)

listening() { ss -Htln "sport = :$1" | grep -q .; }

run() {  # name, command (listens on $port, forwards to $IPERF)
  local name=$1 cmd=$2 pid perfpid i
  bash -c "exec $cmd" >"$work/$name.log" 2>&1 & pid=$!; pids+=($pid)
  for i in $(seq 1 300); do listening $port && break; sleep 0.1; done
  listening $port || { echo "$name did not listen; its log:" >&2; cat "$work/$name.log" >&2; exit 1; }
  sleep 1
  perf stat -x, -e 'syscalls:sys_enter_*' -p $pid -o "$work/$name.perf" & perfpid=$!
  sleep 0.5
  iperf3 -c 127.0.0.1 -p $port -n "$BYTES" -P "$P" -J >"$work/$name.json"
  kill -INT $perfpid; wait $perfpid || true
  kill $pid 2>/dev/null || true
  python3 - "$name" "$work/$name.perf" "$work/$name.json" >>"$work/rows" <<'EOF'
import json, sys
name, perf, js = sys.argv[1:]
moved = json.load(open(js))["end"]["sum_received"]["bytes"]
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 2 and f[2].startswith("syscalls:sys_enter_") and f[0].isdigit() and int(f[0]) > 0:
        print(name, f[2][len("syscalls:sys_enter_"):], int(f[0]) / (moved / 1e9), sep="\t")
print(name, "GB moved", moved / 1e9, sep="\t")
EOF
  port=$((port + 1))
}

hap() {  # name, option
  printf 'global\n  maxconn 4000\n  tune.pipesize 262144\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  %s\nlisten r\n  bind 127.0.0.1:%s\n  server s 127.0.0.1:%s\n' "$2" $port $IPERF >"$work/$1.cfg"
  run "$1" "haproxy -q -db -f $work/$1.cfg"
}

R="relay --listen 127.0.0.1:{L} --connect 127.0.0.1:$IPERF --warmup 1G"
run c-splice "$BIN/cproxy splice $port $IPERF 1048576"
run c-copy "$BIN/cproxy copy $port $IPERF"
hap haproxy-splice $'option splice-request\n  option splice-response'
hap haproxy-copy "no option splice-auto"
run linux "java -jar $JAR ${R//\{L\}/$port} --backend linux"
run nio "java -jar $JAR ${R//\{L\}/$port} --backend nio"

python3 - "$work/rows" "$BYTES" "$P" <<'EOF'
import sys, collections
rows, size, streams = sys.argv[1:]
t = collections.defaultdict(dict); names = []
for line in open(rows):
    n, k, v = line.rstrip("\n").split("\t")
    if n not in names: names.append(n)
    t[k][n] = float(v)
print(f"syscalls per GB moved (iperf3 -n {size} -P {streams} through each relay; perf stat of the relay process)")
keys = ["GB moved"] + sorted((k for k in t if k != "GB moved"), key=lambda k: -max(t[k].values()))
print("| syscall | " + " | ".join(names) + " |")
print("|---" * (len(names) + 1) + "|")
for k in keys:
    if k != "GB moved" and max(t[k].values()) < 1: continue
    cells = [("%.2f" % t[k][n]) if k == "GB moved" else ("%.0f" % t[k][n]) if n in t[k] else "-" for n in names]
    print(f"| {k} | " + " | ".join(cells) + " |")
EOF
