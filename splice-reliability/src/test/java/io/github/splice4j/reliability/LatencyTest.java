package io.github.splice4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Interactive latency through the real relay, alone and beside bulk transfers: the 2008 netdev
 * report of 200 ms stalls on small request/response traffic through splice(SPLICE_F_MORE),
 * generalized to every backend. Requests of 1 B to 16 KiB (log-uniform) are echoed by the target;
 * each round trip is checked byte for byte and timed.
 *
 * <p>The test asserts correctness, and only what load cannot fake: the corking stall holds back
 * every small exchange for about 200 ms, so it moves the median round trip, while a busy machine's
 * scheduler only stretches the tail. Both phases, alone and beside two bulk connections running
 * both ways through the same relay, must have a median round trip under 150 ms; the tail is
 * printed, never asserted (speed is measured by the benchmarks).
 * It prints p50, p99, p99.9 and max per backend; {@code -Dsplice4j.latency.seconds=N} (default 3)
 * measures each phase longer, and the table is appended to {@code target/reliability-report.txt}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class LatencyTest {

    private static final long BOUND_MILLIS = 150;
    private static final int INTERACTIVE = 2;
    private static final int BULK = 2;
    private static final int MAX_REQUEST = 16 * 1024;
    private static final byte ECHO = 'E';
    private static final byte SINK = 'B';

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "latency-test");
        t.setDaemon(true);
        return t;
    });
    private final List<SocketChannel> opened = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void closeEverything() throws IOException {
        synchronized (opened) {
            for (SocketChannel c : opened) {
                c.close();
            }
        }
        threads.shutdownNow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.splice4j.reliability.AvailableBackends#names")
    void roundTrips_throughRelay_aloneAndBesideBulk_noCorkingStall(String backend) throws Exception {
        long millis = Report.property("splice4j.latency.seconds", 3L) * 1000;
        long seed = Report.property("splice4j.latency.seed", System.nanoTime());
        long bound = TimeUnit.MILLISECONDS.toNanos(BOUND_MILLIS);
        try (ServerSocketChannel target = ServerSocketChannel.open()) {
            target.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            threads.submit(() -> serve(target));
            try (RelayProcess relay = RelayProcess.start(backend, (InetSocketAddress) target.getLocalAddress(),
                    Duration.ZERO, line -> { })) {
                // JIT on both sides first: neither phase should measure the compiler
                measure(relay, 1_000, seed);
                long[] quiet = measure(relay, millis, seed + 1);

                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong bulkBytes = new AtomicLong();
                List<Future<?>> bulk = new ArrayList<>();
                for (int i = 0; i < BULK; i++) {
                    SocketChannel c = connect(relay, SINK);
                    bulk.add(threads.submit(() -> pour(c, stop)));
                    bulk.add(threads.submit(() -> drain(c, bulkBytes)));
                }
                Thread.sleep(300);
                long bulkStart = System.nanoTime();
                long bulkBefore = bulkBytes.get();
                long[] busy = measure(relay, millis, seed + 2);
                double bulkMiBs = (bulkBytes.get() - bulkBefore) / ((System.nanoTime() - bulkStart) / 1e9) / (1 << 20);
                stop.set(true);
                for (Future<?> f : bulk) {
                    f.get(30, TimeUnit.SECONDS);
                }
                relay.stop();

                String table = String.format("%-6s %-22s %8s %9s %9s %9s %9s%n", "backend", "phase", "trips",
                        "p50 us", "p99 us", "p99.9 us", "max us")
                        + row(backend, "alone", quiet)
                        + row(backend, String.format("beside %d bulk (%.0f MiB/s)", BULK, bulkMiBs), busy);
                Report.print("latency " + backend + " (seed " + seed + ", " + millis + " ms per phase)", table);

                assertTrue(bulkMiBs > 1, "the bulk connections hardly moved anything: " + bulkMiBs + " MiB/s");
                assertTrue(percentile(quiet, 0.5) < bound,
                        "median round trip with no bulk traffic is " + percentile(quiet, 0.5) / 1_000 + " us: " + table);
                assertTrue(percentile(busy, 0.5) < bound,
                        "median round trip beside bulk traffic is " + percentile(busy, 0.5) / 1_000 + " us: " + table);
            }
        }
    }

    private static String row(String backend, String phase, long[] sorted) {
        return String.format("%-6s %-22s %8d %9d %9d %9d %9d%n", backend, phase, sorted.length,
                percentile(sorted, 0.5) / 1_000, percentile(sorted, 0.99) / 1_000, percentile(sorted, 0.999) / 1_000,
                sorted[sorted.length - 1] / 1_000);
    }

    static long percentile(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }

    /** Round trips on {@value #INTERACTIVE} connections for {@code millis}; every one, sorted. */
    private long[] measure(RelayProcess relay, long millis, long seed) throws Exception {
        List<Future<long[]>> runs = new ArrayList<>();
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (int i = 0; i < INTERACTIVE; i++) {
            SocketChannel c = connect(relay, ECHO);
            long s = seed * 31 + i;
            runs.add(threads.submit(() -> roundTrips(c, until, s)));
        }
        long[] all = new long[0];
        for (Future<long[]> f : runs) {
            long[] one = await(f, millis + 30_000);
            long[] both = Arrays.copyOf(all, all.length + one.length);
            System.arraycopy(one, 0, both, all.length, one.length);
            all = both;
        }
        Arrays.sort(all);
        assertTrue(all.length > 0, "no round trip completed");
        return all;
    }

    private static long[] roundTrips(SocketChannel c, long until, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] request = new byte[MAX_REQUEST];
        ByteBuffer reply = ByteBuffer.allocate(MAX_REQUEST);
        long[] times = new long[1 << 16];
        int n = 0;
        while (System.nanoTime() - until < 0) {
            int size = (int) Math.min(MAX_REQUEST, Math.max(1, Math.round(Math.exp(rnd.nextDouble() * Math.log(MAX_REQUEST)))));
            rnd.nextBytes(request);
            long t0 = System.nanoTime();
            writeFully(c, ByteBuffer.wrap(request, 0, size));
            reply.clear().limit(size);
            while (reply.hasRemaining()) {
                if (c.read(reply) < 0) {
                    throw new EOFException("the relay ended the echo after " + reply.position() + " of " + size + " bytes");
                }
            }
            long t = System.nanoTime() - t0;
            assertArrayEquals(Arrays.copyOf(request, size), Arrays.copyOf(reply.array(), size),
                    "the echo of a " + size + "-byte request differs");
            if (n == times.length) {
                times = Arrays.copyOf(times, n * 2);
            }
            times[n++] = t;
        }
        c.shutdownOutput();
        assertEquals(-1, c.read(ByteBuffer.allocate(1)), "bytes after the last echo");
        c.close();
        return Arrays.copyOf(times, n);
    }

    private SocketChannel connect(RelayProcess relay, byte mode) throws IOException {
        SocketChannel c = SocketChannel.open();
        opened.add(c);
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        c.connect(relay.address());
        writeFully(c, ByteBuffer.wrap(new byte[] {mode}));
        return c;
    }

    /** The target: echoes ({@code E}) or swallows and pours ({@code B}) per connection. */
    private Void serve(ServerSocketChannel target) {
        while (true) {
            SocketChannel s;
            try {
                s = target.accept();
            } catch (IOException e) {
                return null;  // closed at the end of the test
            }
            opened.add(s);
            threads.submit(() -> {
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ByteBuffer mode = ByteBuffer.allocate(1);
                if (s.read(mode) < 0) {
                    return null;
                }
                if (mode.get(0) == ECHO) {
                    echo(s);
                } else {
                    AtomicBoolean stop = new AtomicBoolean();
                    Future<?> out = threads.submit(() -> pour(s, stop));
                    drain(s, new AtomicLong());
                    stop.set(true);
                    out.get(30, TimeUnit.SECONDS);
                }
                s.close();
                return null;
            });
        }
    }

    private static void echo(SocketChannel s) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(MAX_REQUEST);
        while (s.read(buf) >= 0) {
            buf.flip();
            writeFully(s, buf);
            buf.clear();
        }
        s.shutdownOutput();
    }

    /** Writes until {@code stop}, then shuts the output down. */
    private static Void pour(SocketChannel c, AtomicBoolean stop) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        while (!stop.get()) {
            buf.clear();
            try {
                writeFully(c, buf);
            } catch (IOException e) {
                if (stop.get()) {
                    break;  // the peer finished first
                }
                throw e;
            }
        }
        c.shutdownOutput();
        return null;
    }

    private static Void drain(SocketChannel c, AtomicLong total) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        int n;
        while ((n = c.read(buf)) >= 0) {
            total.addAndGet(n);
            buf.clear();
        }
        return null;
    }

    private static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static <T> T await(Future<T> f, long millis) throws Exception {
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw (Exception) e.getCause();
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("round trips did not finish in time", e);
        }
    }
}
