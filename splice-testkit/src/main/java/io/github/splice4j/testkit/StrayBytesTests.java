package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Bytes.Tally;
import io.github.splice4j.testkit.Loopback.Pair;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No stray bytes (docs/spec.md, "No stray bytes"), tried as an adversary would: the application
 * closes spliced channels under running splices (the source, the drain, or both; then
 * {@code close()}, {@code unsplice()} or nothing) while other threads keep opening fresh loopback
 * connections, which take the descriptor numbers the closed channels give up. A splice that
 * issued a system call on a descriptor after its channel was closed would write its bytes into
 * one of those connections, or take bytes from one, or corrupt another splice's pipe.
 *
 * <p>It fails on a single byte arriving on a connection nobody spliced, a bystander's byte gone
 * missing, a victim stream that is not an exact prefix of what was sent, or a count that differs
 * from what the drain's peer received (unidirectional splices, where the drain's close is clean),
 * or exceeds it (bidirectional, where closing a socket with unread bytes resets it and the peer
 * may lose what it had not read yet).
 *
 * <p>It runs for {@value #DEFAULT_SECONDS} s by default and at least until every combination ran
 * once; the system property {@value #SECONDS_PROPERTY} makes it longer.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
abstract class StrayBytesTests extends ConformanceBase {

    /** System property: how long the adversary runs, in seconds. */
    static final String SECONDS_PROPERTY = "splice4j.test.strayBytes.seconds";
    static final int DEFAULT_SECONDS = 4;
    private static final int VICTIM_THREADS = 4;
    private static final int BYSTANDER_THREADS = 3;
    /** How long a bystander connection stays open before it is checked: stray bytes take a moment to arrive. */
    private static final long HOLD_NANOS = 300_000_000L;
    private static final Pattern CLOSED = Pattern.compile("\\b(EBADF|EPIPE)\\b");
    private static final byte[] MARKER = {'b', 'y', 's', 't', 'a', 'n', 'd', 'r'};

    /** Which spliced channel the application closes under the running splice. */
    enum Target { SOURCE, DRAIN, BOTH }

    /** What the application does next. */
    enum FollowUp { CLOSE, UNSPLICE, NOTHING }

    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger bystanders = new AtomicInteger();

    @Test
    void applicationClosesChannelsUnderSplices_whileOthersOpenSockets_noStrayByte() throws Exception {
        long seconds = Long.getLong(SECONDS_PROPERTY, DEFAULT_SECONDS);
        int combinations = 2 * Target.values().length * FollowUp.values().length;
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < BYSTANDER_THREADS; i++) {
            threads.add(start("bystander-" + i, this::bystander));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> victims = new ArrayList<>();
        for (int i = 0; i < VICTIM_THREADS; i++) {
            victims.add(start("victim-" + i, () -> {
                int n;
                while (problems.size() < 20
                        && ((n = next.getAndIncrement()) < combinations || System.nanoTime() - end < 0)) {
                    victim(n);
                }
            }));
        }
        for (Thread t : victims) {
            t.join();
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(problems.isEmpty(), () -> problems.size() + " problems in " + next.get() + " splices beside "
                + bystanders.get() + " bystander connections, e.g.:\n  " + String.join("\n  ",
                        problems.subList(0, Math.min(10, problems.size()))));
        assertTrue(next.get() >= combinations, "every combination ran");
        assertTrue(bystanders.get() > 0, "bystander connections were opened");
    }

    /** One splice the application sabotages: combination {@code n} of direction count, target and follow-up. */
    private void victim(int n) {
        boolean bidirectional = n % 2 == 1;
        Target target = Target.values()[(n / 2) % Target.values().length];
        FollowUp followUp = FollowUp.values()[(n / 6) % FollowUp.values().length];
        String what = (bidirectional ? "bidirectional" : "unidirectional") + ", app closes " + target + ", then "
                + followUp + " (#" + n + ")";
        try (Loopback vnet = new Loopback()) {
            Relay r = vnet.relay();
            // small buffers toward the slow readers: the splice then holds bytes it could not write yet
            for (SocketChannel c : List.of(r.a(), r.b())) {
                c.setOption(StandardSocketOptions.SO_SNDBUF, 16 << 10);
            }
            for (SocketChannel c : List.of(r.client(), r.server())) {
                c.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 10);
            }
            SpliceHandle h = bidirectional ? backend().bidirectional(r.a(), r.b()) : backend().unidirectional(r.a(), r.b());
            Stream forward = new Stream(r.client(), r.server(), 1_000L + n);
            Stream reverse = bidirectional ? new Stream(r.server(), r.client(), 2_000_000L + n) : null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (h.bytesSpliced() < (32 << 10) * (1 + n % 4) && System.nanoTime() - deadline < 0 && !h.isDone()) {
                Bytes.sleep(1);
            }
            if (target != Target.DRAIN) {
                r.a().close();
            }
            if (target != Target.SOURCE) {
                r.b().close();
            }
            // a pause lets the loop select, and so free the closed channel's descriptor number for
            // the bystanders, before the follow-up asks the loop to touch the channels again
            Bytes.sleep((n * 7L) % 41);
            if (followUp == FollowUp.CLOSE) {
                h.close();
            } else if (followUp == FollowUp.UNSPLICE) {
                h.unsplice();
            }
            SpliceResult res = h.completion().get(WAIT_SECONDS, TimeUnit.SECONDS);
            checkEnds(what, h, res);
            SocketChannel survivor = target == Target.SOURCE ? r.b() : target == Target.DRAIN ? r.a() : null;
            if (survivor != null && followUp != FollowUp.CLOSE && !survivor.isOpen()) {
                problems.add(what + ": the channel the application did not close was closed");
            }
            r.a().close();  // the peers now see the end of their streams
            r.b().close();
            forward.check(what + ", FORWARD", res.bytes(Direction.FORWARD), !bidirectional);
            if (reverse != null) {
                reverse.check(what + ", REVERSE", res.bytes(Direction.REVERSE), false);
            }
        } catch (TimeoutException e) {
            problems.add(what + ": the splice did not complete within " + WAIT_SECONDS + " s");
        } catch (IOException | ExecutionException | RuntimeException e) {
            problems.add(what + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add(what + ": interrupted");
        }
    }

    /**
     * Each direction ends ERROR: the channel was closed before the follow-up. The error names
     * EBADF, or EPIPE when a write met the shutdown the JDK makes of a registered channel it closes
     * before the loop saw the close.
     */
    private void checkEnds(String what, SpliceHandle h, SpliceResult res) {
        for (Direction d : h.directions()) {
            String error = res.error(d).map(Throwable::getMessage).orElse("");
            if (res.end(d) != SpliceEnd.ERROR || !CLOSED.matcher(error).find()) {
                problems.add(what + ": " + d + " ended " + res.end(d) + " (" + error + "), not ERROR with EBADF");
            }
        }
    }

    /**
     * A stream written into a victim splice by one peer and read, slowly, by the other: 4 KiB
     * reads, so that bytes wait in the splice's buffer or pipe when the application strikes.
     */
    private final class Stream {
        private final long seed;
        private final Thread writer;
        private final Thread reader;
        private final MessageDigest md = Bytes.sha256();
        private long received;

        Stream(SocketChannel from, SocketChannel to, long seed) {
            this.seed = seed;
            writer = start("writer", () -> {
                try {
                    new Generator(seed).write(from, 256L << 20);
                } catch (IOException e) {
                    // the application closed the connection under the writer: expected
                }
            });
            reader = start("reader", () -> {
                ByteBuffer buf = ByteBuffer.allocate(4096);
                try {
                    int n;
                    while ((n = to.read(buf.clear())) >= 0) {
                        md.update(buf.array(), 0, n);
                        received += n;
                        if (received % (16 << 10) < 4096) {
                            Bytes.sleep(1);  // a slow peer: bytes wait in the splice when the application strikes
                        }
                    }
                } catch (IOException e) {
                    // a reset: what was read so far is what arrived
                }
            });
        }

        /** After both spliced channels were closed: what arrived is the stream's prefix, and counted. */
        void check(String what, long counted, boolean exact) throws InterruptedException {
            reader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            if (reader.isAlive()) {
                problems.add(what + ": the drain's peer saw no end of stream");
                return;
            }
            writer.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            Tally got = new Tally(received, HexFormat.of().formatHex(md.digest()));
            if (!got.equals(Generator.prefix(seed, received))) {
                problems.add(what + ": the " + received + " bytes that arrived are not the stream's prefix");
            }
            if (exact ? received != counted : received > counted) {
                problems.add(what + ": the result counts " + counted + " bytes delivered, the peer received "
                        + received);
            }
        }
    }

    /**
     * Keeps opening loopback connections that nobody splices, each end sending a marker, and checks
     * that each end receives exactly the other's marker and nothing else.
     */
    private void bystander() {
        ArrayDeque<Pair> held = new ArrayDeque<>();
        ArrayDeque<Long> opened = new ArrayDeque<>();
        try (Loopback own = new Loopback()) {
            while (!stop.get()) {
                Pair p = own.pair();
                bystanders.incrementAndGet();
                Bytes.writeFully(p.client(), MARKER);
                Bytes.writeFully(p.accepted(), MARKER);
                p.client().configureBlocking(false);
                p.accepted().configureBlocking(false);
                held.add(p);
                opened.add(System.nanoTime());
                while (!opened.isEmpty() && System.nanoTime() - opened.peek() > HOLD_NANOS) {
                    opened.poll();
                    checkBystander(held.poll());
                }
                Bytes.sleep(1);
            }
            while (!held.isEmpty()) {
                checkBystander(held.poll());
            }
        } catch (IOException e) {
            problems.add("bystander: " + e);
        }
    }

    private void checkBystander(Pair p) throws IOException {
        for (SocketChannel c : List.of(p.client(), p.accepted())) {
            ByteBuffer buf = ByteBuffer.allocate(MARKER.length + 4096);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            int n = 0;
            while (buf.position() < MARKER.length && n >= 0 && System.nanoTime() - deadline < 0) {
                n = c.read(buf);
                if (n == 0) {
                    Bytes.sleep(1);
                }
            }
            n = c.read(buf);  // anything past the marker is a stray byte
            buf.flip();
            byte[] got = new byte[buf.remaining()];
            buf.get(got);
            if (got.length != MARKER.length || !java.util.Arrays.equals(got, MARKER)) {
                problems.add("a connection nobody spliced received " + got.length + " bytes where it expected the "
                        + MARKER.length + "-byte marker" + (n < 0 ? " (and an end of stream)" : ""));
            }
            c.close();
        }
    }

    /** Starts a daemon thread whose unexpected exception is a problem, not a silently dead thread. */
    private Thread start(String name, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                problems.add(Thread.currentThread().getName() + " failed: " + e);
            }
        }, "stray-bytes-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
