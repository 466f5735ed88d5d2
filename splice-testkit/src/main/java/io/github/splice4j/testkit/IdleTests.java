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
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Idle timeouts (docs/spec.md, "Idle timeouts"). Lower bounds are exact (never before T); upper
 * bounds are generous (T + 2 s) because the machine running the suite may be busy.
 *
 * <p>The trickle tests send a byte every T/4 and check that the splice does not time out. On a
 * loaded machine the writing thread itself can stall for T or more, and then the splice is right
 * to end: so each trickle records its own longest gap between writes ({@link Trickle}), a run
 * whose writer stalled for T/2 or more proves nothing about the timer and is tried again (three
 * times at most, then the test is aborted, not passed), and only an undisturbed run can fail on
 * an early end. Every check on the bytes holds in every run, disturbed or not.
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
     * docs/spec.md "Integrity" at the idle boundary: a drain whose peer reads nothing, so bytes the splice took are
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
        untilUndisturbed(() -> {
            Relay r = net.relay();
            SpliceHandle h = uni(r.a(), r.b(), options().idleTimeout(t).build());
            Trickle w = new Trickle(t, t.toMillis() / 4);
            int written = 0;
            while (written < 12 && w.write(h, r.client(), written)) {
                written++;
            }
            SpliceResult res = result(h);
            long quiet = System.nanoTime() - w.lastWrite();
            assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD));
            assertArrayEquals(Trickle.bytes(0, (int) res.bytes(FORWARD)),
                    Bytes.readExactly(r.server(), (int) res.bytes(FORWARD)), "the bytes the splice counted, in order");
            if (w.stalled()) {
                return w.toString();
            }
            assertEquals(12, written, () -> "ended although a byte moved every T/4 (" + w + ")");
            assertEquals(12, res.bytes(FORWARD));
            assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte");
            return null;
        });
    }

    @Test
    void idleTimeout_directionsTimeOutIndependently() throws Exception {
        Duration t = Duration.ofSeconds(1);
        untilUndisturbed(() -> {
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b(), options().idleTimeout(t).build());
            Trickle w = new Trickle(t, t.toMillis() / 4);
            byte[] late = {1, 2, 3, 4};
            boolean lateSent = false;
            int written = 0;
            while (written < 18 && w.write(h, r.client(), written)) {
                written++;
                if (written == 16) {
                    // T + 3 s after the start: the idle reverse direction has ended, so nothing carries these
                    Bytes.writeFully(r.server(), late);
                    lateSent = true;
                }
            }
            SpliceResult res = result(h);
            long quiet = System.nanoTime() - w.lastWrite();
            int forward = (int) res.bytes(FORWARD);
            int reverse = (int) res.bytes(REVERSE);
            assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE));
            assertArrayEquals(Trickle.bytes(0, forward), Bytes.readExactly(r.server(), forward),
                    "forward: the bytes the splice counted, in order");
            assertArrayEquals(Arrays.copyOf(late, reverse), Bytes.readExactly(r.client(), reverse),
                    "reverse: the bytes the splice counted, in order");
            Bytes.assertNothingToRead(r.client(), 0);
            if (lateSent) {
                assertArrayEquals(Arrays.copyOfRange(late, reverse, late.length),
                        Bytes.readExactly(r.b(), late.length - reverse), "bytes the reverse did not carry stay in b");
            }
            if (w.stalled()) {
                return w.toString();
            }
            int sent = written;
            assertAll(
                    () -> assertEquals(0, reverse, "the reverse direction was still running T + 3 s in"),
                    () -> assertEquals(18, sent, () -> "ended although the forward direction moved a byte every T/4 ("
                            + w + ")"),
                    () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD)),
                    () -> assertEquals(18, forward),
                    () -> assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte"));
            return null;
        });
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
        untilUndisturbed(() -> {
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b(), options().tunnelIdleTimeout(t).build());
            Trickle w = new Trickle(t, t.toMillis() / 4);
            int written = 0;
            while (written < 12 && w.write(h, written < 6 ? r.client() : r.server(), written)) {
                written++;
            }
            SpliceResult res = result(h);
            long quiet = System.nanoTime() - w.lastWrite();
            int forward = (int) res.bytes(FORWARD);
            int reverse = (int) res.bytes(REVERSE);
            assertAll(
                    () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(FORWARD)),
                    () -> assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE)));
            assertArrayEquals(Trickle.bytes(0, forward), Bytes.readExactly(r.server(), forward),
                    "forward: the bytes the splice counted, in order");
            assertArrayEquals(Trickle.bytes(6, reverse), Bytes.readExactly(r.client(), reverse),
                    "reverse: the bytes the splice counted, in order");
            if (w.stalled()) {
                return w.toString();
            }
            int sent = written;
            assertAll(
                    () -> assertEquals(12, sent, () -> "ended although a byte moved every T/4 (" + w + ")"),
                    () -> assertEquals(6, forward),
                    () -> assertEquals(6, reverse),
                    () -> assertTrue(quiet >= t.toNanos(), "ended " + quiet / 1_000_000 + " ms after the last byte"));
            return null;
        });
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
        untilUndisturbed(() -> {
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b(), options().tunnelIdleTimeout(t).build());
            Trickle w = new Trickle(t, t.toMillis() / 4);
            r.client().shutdownOutput();
            int written = 0;
            while (written < 6 && w.write(h, r.server(), written)) {
                written++;
            }
            SpliceResult res = result(h);
            int reverse = (int) res.bytes(REVERSE);
            assertEquals(SpliceEnd.EOF, res.end(FORWARD));
            assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE));
            assertEquals(-1, r.server().read(ByteBuffer.allocate(1)), "the end of stream was forwarded");
            assertArrayEquals(Trickle.bytes(0, reverse), Bytes.readExactly(r.client(), reverse),
                    "the bytes the splice counted, in order");
            if (w.stalled()) {
                return w.toString();
            }
            assertEquals(6, written, "ended although the reverse direction moved a byte every T/4 (" + w + ")");
            assertEquals(6, reverse);
            return null;
        });
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
        Duration t = Duration.ofMillis(600);
        untilUndisturbed(() -> {
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b(), options().idleTimeout(t).tunnelIdleTimeout(Duration.ofSeconds(60)).build());
            Trickle w = new Trickle(t, 150);
            int written = 0;
            while (written < 16 && w.write(h, r.client(), written)) {
                written++;
            }
            // the reverse direction was silent for 2.4 s (four times its timeout): its own timeout
            // ended it; forward, fed every 150 ms, runs on
            boolean ranOn = !h.isDone();
            h.unsplice();
            SpliceResult res = result(h);
            int forward = (int) res.bytes(FORWARD);
            assertEquals(SpliceEnd.IDLE_TIMEOUT, res.end(REVERSE));
            assertArrayEquals(Trickle.bytes(0, forward), Bytes.readExactly(r.server(), forward),
                    "the bytes the splice counted, in order");
            if (w.stalled()) {
                return w.toString();
            }
            assertTrue(ranOn, () -> "ended although the forward direction moved a byte every 150 ms (" + w + ")");
            assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
            return null;
        });
    }

    /** One run of a trickle test: null if it was conclusive (and passed), else why it proves nothing. */
    @FunctionalInterface
    private interface Attempt {
        String run() throws Exception;
    }

    /**
     * Runs {@code attempt} until one run is undisturbed, three times at most; if every run's writer
     * stalled, aborts the test (reported as skipped, with the reason) instead of passing it.
     */
    private static void untilUndisturbed(Attempt attempt) throws Exception {
        List<String> disturbed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String why = attempt.run();
            if (why == null) {
                return;
            }
            disturbed.add(why);
        }
        Assumptions.abort("every run was disturbed by a stalled writer, so none proves anything about the timer: "
                + disturbed);
    }

    /**
     * Writes one byte at a time, each after a pause, and keeps the evidence a trickle test needs
     * on a loaded machine: the longest gap in which the source got no new byte, from just before
     * one write to just after the next (the first measured from this trickle's creation, before
     * the splice starts). The splice's idle timer restarts when it moves a byte, no earlier than
     * just before that byte's write, so it always had the next byte within that gap: a gap under
     * T means the splice was never rightly idle. Gaps of T/2 or more count as a stall of this
     * thread ({@link #stalled()}); the other T/2 leaves the splice's loop, on the same busy
     * machine, time to notice the byte.
     */
    private static final class Trickle {
        private final Duration timeout;
        private final long pauseMillis;
        private long previousStart = System.nanoTime();
        private long longestGap;
        private long lastWrite;
        private int writes;

        Trickle(Duration timeout, long pauseMillis) {
            this.timeout = timeout;
            this.pauseMillis = pauseMillis;
        }

        /**
         * Pauses, then writes the byte {@code value} to {@code channel} unless {@code h} has ended.
         *
         * @return false if the splice had ended, and nothing was written
         */
        boolean write(SpliceHandle h, SocketChannel channel, int value) throws IOException {
            Bytes.sleep(pauseMillis);
            if (h.isDone()) {
                return false;
            }
            // stamped before the write: the splice may move the byte before writeFully returns
            long start = System.nanoTime();
            Bytes.writeFully(channel, new byte[] {(byte) value});
            longestGap = Math.max(longestGap, System.nanoTime() - previousStart);
            previousStart = start;
            lastWrite = start;
            writes++;
            return true;
        }

        /** When the last byte was written (just before). */
        long lastWrite() {
            return lastWrite;
        }

        /** Whether this thread was held up long enough that an idle end proves nothing. */
        boolean stalled() {
            return longestGap * 2 >= timeout.toNanos();
        }

        /** The bytes {@code from, from + 1, ...}: {@code count} of them, as the tests write them. */
        static byte[] bytes(int from, int count) {
            byte[] b = new byte[count];
            for (int i = 0; i < count; i++) {
                b[i] = (byte) (from + i);
            }
            return b;
        }

        @Override
        public String toString() {
            return writes + " writes, a byte every " + pauseMillis + " ms; the longest gap between two was "
                    + longestGap / 1_000_000 + " ms, timeout " + timeout.toMillis() + " ms";
        }
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
