package io.github.splice4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Loopback;
import io.github.splice4j.testkit.Loopback.Relay;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CONTRACT §3.1 at the idle boundary: "every byte taken from a source reaches its drain exactly
 * once ... also at a max, idle, unsplice or error boundary". A direction whose drain's peer stops
 * reading ends IDLE_TIMEOUT; afterwards every byte its source's peer sent must be either among
 * those the splice counts as delivered (and the drain's peer reads them) or still unread in the
 * source, where the application finds it. Found while fuzzing: a copying backend holds the bytes
 * it has read but could not write yet, and at the idle timeout it writes what the drain takes
 * at once and drops the rest (Flow#onTimer), so they are neither delivered nor in the source.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleBoundaryTest {

    private static final long SENT = 4L << 20;
    private static final long SEED = 0x5EED;
    /**
     * A thread per task: the writer blocks until the reader of the source's rest runs, so the two
     * must not queue behind each other (the common pool has one thread on a 2-core machine).
     */
    private static final Executor THREADS = task -> {
        Thread t = new Thread(task, "idle-boundary");
        t.setDaemon(true);
        t.start();
    };

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.splice4j.reliability.AvailableBackends#names")
    void idleTimeout_drainStalled_everyByteDeliveredOrLeftInSource(String backend) throws Exception {
        try (Loopback net = new Loopback()) {
            Relay r = net.relay();
            // tiny fixed buffers after the drain: whatever the splice reads at once, the drain cannot
            // take all of it, so bytes are in flight inside the splice when the timeout fires
            r.b().setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            r.server().setOption(StandardSocketOptions.SO_RCVBUF, 4096);
            SpliceOptions idle = SpliceOptions.builder().idleTimeout(Duration.ofMillis(300)).build();
            SpliceHandle h = Splice.using(backend).unidirectional(r.a(), r.b(), idle);
            // the sender fills every buffer on the way; the drain's peer reads nothing until the splice ends
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> write(r.client()), THREADS);
            SpliceResult res = h.completion().get(10, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(Direction.FORWARD), res::toString);
            long delivered = res.bytes(Direction.FORWARD);

            // the channels are the application's again: what was delivered, then what is left
            r.b().shutdownOutput();
            CompletableFuture<long[]> left = CompletableFuture.supplyAsync(() -> read(r.a(), SEED, delivered), THREADS);
            long[] arrived = read(r.server(), SEED, 0);
            sent.get(10, TimeUnit.SECONDS);
            r.client().shutdownOutput();
            long[] rest = left.get(10, TimeUnit.SECONDS);
            assertEquals(delivered, arrived[0], "bytes the drain's peer read vs the splice's count");
            assertEquals(1, arrived[1], "the bytes delivered are not the start of what was sent");
            assertEquals(SENT, delivered + rest[0], delivered + " delivered + " + rest[0] + " left in the source: "
                    + (SENT - delivered - rest[0]) + " of " + SENT + " bytes lost (" + res + ")");
            assertEquals(1, rest[1], "the bytes left in the source are not the rest of what was sent");
        }
    }

    private static void write(SocketChannel c) {
        byte[] b = new byte[64 * 1024];
        try {
            for (long at = 0; at < SENT; at += b.length) {
                Payload.fill(SEED, at, b, 0, b.length);
                ByteBuffer buf = ByteBuffer.wrap(b);
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads {@code c} (made blocking) to its end: {count, 1 if the bytes are the stream from {@code from}}. */
    private static long[] read(SocketChannel c, long seed, long from) {
        try {
            c.configureBlocking(true);
            MessageDigest md = Payload.sha256();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long n = 0;
            while (c.read(buf) >= 0) {
                md.update(buf.array(), 0, buf.position());
                n += buf.position();
                buf.clear();
            }
            return new long[] {n, Payload.hex(md).equals(Payload.digest(seed, from, from + n)) ? 1 : 0};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
