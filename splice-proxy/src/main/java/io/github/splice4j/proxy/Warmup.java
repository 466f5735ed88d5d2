package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceResult;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

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
    /**
     * Short connections in each settling round: the methods that run once per connection reach C2
     * only after about 15,000 calls (more while the JIT is busy): after {@link #CONNECTIONS} alone,
     * a relay's next 9,000 connections cost 400-590 us of its CPU each, against about 300 once
     * compiled (docs/benchmarks.md).
     */
    static final int SETTLE_CONNECTIONS = 2_000;
    /** Connections at a time in the connection phase, as many as relay-bench's short-connection test. */
    static final int PARALLEL = 8;
    /** Every this many connections of the connection phase ends with a reset (see {@link #connections}). */
    private static final int RESET_EVERY = 4;
    private static final int RESET_BYTES = 64 << 10;
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
     * a relay ({@link #PARALLEL} at a time, some ending with a reset), then settling rounds until
     * the JIT is done (see {@link #settle}); checks every count.
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
            connections(backend, CONNECTIONS);
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
                CONNECTIONS + settle * SETTLE_CONNECTIONS, settle,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /**
     * Repeats a short bulk and round-trip phase, then {@link #streams parallel streams}, then
     * {@link #SETTLE_CONNECTIONS} short connections, until a
     * round adds less than {@link #SETTLED_MILLIS} of JIT compilation time (at most
     * {@link #SETTLE_ROUNDS} rounds). While
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
            streams(backend, bytes);
            connections(backend, SETTLE_CONNECTIONS);
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

    /**
     * {@code count} connections through a relay to an echo target, {@link #PARALLEL} at a time, one
     * 64-byte round trip each, each logged as the relay command logs it (into a stream that
     * discards it: formatting and queueing the line is per-connection work too). They end the
     * ways real clients end them: most close; every
     * {@link #RESET_EVERY}th sends {@link #RESET_BYTES} more than the echo reads and closes with a
     * reset, so that the target resets too with bytes still in the relay (the way an iperf3 client
     * ends its streams). The ends with an error, the pipes given back still holding bytes and the
     * sessions that several clients end at once take paths the JIT otherwise compiles only when a
     * real client first takes them, deoptimizing the splice paths in the middle of its traffic.
     */
    private static void connections(SpliceBackend backend, int count) throws IOException, InterruptedException,
            ExecutionException, TimeoutException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        ExecutorService io = Executors.newFixedThreadPool(2 * PARALLEL, r -> {
            Thread t = new Thread(r, "splice-proxy-warmup-connections");
            t.setDaemon(true);
            return t;
        });
        try (ServerSocketChannel echo = ServerSocketChannel.open().bind(loopback, 2 * PARALLEL)) {
            AtomicInteger accepts = new AtomicInteger();
            AtomicInteger connects = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            AtomicInteger spliced = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            try (LogWriter log = new LogWriter(new PrintStream(new BufferedOutputStream(OutputStream.nullOutputStream()),
                    false, Charset.defaultCharset()));
                    Relay relay = Relay.builder().listen(loopback).target(echo.getLocalAddress()).backend(backend)
                    .onFinished(f -> {
                        if (f.result().isPresent()) {
                            spliced.incrementAndGet();
                        }
                        log.accept(RelayLog.line(f));
                        finished.incrementAndGet();
                    }).start()) {
                for (int i = 0; i < PARALLEL; i++) {
                    work.add(io.submit(() -> echoes(echo, accepts, count)));
                    work.add(io.submit(() -> clients(relay.localAddress(), connects, count)));
                }
                for (Future<?> f : work) {
                    await(f);
                }
                // a reset connection may still be ending in the relay: wait for its report
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                while (finished.get() < count && System.nanoTime() - end < 0) {
                    Thread.sleep(1);
                }
            }
            if (spliced.get() != count) {
                throw new IOException("warm-up: " + spliced.get() + " of " + count + " connections spliced");
            }
        } finally {
            io.shutdownNow();
        }
    }

    /**
     * {@link #PARALLEL} one-way streams at once through a relay to a sink that reads 16 KiB at a
     * time, {@code bytes} in all: bulk traffic as several clients at once send it (the way an
     * iperf3 client with parallel streams does), so that the loops serve several busy splices,
     * the pipe pool grows and drains fill. Every other stream closes (its bytes are counted at the
     * sink); the rest reset once they have written, with bytes still in the relay.
     */
    private static void streams(SpliceBackend backend, long bytes) throws IOException, InterruptedException,
            ExecutionException, TimeoutException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        ExecutorService io = Executors.newFixedThreadPool(2 * PARALLEL, r -> {
            Thread t = new Thread(r, "splice-proxy-warmup-streams");
            t.setDaemon(true);
            return t;
        });
        long each = bytes / PARALLEL;
        try (ServerSocketChannel sink = ServerSocketChannel.open().bind(loopback, 2 * PARALLEL)) {
            AtomicInteger finished = new AtomicInteger();
            AtomicInteger whole = new AtomicInteger();
            List<Future<?>> work = new ArrayList<>();
            List<Future<Long>> sunk = new ArrayList<>();
            try (Relay relay = Relay.builder().listen(loopback).target(sink.getLocalAddress()).backend(backend)
                    .onFinished(f -> {
                        f.result().filter(r -> r.end(Direction.FORWARD) == SpliceEnd.EOF
                                && r.bytes(Direction.FORWARD) == each).ifPresent(r -> whole.incrementAndGet());
                        finished.incrementAndGet();
                    }).start()) {
                for (int i = 0; i < PARALLEL; i++) {
                    sunk.add(io.submit(() -> sinkOne(sink)));
                    boolean reset = i % 2 == 1;
                    work.add(io.submit(() -> {
                        try (SocketChannel c = SocketChannel.open(relay.localAddress())) {
                            write(c, each);
                            if (reset) {
                                c.setOption(StandardSocketOptions.SO_LINGER, 0);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    await(f);
                }
                for (Future<Long> f : sunk) {
                    if (f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS) > each) {
                        throw new IOException("warm-up: a sink received " + f.get() + " of " + each + " bytes");
                    }
                }
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                while (finished.get() < PARALLEL && System.nanoTime() - end < 0) {
                    Thread.sleep(1);
                }
            }
            if (whole.get() < PARALLEL / 2) {
                throw new IOException("warm-up: " + whole.get() + " of " + PARALLEL / 2
                        + " closed streams delivered all their bytes");
            }
        } finally {
            io.shutdownNow();
        }
    }

    /** One sink connection: reads 16 KiB at a time until the stream ends or is reset; the bytes read. */
    private static long sinkOne(ServerSocketChannel sink) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(SETTLE_READ);
        long got = 0;
        try (SocketChannel s = sink.accept()) {
            for (int n; (n = s.read(chunk.clear())) >= 0; ) {
                got += n;
            }
        } catch (IOException reset) {
            // a reset stream: the relay passed its client's reset on
        }
        return got;
    }

    /** One echo worker: accepts until {@code count} are taken; echoes 64 bytes and closes. */
    private static Void echoes(ServerSocketChannel echo, AtomicInteger accepts, int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(TRIP_BYTES);
        while (accepts.getAndIncrement() < count) {
            try (SocketChannel s = echo.accept()) {
                receive(s, b);
                send(s, b);
            }
        }
        return null;
    }

    /** One client: connects until {@code count} are taken; see {@link #connections}. */
    private static Void clients(SocketAddress relay, AtomicInteger connects, int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(TRIP_BYTES);
        ByteBuffer more = ByteBuffer.allocate(RESET_BYTES);
        for (int i; (i = connects.getAndIncrement()) < count; ) {
            try (SocketChannel c = SocketChannel.open(relay)) {
                send(c, b);
                receive(c, b);
                if (i % RESET_EVERY == RESET_EVERY - 1) {
                    c.setOption(StandardSocketOptions.SO_LINGER, 0);
                    try {
                        send(c, more);
                    } catch (IOException e) {
                        // the echo's reset came back through the relay first: as intended
                    }
                }
            }
        }
        return null;
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
