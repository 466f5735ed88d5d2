package io.github.splice4j.testkit;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Bytes.Tally;
import io.github.splice4j.testkit.Loopback.Relay;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * §3.4 idle timeout. Lower bounds are exact (never before T); upper bounds are generous (T + 2 s)
 * because the machine running the suite may be busy. The trickle tests send a byte every T/4,
 * so only a stall of 3T/4 on the test machine could disturb them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class IdleTests extends ConformanceBase {

    private static final long SLACK_NANOS = TimeUnit.SECONDS.toNanos(2);

    @Test
    void idleTimeout_nothingMoves_firesNoEarlierThanTimeout() throws Exception {
        Duration t = Duration.ofMillis(500);
        Relay r = net.relay();
        SpliceResult res = silentBidirectional_endsIdleInTime(r, t, options().idleTimeout(t).build());
        assertEquals(0, res.bytes(FORWARD));
        // the channels are the application's again
        Bytes.writeFully(r.b(), new byte[] {42});
        assertArrayEquals(new byte[] {42}, Bytes.readExactly(r.server(), 1));
    }

    /**
     * §3.1 at the idle boundary: a drain whose peer reads nothing, so bytes the splice took are
     * still in flight when the timeout fires. Those come back in {@code undelivered}; written by
     * the application before the source's rest, every byte arrives once and in order.
     */
    @Test
    void idleTimeout_drainStalled_takenBytesDeliveredOrReturned() throws Exception {
        Relay r = net.relay();
        // a small send buffer after the splice, so it holds bytes the drain cannot take (a small
        // receive buffer too would make the rest crawl: the window stays clamped)
        r.b().setOption(StandardSocketOptions.SO_SNDBUF, 4096);
        byte[] sent = Bytes.random(2 << 20, 43);
        SpliceHandle h = uni(r.a(), r.b(), options().idleTimeout(Duration.ofMillis(300)).build());
        Future<Void> writer = async(() -> {
            Bytes.writeFully(r.client(), sent);
            r.client().shutdownOutput();
            return null;
        });
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD), res::toString);
        ByteBuffer left = res.undelivered(FORWARD);
        Future<Long> rest = async(() -> {
            Bytes.writeFully(r.b(), left);
            return Bytes.copy(r.a(), r.b());
        });
        Future<Tally> got = async(() -> Bytes.readToEof(r.server()));
        await(writer);
        long copied = await(rest);
        assertEquals(Bytes.tally(sent), await(got), res + ", then " + copied + " B copied from the source");
    }

    @Test
    void idleTimeout_trickle_neverFires() throws Exception {
        Duration t = Duration.ofSeconds(1);
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b(), options().idleTimeout(t).build());
        long lastWrite = 0;
        for (int i = 0; i < 12; i++) {
            Bytes.sleep(t.toMillis() / 4);
            assertFalse(h.isDone(), "ended although a byte moved every T/4");
            // stamped before the write: the splice may move the byte before writeFully returns
            lastWrite = System.nanoTime();
            Bytes.writeFully(r.client(), new byte[] {(byte) i});
        }
        SpliceResult res = result(h);
        long quiet = System.nanoTime() - lastWrite;
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD));
        assertEquals(12, res.bytes(FORWARD));
        assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte");
        assertEquals(12, Bytes.readExactly(r.server(), 12).length);
    }

    @Test
    void idleTimeout_directionsTimeOutIndependently() throws Exception {
        Duration t = Duration.ofSeconds(1);
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b(), options().idleTimeout(t).build());
        long lastWrite = 0;
        byte[] late = {1, 2, 3, 4};
        for (int i = 0; i < 14; i++) {
            Bytes.sleep(t.toMillis() / 4);
            assertFalse(h.isDone(), "ended although the forward direction moved a byte every T/4");
            // stamped before the write: the splice may move the byte before writeFully returns
            lastWrite = System.nanoTime();
            Bytes.writeFully(r.client(), new byte[] {(byte) i});
            if (i == 11) {
                // T + 2 s after the start: the idle reverse direction has ended, so nothing carries these
                Bytes.writeFully(r.server(), late);
            }
        }
        SpliceResult res = result(h);
        long quiet = System.nanoTime() - lastWrite;
        assertAll(
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD)),
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE)),
                () -> assertEquals(14, res.bytes(FORWARD)),
                () -> assertEquals(0, res.bytes(REVERSE), "the reverse direction was still running T + 2 s in"),
                () -> assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte"));
        assertEquals(14, Bytes.readExactly(r.server(), 14).length);
        Bytes.assertNothingToRead(r.client(), 0);
        assertArrayEquals(late, Bytes.readExactly(r.b(), late.length), "bytes sent after the reverse ended stay in b");
    }

    @Test
    void idleTimeout_manyTimersAndHugeOnes_eachFiresOnItsOwnDeadline() throws Exception {
        int n = 30;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(60));
        long[] timeouts = new long[n];
        long[] starts = new long[n];
        List<CompletableFuture<Long>> ends = new ArrayList<>(Collections.nCopies(n, null));
        List<SpliceHandle> handles = new ArrayList<>(Collections.nCopies(n, null));
        // timeouts far beyond any test, including the largest a Duration may hold in nanoseconds
        List<SpliceHandle> huge = new ArrayList<>();
        for (Duration d : List.of(Duration.ofNanos(Long.MAX_VALUE), Duration.ofDays(365L * 100))) {
            Relay r = net.relay();
            huge.add(bi(r.a(), r.b(), options().idleTimeout(d).build()));
        }
        for (int i : order) {
            timeouts[i] = TimeUnit.MILLISECONDS.toNanos(200 + 60L * i);
            Relay r = net.relay();
            starts[i] = System.nanoTime();
            SpliceHandle h = uni(r.a(), r.b(), options().idleTimeout(Duration.ofNanos(timeouts[i])).build());
            // the time the splice completed, taken on the thread that completed it
            ends.set(i, h.completion().thenApply(res -> System.nanoTime()));
            handles.set(i, h);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(SpliceEnd.IDLE_TIMEOUT, result(handles.get(i)).end(FORWARD), "splice " + i);
            long elapsed = ends.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS) - starts[i];
            assertTrue(elapsed >= timeouts[i], "timeout " + timeouts[i] / 1_000_000 + " ms fired after "
                    + elapsed / 1_000_000 + " ms");
            assertTrue(elapsed < timeouts[i] + SLACK_NANOS, "timeout " + timeouts[i] / 1_000_000
                    + " ms fired after " + elapsed / 1_000_000 + " ms");
        }
        for (SpliceHandle h : huge) {
            assertFalse(h.isDone(), "a timeout of a century fired");
            h.unsplice();
            assertEquals(SpliceEnd.UNSPLICED, result(h).end(FORWARD));
        }
    }

    @Test
    void idleTimeout_drainNotReading_endsAndCountsExactlyWhatWasDelivered() throws Exception {
        Relay r = net.relay();
        SpliceOptions options = options().idleTimeout(Duration.ofMillis(500)).build();
        SpliceHandle h = uni(r.a(), r.b(), options);
        // the server reads nothing: buffers fill, no byte moves, the direction goes idle
        async(() -> {
            new Generator(77).write(r.client(), 64L << 20);
            return null;
        });
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD));
        assertTrue(res.bytes(FORWARD) > 0, "some bytes moved before the server's buffers filled up");
        Tally received = Bytes.readUntilQuiet(r.server(), 300);
        assertEquals(res.bytes(FORWARD), received.bytes(), "the result counts exactly what reached the server");
        assertEquals(Generator.prefix(77, received.bytes()), received, "the server got a prefix of the stream");
    }

    /**
     * The tunnel form: a byte in either direction keeps both alive. Each direction is silent for
     * 6 T/4 in turn, which per-direction timeouts would not survive.
     */
    @Test
    void tunnelIdleTimeout_trickleInEitherDirection_keepsBothAlive() throws Exception {
        Duration t = Duration.ofSeconds(1);
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b(), options().tunnelIdleTimeout(t).build());
        long lastWrite = 0;
        for (int i = 0; i < 12; i++) {
            Bytes.sleep(t.toMillis() / 4);
            assertFalse(h.isDone(), "ended although a byte moved every T/4");
            lastWrite = System.nanoTime();
            Bytes.writeFully(i < 6 ? r.client() : r.server(), new byte[] {(byte) i});
        }
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, Bytes.readExactly(r.server(), 6));
        assertArrayEquals(new byte[] {6, 7, 8, 9, 10, 11}, Bytes.readExactly(r.client(), 6));
        SpliceResult res = result(h);
        long quiet = System.nanoTime() - lastWrite;
        assertAll(
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD)),
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE)),
                () -> assertEquals(6, res.bytes(FORWARD)),
                () -> assertEquals(6, res.bytes(REVERSE)),
                () -> assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte"));
    }

    @Test
    void tunnelIdleTimeout_silenceInBoth_endsBothAtTimeout() throws Exception {
        Duration t = Duration.ofMillis(500);
        Relay r = net.relay();
        silentBidirectional_endsIdleInTime(r, t, options().tunnelIdleTimeout(t).build());
        Bytes.writeFully(r.a(), new byte[] {7});
        assertArrayEquals(new byte[] {7}, Bytes.readExactly(r.client(), 1), "the channels are the application's again");
    }

    /** A half-closed tunnel: the direction still running is kept alive by its own bytes and ends alone. */
    @Test
    void tunnelIdleTimeout_afterHalfClose_remainingDirectionTimesOut() throws Exception {
        Duration t = Duration.ofMillis(800);
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b(), options().tunnelIdleTimeout(t).build());
        r.client().shutdownOutput();
        for (int i = 0; i < 6; i++) {
            Bytes.sleep(t.toMillis() / 4);
            assertFalse(h.isDone(), "ended although the reverse direction moved a byte every T/4");
            Bytes.writeFully(r.server(), new byte[] {(byte) i});
        }
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE));
        assertEquals(6, res.bytes(REVERSE));
        assertEquals(-1, r.server().read(ByteBuffer.allocate(1)), "the end of stream was forwarded");
    }

    @Test
    void tunnelIdleTimeout_unidirectional_endsLikeIdleTimeout() throws Exception {
        Duration t = Duration.ofMillis(400);
        Relay r = net.relay();
        long start = System.nanoTime();
        SpliceHandle h = uni(r.a(), r.b(), options().tunnelIdleTimeout(t).build());
        Bytes.writeFully(r.client(), new byte[] {1, 2});
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD));
        assertEquals(2, res.bytes(FORWARD));
        assertTrue(System.nanoTime() - start >= t.toNanos());
        assertArrayEquals(new byte[] {1, 2}, Bytes.readExactly(r.server(), 2));
    }

    /** Both forms at once: whichever fires first ends its directions. */
    @Test
    void tunnelIdleTimeout_withShorterPerDirectionTimeout_perDirectionFiresFirst() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b(), options().idleTimeout(Duration.ofMillis(600))
                .tunnelIdleTimeout(Duration.ofSeconds(60)).build());
        for (int i = 0; i < 8; i++) {
            Bytes.sleep(150);
            Bytes.writeFully(r.client(), new byte[] {(byte) i});
        }
        // the reverse direction was silent for 1.2 s: its own timeout ended it; forward runs on
        assertFalse(h.isDone());
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE));
        assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
    }

    /**
     * Splices {@code r} both ways with {@code options}, moves nothing, and checks that both
     * directions end IDLE_TIMEOUT no earlier than {@code t} and within the slack.
     */
    private SpliceResult silentBidirectional_endsIdleInTime(Relay r, Duration t, SpliceOptions options)
            throws Exception {
        long start = System.nanoTime();
        SpliceResult res = result(bi(r.a(), r.b(), options));
        long elapsed = System.nanoTime() - start;
        assertAll(
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD)),
                () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE)),
                () -> assertTrue(elapsed >= t.toNanos(), "ended after " + elapsed / 1_000_000 + " ms"),
                () -> assertTrue(elapsed < t.toNanos() + SLACK_NANOS, "ended after " + elapsed / 1_000_000 + " ms"));
        return res;
    }
}
