package io.github.splice4j;

import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the library tells about itself: counters per backend for {@link Splice#stats()}, and the
 * JDK Flight Recorder events of finished splices and of fallbacks to the copy path
 * (docs/observability.md). A splice costs two counter increments and, only while a recording
 * enables the event, one event object when it finishes; nothing on the path that moves bytes.
 */
final class Telemetry {

    private static final ConcurrentHashMap<String, Counters> COUNTERS = new ConcurrentHashMap<>();

    private Telemetry() {
    }

    private static final class Counters {
        final LongAdder started = new LongAdder();
        final LongAdder finished = new LongAdder();
        final LongAdder bytes = new LongAdder();
    }

    private static Counters of(String backend) {
        return COUNTERS.computeIfAbsent(backend, k -> new Counters());
    }

    /** A splice of {@code backend} started; returns the time it did, for {@link #finished}. */
    static long started(String backend) {
        of(backend).started.increment();
        return System.nanoTime();
    }

    /** A splice of {@code backend} that started at {@code startedNanos} completed with {@code result}. */
    static void finished(String backend, long startedNanos, SpliceResult result) {
        long total = 0;
        for (Direction d : result.directions()) {
            total += result.bytes(d);
        }
        Counters c = of(backend);
        c.bytes.add(total);
        c.finished.increment();
        SpliceEvent e = new SpliceEvent();
        if (e.shouldCommit()) {
            e.backend = backend;
            e.forwardBytes = result.bytes(Direction.FORWARD);
            e.forwardEnd = result.end(Direction.FORWARD).name();
            if (result.directions().contains(Direction.REVERSE)) {
                e.reverseBytes = result.bytes(Direction.REVERSE);
                e.reverseEnd = result.end(Direction.REVERSE).name();
            }
            for (Direction d : result.directions()) {
                if (result.error(d).isPresent()) {
                    e.error = result.error(d).get().getMessage();
                    break;
                }
            }
            e.splicedFor = System.nanoTime() - startedNanos;
            e.commit();
        }
    }

    /** A direction of {@code backend} from {@code source} to {@code drain} is copied instead, because of {@code reason}. */
    static void fellBack(String backend, String reason, SocketChannel source, SocketChannel drain) {
        FallbackEvent e = new FallbackEvent();
        if (e.shouldCommit()) {
            e.backend = backend;
            e.reason = reason;
            e.source = address(source);
            e.drain = address(drain);
            e.commit();
        }
    }

    private static String address(SocketChannel c) {
        try {
            return String.valueOf(c.getRemoteAddress());
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown (" + e + ")";
        }
    }

    /**
     * One snapshot per backend found, in {@link Backends#all()} order, then one for each other
     * backend that ran splices (a backend a test or a benchmark made itself), by name.
     */
    static List<SpliceStats> snapshot() {
        List<SpliceStats> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (SpliceBackend b : Backends.all()) {
            seen.add(b.name());
            out.add(stats(b.name(), ((Backend) b).resources()));
        }
        new java.util.TreeSet<>(COUNTERS.keySet()).stream().filter(n -> !seen.contains(n))
                .forEach(n -> out.add(stats(n, java.util.Map.of())));
        return List.copyOf(out);
    }

    private static SpliceStats stats(String backend, java.util.Map<String, Long> resources) {
        Counters c = of(backend);
        // finished before started: a splice that finishes between the two reads cannot make running negative
        long finished = c.finished.sum();
        long started = c.started.sum();
        return new SpliceStats(backend, Math.max(0, started - finished), started, finished, c.bytes.sum(), resources);
    }
}
