#!/usr/bin/env bash
# What idle splices cost the JVM that holds them: N=0 (the JVM's own background), N=10 and
# N=9000 idle bidirectional splices, measured side by side, per backend and option set.
# Method and results: docs/idle-cost.md. Main class: io.github.splice4j.benchmarks.IdleCost.
#
# Environment (defaults in brackets):
#   BACKENDS ["linux nio"]  OPTIONS ["default timers"]  NS ["0 10 9000"]  ROUNDS [3]
#   SETTLE [20] seconds before measuring, WINDOW [60] seconds measured
#   PORTS [8] listening ports in the peer (about 28,000 ephemeral ports per destination)
#   JFR [0]: 1 records the largest N's measurement window to $OUT/*.jfr; the recording itself
#     costs that JVM about 0.7% of a core, so then compare the loop % column, not CPU %
#   OUT [benchmarks/target/idle-cost]: logs, raw RESULT lines, recordings
#   BUILD [auto]: 1 always builds, 0 never does, auto builds when benchmarks.jar is missing
#   JAVA [java]  JAVA_OPTS []: extra options for the holders
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
BACKENDS=${BACKENDS:-"linux nio"}
OPTIONS=${OPTIONS:-"default timers"}
NS=${NS:-"0 10 9000"}
ROUNDS=${ROUNDS:-3}
SETTLE=${SETTLE:-20}
WINDOW=${WINDOW:-60}
PORTS=${PORTS:-8}
JFR=${JFR:-0}
OUT=${OUT:-$root/benchmarks/target/idle-cost}
BUILD=${BUILD:-auto}
JAVA=${JAVA:-java}
JAVA_OPTS=${JAVA_OPTS:-}
jar=$root/benchmarks/target/benchmarks.jar
main=io.github.splice4j.benchmarks.IdleCost

if [[ $BUILD == 1 || ( $BUILD == auto && ! -f $jar ) ]]; then
    mvn -B -o -q -DskipTests verify -pl splice-api,splice-fallback,splice-linux,splice-bsd,splice4j,benchmarks -am
fi

# every process started here (holders and peer) inherits the raised soft limit
ulimit -n "$(ulimit -Hn)"
limit=$(ulimit -n)
max_n=0
for n in $NS; do (( n > max_n )) && max_n=$n; done
sum_n=0
for n in $NS; do sum_n=$(( sum_n + n )); done
# the holder needs 2N spliced sockets and about 50 of its own; the peer 2N per holder at once
if (( 2 * max_n + 100 > limit || 2 * sum_n + 100 > limit )); then
    echo "open-file limit $limit (hard $(ulimit -Hn)) is too small for N=$NS run side by side" >&2
    exit 1
fi

mkdir -p "$OUT"
raw=$OUT/results.txt
: > "$raw"
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(uptime)

peer_pid=
cleanup() {
    if [[ -n $peer_pid ]]; then kill "$peer_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
"$JAVA" -cp "$jar" "$main" peer "$PORTS" > "$OUT/peer.log" 2>&1 &
peer_pid=$!
for _ in $(seq 100); do
    grep -q '^PORTS ' "$OUT/peer.log" 2>/dev/null && break
    sleep 0.1
done
ports=$(awk '/^PORTS /{print $2}' "$OUT/peer.log")
[[ -n $ports ]] || { echo "the peer did not start:" >&2; cat "$OUT/peer.log" >&2; exit 1; }

peer_fds() { ls "/proc/$peer_pid/fd" | wc -l; }

for round in $(seq "$ROUNDS"); do
    for backend in $BACKENDS; do
        for options in $OPTIONS; do
            # the previous slot's connections must be closed by the peer before new ones come
            for _ in $(seq 300); do (( $(peer_fds) < 1000 )) && break; sleep 0.1; done
            echo "round $round/$ROUNDS: $backend $options N=${NS// /,} ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
            pids=()
            for n in $NS; do
                log=$OUT/$backend-$options-$n-r$round.log
                jfr=()
                if [[ $JFR == 1 && $n == "$max_n" ]]; then
                    jfr=("-XX:StartFlightRecording=delay=${SETTLE}s,duration=${WINDOW}s,filename=$OUT/$backend-$options-$n-r$round.jfr,settings=profile")
                fi
                # shellcheck disable=SC2086
                "$JAVA" $JAVA_OPTS "${jfr[@]}" -cp "$jar" "$main" holder "$backend" "$n" "$options" \
                    "$SETTLE" "$WINDOW" "$ports" > "$log" 2>&1 &
                pids+=($!)
            done
            failed=0
            for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed=1; done
            for n in $NS; do
                log=$OUT/$backend-$options-$n-r$round.log
                if ! grep '^RESULT ' "$log" | sed "s/\$/ round=$round load=$(cut -d' ' -f1 /proc/loadavg)/" >> "$raw"; then
                    echo "no result for $backend $options N=$n, see $log:" >&2
                    tail -5 "$log" >&2
                fi
            done
            (( failed == 0 )) || echo "a holder failed (a splice ended while idle?), see $OUT" >&2
        done
    done
done
load_end=$(uptime)

echo "# idle-cost: $started, $(nproc) cores, $($JAVA -version 2>&1 | head -1)"
echo "# command: BACKENDS=\"$BACKENDS\" OPTIONS=\"$OPTIONS\" NS=\"$NS\" ROUNDS=$ROUNDS SETTLE=$SETTLE WINDOW=$WINDOW benchmarks/idle-cost.sh"
echo "# load at start: $load_start"
echo "# load at end:   $load_end"
echo "# CPU: process CPU time (all threads) / wall time of the window, % of one core; median of $ROUNDS"
echo "# rounds [min-max]; loop: the splice4j-loop-* threads alone. heap/splice: heap after GC with"
echo "# the splices less heap after GC with only the connected channels, / N. fds, threads: the holder's."
awk -v ns="$NS" -v bks="$BACKENDS" -v opts="$OPTIONS" '
function get(line, key,   i, f, kv) {
    f = split(line, kv, " ")
    for (i = 1; i <= f; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2)
    return ""
}
function median(list,   a, m, i, j, t) {
    m = split(list, a, " ")
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    if (m == 0) return ""
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function lo(list,   a, m, i, r) { m = split(list, a, " "); r = a[1]; for (i = 2; i <= m; i++) if (a[i] + 0 < r + 0) r = a[i]; return r }
function hi(list,   a, m, i, r) { m = split(list, a, " "); r = a[1]; for (i = 2; i <= m; i++) if (a[i] + 0 > r + 0) r = a[i]; return r }
{
    k = get($0, "backend") SUBSEP get($0, "options") SUBSEP get($0, "n")
    cpu[k] = cpu[k] " " get($0, "cpu_pct"); loop[k] = loop[k] " " get($0, "loop_cpu_pct")
    heap[k] = heap[k] " " get($0, "heap_per_splice"); thr[k] = thr[k] " " get($0, "threads")
    fds[k] = fds[k] " " get($0, "fds"); ended[k] += get($0, "ended")
}
END {
    printf "%-7s %-8s %6s %8s %15s %8s %11s %8s %7s %6s\n", "backend", "options", "N", "CPU %", "[min-max]", "loop %", "heap/splice", "threads", "fds", "ended"
    nn = split(ns, N, " "); nb = split(bks, B, " "); no = split(opts, O, " ")
    for (b = 1; b <= nb; b++) for (o = 1; o <= no; o++) {
        for (i = 1; i <= nn; i++) {
            k = B[b] SUBSEP O[o] SUBSEP N[i]
            if (!(k in cpu)) { printf "%-7s %-8s %6s  no result\n", B[b], O[o], N[i]; continue }
            med[N[i]] = median(cpu[k])
            printf "%-7s %-8s %6d %8.2f %15s %8.2f %11s %8d %7d %6d\n", B[b], O[o], N[i], med[N[i]],
                sprintf("[%.2f-%.2f]", lo(cpu[k]), hi(cpu[k])), median(loop[k]),
                N[i] == 0 ? "-" : sprintf("%d B", median(heap[k])), median(thr[k]), median(fds[k]), ended[k]
        }
        if (nn >= 2 && (B[b] SUBSEP O[o] SUBSEP N[nn]) in cpu && (B[b] SUBSEP O[o] SUBSEP N[nn - 1]) in cpu) {
            d = med[N[nn]] - med[N[nn - 1]]
            printf "%-7s %-8s %6s %+8.2f  N=%d less N=%d: %s (target < 0.5)\n", B[b], O[o], "delta", d, N[nn], N[nn - 1], d < 0.5 ? "met" : "MISSED"
        }
    }
}' "$raw"
echo "# raw results: $raw"
