package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceResult;
import java.io.EOFException;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs traffic through the relay's own backend before the relay takes its first client, so that
 * the JIT has compiled the splice paths and the first clients do not pay for it: bulk bytes both
 * ways at once, then small request/response round trips, through a real spliced loopback
 * connection (client - spliced pair - target, as in the relay). A JVM relay that starts cold
 * moves its first gigabytes at a fraction of its speed, with round trips of milliseconds while
 * methods compile; services do the same before they report ready.
 */
final class Warmup {

    /** Round trips after the bulk phase: enough for the small-message path to reach C2. */
    static final int TRIPS = 20_000;
    /**
     * Short connections through a loopback {@link Relay} last: accept, connect, splice start and
     * end run once per connection, so they reach C2 only after thousands of connections; a relay
     * that skips this spends most of its CPU for its first clients' connections in the JIT.
     */
    static final int CONNECTIONS = 10_000;
    private static final int TRIP_BYTES = 64;
    private static final int CHUNK = 256 << 10;
    private static final long TIMEOUT_SECONDS = 120;
    /** Bytes each way per settling round (at most the warm-up's own size). */
    private static final long SETTLE_BYTES = 256L << 20;
    private static final int SETTLE_TRIPS = 2_000;
    /**
     * Reads of a settling round: small, so that the drains fill and the splice paths that wait
     * for a writable drain are compiled too (the first phase's fast readers rarely fill one; a
     * client's first slow reader would otherwise deoptimize the pump).
     */
    private static final int SETTLE_READ = 16 << 10;
    private static final int SETTLE_ROUNDS = 10;
    /** Compilation time below which a round counts as settled. */
    private static final long SETTLED_MILLIS = 20;

    private Warmup() {
    }

    /**
     * Moves {@code bytes} each way and {@link #TRIPS} round trips of 64 bytes through one
     * bidirectional splice on {@code backend}, then {@link #CONNECTIONS} short connections through
     * a relay, then settling rounds until the JIT is done (see {@link #settle}); checks every count.
     *
     * @return a line for the relay's log
     * @throws IOException if a socket fails, or the splice delivered other than what was sent
     */
    static String run(SpliceBackend backend, long bytes) throws IOException {
        long start = System.nanoTime();
        ExecutorService io = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "splice-proxy-warmup");
            t.setDaemon(true);
            return t;
        });
        int settle;
        try {
            traffic(backend, bytes, TRIPS, CHUNK, io);
            connections(backend, io);
            settle = settle(backend, Math.min(bytes, SETTLE_BYTES), io);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("warm-up interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("warm-up failed: " + (e.getCause() != null ? e.getCause() : e), e);
        } finally {
            io.shutdownNow();
        }
        return String.format("splice-proxy relay warmed up (backend %s): %s each way, %d round trips, %d "
                + "connections and %d settling rounds in %d ms", backend.name(), (bytes >> 20) + " MiB", TRIPS,
                CONNECTIONS, settle, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /**
     * Repeats a short bulk and round-trip phase until a round adds less than
     * {@link #SETTLED_MILLIS} of JIT compilation time (at most {@link #SETTLE_ROUNDS} rounds). While
     * the first phases compile hundreds of methods, the JIT raises its thresholds for the rest, so
     * the hottest splice paths (the pump, the loop) reach their final tier only after: measured on
     * a 2-core machine, a relay without these rounds still spent 21-30% of its CPU in the C2
     * compiler during its first client's transfer (docs/benchmarks.md).
     *
     * @return the rounds run; 0 where the JVM does not report compilation time
     */
    private static int settle(SpliceBackend backend, long bytes, ExecutorService io)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return 0;
        }
        int rounds = 0;
        while (rounds < SETTLE_ROUNDS) {
            long before = jit.getTotalCompilationTime();
            traffic(backend, bytes, SETTLE_TRIPS, SETTLE_READ, io);
            rounds++;
            if (jit.getTotalCompilationTime() - before < SETTLED_MILLIS) {
                break;
            }
        }
        return rounds;
    }

    /**
     * Moves {@code bytes} each way at once (read {@code readChunk} bytes at a time), then
     * {@code trips} round trips of 64 bytes, through one bidirectional splice on {@code backend},
     * and checks the counts.
     */
    private static void traffic(SpliceBackend backend, long bytes, int trips, int readChunk, ExecutorService io)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        try (Demo.Rig rig = Demo.Rig.open()) {
            rig.handle = backend.bidirectional(rig.relayClient, rig.relayTarget);
            Future<?> up = io.submit(() -> write(rig.client, bytes));
            Future<?> down = io.submit(() -> write(rig.target, bytes));
            Future<Long> upRead = io.submit(() -> read(rig.target, bytes, readChunk));
            Future<Long> downRead = io.submit(() -> read(rig.client, bytes, readChunk));
            await(up);
            await(down);
            await(upRead);
            await(downRead);
            ByteBuffer request = ByteBuffer.allocate(TRIP_BYTES);
            ByteBuffer echoed = ByteBuffer.allocate(TRIP_BYTES);
            for (int i = 0; i < trips; i++) {
                send(rig.client, request);
                receive(rig.target, echoed);
                send(rig.target, echoed);
                receive(rig.client, request);
            }
            rig.handle.unsplice();
            SpliceResult r = rig.handle.completion().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            long expected = bytes + (long) trips * TRIP_BYTES;
            for (Direction d : Direction.values()) {
                if (r.bytes(d) != expected) {
                    throw new IOException("warm-up: " + d + " delivered " + r.bytes(d) + " of " + expected
                            + " bytes: " + r);
                }
            }
        }
    }

    /** {@link #CONNECTIONS} connections, one 64-byte round trip each, through a relay to an echo target. */
    private static void connections(SpliceBackend backend, ExecutorService io)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (ServerSocketChannel echo = ServerSocketChannel.open().bind(loopback)) {
            java.util.concurrent.atomic.AtomicInteger clean = new java.util.concurrent.atomic.AtomicInteger();
            Future<?> echoes = io.submit(() -> {
                ByteBuffer b = ByteBuffer.allocate(TRIP_BYTES);
                for (int i = 0; i < CONNECTIONS; i++) {
                    try (SocketChannel s = echo.accept()) {
                        receive(s, b);
                        send(s, b);
                    }
                }
                return null;
            });
            try (Relay relay = Relay.builder().listen(loopback).target(echo.getLocalAddress()).backend(backend)
                    .onFinished(f -> {
                        if (f.result().isPresent()) {
                            clean.incrementAndGet();
                        }
                    }).start()) {
                ByteBuffer b = ByteBuffer.allocate(TRIP_BYTES);
                for (int i = 0; i < CONNECTIONS; i++) {
                    try (SocketChannel c = SocketChannel.open(relay.localAddress())) {
                        send(c, b);
                        receive(c, b);
                    }
                }
                await(echoes);
            }
            if (clean.get() != CONNECTIONS) {
                throw new IOException("warm-up: " + clean.get() + " of " + CONNECTIONS + " connections spliced");
            }
        }
    }

    private static void send(SocketChannel c, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static void receive(SocketChannel c, ByteBuffer b) throws IOException {
        b.clear();
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                throw new EOFException("warm-up: end of stream in a round trip");
            }
        }
    }

    private static Void write(SocketChannel c, long bytes) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        for (long left = bytes; left > 0; left -= chunk.limit()) {
            chunk.clear().limit((int) Math.min(CHUNK, left));
            while (chunk.hasRemaining()) {
                c.write(chunk);
            }
        }
        return null;
    }

    private static long read(SocketChannel c, long bytes, int size) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(size);
        long got = 0;
        while (got < bytes) {
            chunk.clear().limit((int) Math.min(size, bytes - got));
            int n = c.read(chunk);
            if (n < 0) {
                throw new EOFException("warm-up: end of stream after " + got + " of " + bytes + " bytes");
            }
            got += n;
        }
        return got;
    }

    private static void await(Future<?> f) throws InterruptedException, ExecutionException, TimeoutException {
        f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
