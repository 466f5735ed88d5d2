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
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Bytes.Tally;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/spec.md "Unsplice" unsplice() and close(): nothing lost, channels handed back, repeat calls harmless. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class UnspliceTests extends ConformanceBase {

    private static final long HEAD = 2L << 20;

    /** Tells the test's writers to end their streams. */
    private final AtomicBoolean stop = new AtomicBoolean();

    @Test
    void unsplice_midStream_applicationContinuesWithoutLossOrDuplication() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        CountDownLatch flowing = new CountDownLatch(2);
        Future<Tally> up = async(() -> stream(r.client(), 31, flowing));
        Future<Tally> down = async(() -> stream(r.server(), 32, flowing));
        // slow readers keep bytes in flight inside the splice when it is stopped
        Future<Tally> atServer = async(() -> Bytes.readToEof(r.server(), 64 * 1024));
        Future<Tally> atClient = async(() -> Bytes.readToEof(r.client(), 64 * 1024));
        assertTrue(flowing.await(WAIT_SECONDS, TimeUnit.SECONDS), "the writers never got going");
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
        assertEquals(SpliceEnd.UNSPLICED, res.end(REVERSE));
        assertHandedBack(r.a(), r.b());
        // the application relays the rest itself
        Future<Long> restUp = async(() -> Bytes.copy(r.a(), r.b()));
        Future<Long> restDown = async(() -> Bytes.copy(r.b(), r.a()));
        Bytes.sleep(50);
        stop.set(true);
        Tally sentUp = await(up);
        Tally sentDown = await(down);
        assertEquals(sentUp, await(atServer), "client -> server: spliced, then copied by the application");
        assertEquals(sentDown, await(atClient), "server -> client: spliced, then copied by the application");
        assertEquals(sentUp.bytes(), res.bytes(FORWARD) + await(restUp));
        assertEquals(sentDown.bytes(), res.bytes(REVERSE) + await(restDown));
    }

    @Test
    void unsplice_drainStalled_deliversBytesAlreadyTakenBeforeCompleting() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        CountDownLatch flowing = new CountDownLatch(2);
        CountDownLatch resume = new CountDownLatch(1);
        Future<Tally> up = async(() -> stream(r.client(), 36, flowing));
        Future<Tally> down = async(() -> stream(r.server(), 37, flowing));
        // the readers stop after a little, so each direction holds bytes it took but cannot write
        Future<Tally> atServer = async(() -> pausingReader(r.server(), resume));
        Future<Tally> atClient = async(() -> pausingReader(r.client(), resume));
        assertTrue(flowing.await(WAIT_SECONDS, TimeUnit.SECONDS), "the writers never got going");
        awaitStalled(h);
        // a copying backend now holds bytes it took but cannot write (a kernel splice may hold
        // none); the readers resume only after it had time to drop them, if it wrongly would
        h.unsplice();
        Bytes.sleep(100);
        resume.countDown();
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
        assertEquals(SpliceEnd.UNSPLICED, res.end(REVERSE));
        assertHandedBack(r.a(), r.b());
        Future<Long> restUp = async(() -> Bytes.copy(r.a(), r.b()));
        Future<Long> restDown = async(() -> Bytes.copy(r.b(), r.a()));
        Bytes.sleep(50);
        stop.set(true);
        Tally sentUp = await(up);
        Tally sentDown = await(down);
        assertEquals(sentUp, await(atServer), "client -> server: spliced, then copied by the application");
        assertEquals(sentDown, await(atClient), "server -> client: spliced, then copied by the application");
        assertEquals(sentUp.bytes(), res.bytes(FORWARD) + await(restUp));
        assertEquals(sentDown.bytes(), res.bytes(REVERSE) + await(restDown));
    }

    @Test
    void unsplice_immediatelyAfterStart_leavesUntakenBytesInSource() throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(600_000, 33);
        Future<?> writer = async(() -> {
            Bytes.writeFully(r.client(), data);
            return null;
        });
        IntegrityTests.awaitReadable(r.a(), 1);
        SpliceHandle h = uni(r.a(), r.b());
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
        assertHandedBack(r.a(), r.b());
        // whatever the splice did not take, the application finds in the source
        int rest = (int) (data.length - res.bytes(FORWARD));
        Bytes.writeFully(r.b(), Bytes.readExactly(r.a(), rest));
        await(writer);
        assertArrayEquals(data, Bytes.readExactly(r.server(), data.length));
        Bytes.assertNothingToRead(r.a(), 0);
        Bytes.assertNothingToRead(r.server(), 20);
    }

    @Test
    void unsplice_idle_endsUnsplicedAndHandsChannelsBack() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        h.unsplice();
        SpliceResult res = result(h);
        assertAll(
                () -> assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD)),
                () -> assertEquals(SpliceEnd.UNSPLICED, res.end(REVERSE)),
                () -> assertEquals(0, res.bytes(FORWARD)),
                () -> assertEquals(0, res.bytes(REVERSE)),
                () -> assertTrue(h.isDone()));
        assertHandedBack(r.a(), r.b());
        assertUsable(r);
    }

    @Test
    void unsplice_twice_secondHasNoEffect() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        h.unsplice();
        h.unsplice();
        assertEquals(SpliceEnd.UNSPLICED, result(h).end(FORWARD));
        h.unsplice();
        assertHandedBack(r.a(), r.b());
        assertUsable(r);
    }

    @Test
    void unsplice_afterCompletion_hasNoEffect() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        Bytes.writeFully(r.client(), new byte[] {1, 2, 3});
        r.client().shutdownOutput();
        SpliceResult before = result(h);
        h.unsplice();
        SpliceResult after = result(h);
        assertEquals(SpliceEnd.EOF, after.end(FORWARD));
        assertEquals(before.toString(), after.toString());
        assertHandedBack(r.a(), r.b());
        assertArrayEquals(new byte[] {1, 2, 3}, Bytes.readExactly(r.server(), 3));
    }

    @Test
    void close_midStream_closesBothChannelsAndReturnsCompleted() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        CountDownLatch flowing = new CountDownLatch(2);
        async(() -> stream(r.client(), 34, flowing));
        async(() -> stream(r.server(), 35, flowing));
        Future<?> atServer = async(() -> Bytes.readUntilGone(r.server()));
        Future<?> atClient = async(() -> Bytes.readUntilGone(r.client()));
        assertTrue(flowing.await(WAIT_SECONDS, TimeUnit.SECONDS), "the writers never got going");
        h.close();
        assertTrue(h.isDone(), "close() returns after completion");
        assertFalse(r.a().isOpen(), "a closed");
        assertFalse(r.b().isOpen(), "b closed");
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.UNSPLICED, res.end(FORWARD));
        assertEquals(SpliceEnd.UNSPLICED, res.end(REVERSE));
        // both peers learn that their connection is gone
        await(atServer);
        await(atClient);
    }

    @Test
    void close_twice_secondHasNoEffect() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        h.close();
        h.close();
        assertEquals(SpliceEnd.UNSPLICED, result(h).end(FORWARD));
        assertFalse(r.a().isOpen());
        assertFalse(r.b().isOpen());
    }

    @Test
    void close_afterCompletion_closesBothChannels() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(2).build());
        Bytes.writeFully(r.client(), new byte[] {1, 2, 3});
        assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD));
        h.close();
        // close() always leaves both channels closed: a try-with-resources user leaks no socket
        assertFalse(r.a().isOpen(), "a try-with-resources user must not leak the source");
        assertFalse(r.b().isOpen(), "a try-with-resources user must not leak the drain");
        assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD), "the result stands");
        assertEquals(2, result(h).bytes(FORWARD));
    }

    @Test
    void close_twiceAfterCompletion_noException() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(1).build());
        Bytes.writeFully(r.client(), new byte[] {1});
        result(h);
        h.close();
        h.close();
        assertFalse(r.a().isOpen() || r.b().isOpen());
    }

    @Test
    void tryWithResources_afterCompletion_leavesNoSocketOpen() throws Exception {
        Relay r = net.relay();
        try (SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(2).build())) {
            Bytes.writeFully(r.client(), new byte[] {1, 2});
            assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD));
        }
        assertFalse(r.a().isOpen());
        assertFalse(r.b().isOpen());
    }

    @Test
    void unsplice_afterCompletion_leavesChannelsOpen() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(2).build());
        Bytes.writeFully(r.client(), new byte[] {1, 2, 3});
        assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD));
        h.unsplice();
        assertTrue(r.a().isOpen() && r.b().isOpen(), "unsplice() after completion has no effect");
        assertEquals(3, Bytes.readExactly(r.a(), 1)[0], "the byte after the limit is still there to read");
    }

    /**
     * Writes {@link #HEAD} bytes, says so, and goes on writing until {@link #stop} is set, then
     * ends the stream: the source never runs dry while the splice runs.
     */
    private Tally stream(SocketChannel channel, long seed, CountDownLatch flowing) throws IOException {
        Generator g = new Generator(seed);
        g.write(channel, HEAD);
        flowing.countDown();
        while (!stop.get()) {
            g.write(channel, 64 * 1024);
        }
        channel.shutdownOutput();
        return g.tally();
    }

    /** Reads 1 MiB, waits for {@code resume}, then reads to the end of stream; tallies all. */
    private static Tally pausingReader(SocketChannel channel, CountDownLatch resume) throws Exception {
        java.security.MessageDigest md = Bytes.sha256();
        byte[] head = Bytes.readExactly(channel, 1 << 20);
        md.update(head);
        resume.await();
        Tally rest = Bytes.readToEof(channel, md);
        return new Tally(head.length + rest.bytes(), rest.sha256());
    }

    /** Waits until neither direction has moved a byte for 500 ms. */
    static void awaitStalled(SpliceHandle h) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        long last = -1;
        long since = System.nanoTime();
        while (System.nanoTime() - since < 500_000_000L) {
            assertTrue(System.nanoTime() < deadline, "the splice never stalled");
            assertFalse(h.isDone(), "ended early: " + h);
            long now = h.bytesSpliced();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            }
            Bytes.sleep(10);
        }
    }

    static void assertHandedBack(SocketChannel a, SocketChannel b) {
        assertAll(
                () -> assertTrue(a.isOpen(), "a open"),
                () -> assertTrue(b.isOpen(), "b open"),
                () -> assertTrue(a.isBlocking(), "a back in blocking mode"),
                () -> assertTrue(b.isBlocking(), "b back in blocking mode"),
                () -> assertFalse(a.isRegistered(), "a still registered with a selector"),
                () -> assertFalse(b.isRegistered(), "b still registered with a selector"));
    }

    /** The application can use all four channels directly again. */
    static void assertUsable(Relay r) throws IOException {
        Bytes.writeFully(r.client(), new byte[] {7});
        assertArrayEquals(new byte[] {7}, Bytes.readExactly(r.a(), 1));
        Bytes.writeFully(r.b(), new byte[] {8});
        assertArrayEquals(new byte[] {8}, Bytes.readExactly(r.server(), 1));
    }
}
