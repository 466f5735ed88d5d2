package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.proxy.CommandLine.DemoConfig;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code demo} command: for every available backend, three splices on loopback, each checked
 * end to end with SHA-256 computed by the sender and by the receiver:
 * <ul>
 *   <li>{@code bulk}: a bidirectional splice; random data, the configured size one way and a
 *       sixteenth of it the other way at the same time; both directions must end EOF with every
 *       byte delivered;
 *   <li>{@code max-bytes}: a unidirectional splice with a byte limit; exactly the limit must
 *       arrive, and the bytes after it must still be readable from the source afterwards;
 *   <li>{@code idle}: a bidirectional splice with an idle timeout; a message goes through and is
 *       echoed back, then both directions must end IDLE_TIMEOUT, no sooner than the timeout.
 * </ul>
 * Every wait is bounded, so a broken backend makes the demo fail, never hang.
 */
final class Demo {

    static final Duration IDLE = Duration.ofMillis(200);
    static final long LIMIT = (1L << 20) + 4321;
    static final int BEYOND_LIMIT = (64 << 10) + 17;
    static final int MESSAGE = 4096 + 7;
    private static final long CASE_SECONDS = 20;
    private static final int CHUNK = 256 << 10;

    private Demo() {
    }

    /** One checked case: what moved, how it ended, whether every byte arrived intact. */
    record Row(String backend, String name, long up, long down, long millis, boolean throughput, String ends,
            boolean ok, String problem) {
    }

    /** Runs every case on every available backend, prints the table to {@code out}; 0 if all passed, else 1. */
    static int run(DemoConfig config, PrintStream out) {
        List<SpliceBackend> backends = Splice.backends();
        List<Row> rows = new ArrayList<>();
        List<String> unavailable = new ArrayList<>();
        out.println("splice-proxy demo: " + config.bytes() + " bytes up and " + down(config.bytes())
                + " down per backend, on loopback (MiB/s includes making and hashing the data at both ends)");
        AtomicInteger n = new AtomicInteger();
        ExecutorService io = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "splice-proxy-demo-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            for (SpliceBackend b : backends) {
                if (!b.isAvailable()) {
                    unavailable.add(b.name() + ": unavailable: "
                            + b.unavailabilityCause().map(CommandLine::describe).orElse("unknown cause"));
                    continue;
                }
                rows.add(guard(b, "bulk", () -> bulk(b, config.bytes(), io)));
                rows.add(guard(b, "max-bytes", () -> maxBytes(b, io)));
                rows.add(guard(b, "idle", () -> idle(b, io)));
            }
        } finally {
            io.shutdownNow();
        }
        print(rows, unavailable, out);
        boolean ok = !rows.isEmpty() && rows.stream().allMatch(Row::ok);
        out.println(ok ? "demo: all " + rows.size() + " checks OK"
                : "demo: " + rows.stream().filter(r -> !r.ok()).count() + " of " + rows.size() + " checks FAILED"
                        + (rows.isEmpty() ? " (no backend available)" : ""));
        return ok ? 0 : 1;
    }

    static long down(long up) {
        return Math.max(1, up / 16);
    }

    private interface Case {
        Row run() throws Exception;
    }

    private static Row guard(SpliceBackend b, String name, Case c) {
        try {
            return c.run();
        } catch (Exception e) {
            Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return new Row(b.name(), name, 0, 0, 0, false, "-", false,
                    t instanceof TimeoutException ? "timed out after " + CASE_SECONDS + " s" : t.toString());
        }
    }

    private static Row bulk(SpliceBackend b, long up, ExecutorService io) throws Exception {
        long down = down(up);
        try (Rig rig = Rig.open()) {
            SpliceHandle h = b.bidirectional(rig.relayClient, rig.relayTarget, SpliceOptions.defaults());
            rig.handle = h;
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(CASE_SECONDS);
            Future<byte[][]> sentUp = io.submit(() -> send(rig.client, new long[] {up}, 1, true));
            Future<Received> gotUp = io.submit(() -> receive(rig.target, -1));
            Future<byte[][]> sentDown = io.submit(() -> send(rig.target, new long[] {down}, 2, true));
            Future<Received> gotDown = io.submit(() -> receive(rig.client, -1));
            SpliceResult r = h.completion().get(left(deadline), TimeUnit.NANOSECONDS);
            Received u = gotUp.get(left(deadline), TimeUnit.NANOSECONDS);
            Received d = gotDown.get(left(deadline), TimeUnit.NANOSECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            byte[] su = sentUp.get(left(deadline), TimeUnit.NANOSECONDS)[0];
            byte[] sd = sentDown.get(left(deadline), TimeUnit.NANOSECONDS)[0];
            List<String> problems = new ArrayList<>();
            expect(problems, "up end", SpliceEnd.EOF, r.end(Direction.FORWARD));
            expect(problems, "down end", SpliceEnd.EOF, r.end(Direction.REVERSE));
            expect(problems, "up bytes spliced", up, r.bytes(Direction.FORWARD));
            expect(problems, "down bytes spliced", down, r.bytes(Direction.REVERSE));
            expect(problems, "up bytes received", up, u.count);
            expect(problems, "down bytes received", down, d.count);
            digest(problems, "up", su, u.digest);
            digest(problems, "down", sd, d.digest);
            return row(b, "bulk", r.bytes(Direction.FORWARD), r.bytes(Direction.REVERSE), millis, true,
                    r.end(Direction.FORWARD) + "/" + r.end(Direction.REVERSE), problems);
        }
    }

    private static Row maxBytes(SpliceBackend b, ExecutorService io) throws Exception {
        try (Rig rig = Rig.open()) {
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(CASE_SECONDS);
            SpliceHandle h = b.unidirectional(rig.relayClient, rig.relayTarget,
                    SpliceOptions.builder().maxBytes(LIMIT).build());
            rig.handle = h;
            Future<byte[][]> sent = io.submit(() -> send(rig.client, new long[] {LIMIT, BEYOND_LIMIT}, 3, true));
            Future<Received> got = io.submit(() -> receive(rig.target, -1));
            SpliceResult r = h.completion().get(left(deadline), TimeUnit.NANOSECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            // the bytes past the limit must still be in the source, for the application to read
            Received rest = io.submit(() -> receive(rig.relayClient, -1)).get(left(deadline), TimeUnit.NANOSECONDS);
            rig.relayTarget.close();  // the target's reader sees end of stream: nothing more may arrive
            Received delivered = got.get(left(deadline), TimeUnit.NANOSECONDS);
            byte[][] digests = sent.get(left(deadline), TimeUnit.NANOSECONDS);
            List<String> problems = new ArrayList<>();
            expect(problems, "end", SpliceEnd.MAX_BYTES, r.end(Direction.FORWARD));
            expect(problems, "bytes spliced", LIMIT, r.bytes(Direction.FORWARD));
            expect(problems, "bytes received", LIMIT, delivered.count);
            expect(problems, "bytes left in the source", BEYOND_LIMIT, rest.count);
            digest(problems, "delivered", digests[0], delivered.digest);
            digest(problems, "left in the source", digests[1], rest.digest);
            return row(b, "max-bytes", r.bytes(Direction.FORWARD), -1, millis, false,
                    String.valueOf(r.end(Direction.FORWARD)), problems);
        }
    }

    private static Row idle(SpliceBackend b, ExecutorService io) throws Exception {
        try (Rig rig = Rig.open()) {
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.SECONDS.toNanos(CASE_SECONDS);
            SpliceHandle h = b.bidirectional(rig.relayClient, rig.relayTarget,
                    SpliceOptions.builder().idleTimeout(IDLE).build());
            rig.handle = h;
            Future<byte[][]> sent = io.submit(() -> send(rig.client, new long[] {MESSAGE}, 4, false));
            Future<Received> echoed = io.submit(() -> echo(rig.target, MESSAGE));
            Received back = io.submit(() -> receive(rig.client, MESSAGE)).get(left(deadline), TimeUnit.NANOSECONDS);
            SpliceResult r = h.completion().get(left(deadline), TimeUnit.NANOSECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            Received there = echoed.get(left(deadline), TimeUnit.NANOSECONDS);
            byte[] original = sent.get(left(deadline), TimeUnit.NANOSECONDS)[0];
            List<String> problems = new ArrayList<>();
            expect(problems, "up end", SpliceEnd.IDLE_TIMEOUT, r.end(Direction.FORWARD));
            expect(problems, "down end", SpliceEnd.IDLE_TIMEOUT, r.end(Direction.REVERSE));
            expect(problems, "up bytes spliced", MESSAGE, r.bytes(Direction.FORWARD));
            expect(problems, "down bytes spliced", MESSAGE, r.bytes(Direction.REVERSE));
            digest(problems, "up", original, there.digest);
            digest(problems, "echoed back", original, back.digest);
            if (millis < IDLE.toMillis()) {
                problems.add("ended after " + millis + " ms, before the idle timeout of " + IDLE.toMillis() + " ms");
            }
            return row(b, "idle", r.bytes(Direction.FORWARD), r.bytes(Direction.REVERSE), millis, false,
                    r.end(Direction.FORWARD) + "/" + r.end(Direction.REVERSE), problems);
        }
    }

    private static Row row(SpliceBackend b, String name, long up, long down, long millis, boolean throughput,
            String ends, List<String> problems) {
        return new Row(b.name(), name, up, down, millis, throughput, ends, problems.isEmpty(),
                String.join("; ", problems));
    }

    private static void expect(List<String> problems, String what, long expected, long actual) {
        if (expected != actual) {
            problems.add(what + " " + actual + ", expected " + expected);
        }
    }

    private static void expect(List<String> problems, String what, SpliceEnd expected, SpliceEnd actual) {
        if (expected != actual) {
            problems.add(what + " " + actual + ", expected " + expected);
        }
    }

    private static void digest(List<String> problems, String what, byte[] sent, byte[] received) {
        if (!Arrays.equals(sent, received)) {
            problems.add(what + ": SHA-256 differs between sender and receiver");
        }
    }

    private static long left(long deadline) throws TimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new TimeoutException();
        }
        return left;
    }

    /** The bytes a receiver saw: how many, and their SHA-256. */
    static final class Received {
        final long count;
        final byte[] digest;

        Received(long count, byte[] digest) {
            this.count = count;
            this.digest = digest;
        }
    }

    /**
     * Writes random bytes in consecutive parts, returning each part's SHA-256; then shuts down
     * output if asked, so the receiver sees end of stream.
     */
    static byte[][] send(SocketChannel channel, long[] parts, long seed, boolean shutdown) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        byte[] bytes = buffer.array();
        byte[][] digests = new byte[parts.length][];
        for (int p = 0; p < parts.length; p++) {
            MessageDigest sha = sha256();
            for (long left = parts[p]; left > 0; ) {
                int n = (int) Math.min(bytes.length, left);
                random.nextBytes(bytes);
                sha.update(bytes, 0, n);
                buffer.clear().limit(n);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                left -= n;
            }
            digests[p] = sha.digest();
        }
        if (shutdown) {
            channel.shutdownOutput();
        }
        return digests;
    }

    /** Reads {@code count} bytes, or until end of stream if {@code count} is negative. */
    static Received receive(SocketChannel channel, long count) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        long total = 0;
        while (count < 0 || total < count) {
            buffer.clear();
            if (count >= 0) {
                buffer.limit((int) Math.min(buffer.capacity(), count - total));
            }
            int n = channel.read(buffer);
            if (n < 0) {
                if (count >= 0) {
                    throw new EOFException("end of stream after " + total + " of " + count + " bytes");
                }
                break;
            }
            sha.update(buffer.array(), 0, n);
            total += n;
        }
        return new Received(total, sha.digest());
    }

    /** Reads {@code count} bytes and writes them back; returns what it read. */
    private static Received echo(SocketChannel channel, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException("end of stream after " + buffer.position() + " of " + count + " bytes");
            }
        }
        buffer.flip();
        MessageDigest sha = sha256();
        sha.update(buffer.duplicate());
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        return new Received(count, sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void print(List<Row> rows, List<String> unavailable, PrintStream out) {
        String format = "%-8s %-10s %12s %12s %8s %9s  %-27s %s%n";
        out.printf(Locale.ROOT, format, "backend", "case", "up bytes", "down bytes", "ms", "MiB/s", "ends (up/down)",
                "integrity");
        for (Row r : rows) {
            String speed = r.throughput() && r.millis() > 0
                    ? String.format(Locale.ROOT, "%.1f", (r.up() + Math.max(0, r.down())) / 1048576.0 / (r.millis() / 1000.0))
                    : "-";
            out.printf(Locale.ROOT, format, r.backend(), r.name(), r.up(), r.down() < 0 ? "-" : r.down(), r.millis(),
                    speed, r.ends(), r.ok() ? "OK" : "FAIL");
        }
        for (String u : unavailable) {
            out.println(u);
        }
        for (Row r : rows) {
            if (!r.ok()) {
                out.println(r.backend() + " " + r.name() + " FAIL: " + r.problem());
            }
        }
    }

    /**
     * The sockets of one case: client - relayClient, spliced to relayTarget - target, all on
     * loopback. Closing it closes every socket, which also unblocks any reader or writer still
     * waiting after a failure.
     */
    static final class Rig implements AutoCloseable {
        final SocketChannel client;
        final SocketChannel relayClient;
        final SocketChannel relayTarget;
        final SocketChannel target;
        SpliceHandle handle;

        private Rig(SocketChannel client, SocketChannel relayClient, SocketChannel relayTarget, SocketChannel target) {
            this.client = client;
            this.relayClient = relayClient;
            this.relayTarget = relayTarget;
            this.target = target;
        }

        static Rig open() throws IOException {
            InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            List<SocketChannel> opened = new ArrayList<>();
            try (ServerSocketChannel front = ServerSocketChannel.open().bind(any);
                    ServerSocketChannel back = ServerSocketChannel.open().bind(any)) {
                opened.add(SocketChannel.open(front.getLocalAddress()));
                opened.add(front.accept());
                opened.add(SocketChannel.open(back.getLocalAddress()));
                opened.add(back.accept());
                for (SocketChannel c : opened) {
                    c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                return new Rig(opened.get(0), opened.get(1), opened.get(2), opened.get(3));
            } catch (IOException | RuntimeException e) {
                for (SocketChannel c : opened) {
                    c.close();
                }
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (handle != null) {
                handle.unsplice();  // never close(): it waits, and a broken backend must not hang the demo
            }
            for (SocketChannel c : new SocketChannel[] {client, relayClient, relayTarget, target}) {
                c.close();
            }
        }
    }
}
