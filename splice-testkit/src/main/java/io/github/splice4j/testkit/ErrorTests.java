package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/spec.md "Errors" errors: resets and channels closed by the application end the splice with ERROR, promptly. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class ErrorTests extends ConformanceBase {

    private static final Pattern RESET = Pattern.compile("\\b(ECONNRESET|EPIPE)\\b");
    private static final Pattern ERRNO = Pattern.compile("\\bE[A-Z0-9]{2,}\\b");

    /** Who resets, whether bytes are flowing at that moment, and how the relay is spliced. */
    enum Reset {
        CLIENT_IDLE(true, false, true),
        SERVER_IDLE(false, false, true),
        CLIENT_WHILE_SERVER_STREAMS(true, true, true),
        SERVER_WHILE_CLIENT_STREAMS(false, true, true),
        CLIENT_IDLE_UNIDIRECTIONAL(true, false, false),
        SERVER_WHILE_CLIENT_STREAMS_UNIDIRECTIONAL(false, true, false);

        final boolean client;
        final boolean streaming;
        final boolean bidirectional;

        Reset(boolean client, boolean streaming, boolean bidirectional) {
            this.client = client;
            this.streaming = streaming;
            this.bidirectional = bidirectional;
        }
    }

    @ParameterizedTest
    @EnumSource(Reset.class)
    void peerReset_endsEveryDirectionWithErrorNamingErrno(Reset scenario) throws Exception {
        Relay r = net.relay();
        SpliceHandle h = scenario.bidirectional ? bi(r.a(), r.b()) : uni(r.a(), r.b());
        if (scenario.streaming) {
            // the one who streams is the peer that stays; it sends into the connection being reset
            SocketChannel sender = scenario.client ? r.server() : r.client();
            Direction toward = scenario.client ? Direction.REVERSE : Direction.FORWARD;
            SocketChannel receiver = scenario.client ? r.client() : r.server();
            async(() -> {
                new Generator(40).write(sender, 256L << 20);
                return null;
            });
            async(() -> Bytes.readUntilGone(receiver));
            awaitBytes(h, toward, 1 << 20);
        }
        Loopback.reset(scenario.client ? r.client() : r.server());
        SpliceResult res = result(h);
        for (Direction d : h.directions()) {
            assertEquals(SpliceEnd.ERROR, res.end(d), d + " of " + res);
            IOException e = res.error(d).orElseThrow();
            assertTrue(RESET.matcher(String.valueOf(e.getMessage())).find(), d + ": " + e);
        }
        SocketChannel survivor = scenario.client ? r.b() : r.a();
        assertTrue(survivor.isOpen() && survivor.isBlocking(), "the other spliced channel is handed back");
    }

    /**
     * A drain whose peer resets while the source sends nothing: no event on the source tells, and
     * nothing else reads the drain. A backend that can ask the drain (SO_ERROR) ends the splice by
     * itself, about a second later; one that cannot (nio) ends it at the source's next byte.
     */
    @ParameterizedTest(name = "bidirectional, client half-closed first: {0}")
    @CsvSource({"false", "true"})
    void drainPeerResets_sourceSilent_endsError(boolean bidirectional) throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bidirectional ? bi(r.a(), r.b()) : uni(r.a(), r.b());
        Direction silent = bidirectional ? Direction.REVERSE : Direction.FORWARD;
        SocketChannel gone = bidirectional ? r.client() : r.server();
        if (bidirectional) {
            // the forward direction ends EOF: only the silent reverse one is left, and its drain is a
            r.client().shutdownOutput();
            Bytes.readToEof(r.server());
        }
        Loopback.reset(gone);
        if (!seesSilentDrainFailure()) {
            Bytes.writeFully(bidirectional ? r.server() : r.client(), new byte[] {1});
        }
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.ERROR, res.end(silent), res::toString);
        IOException e = res.error(silent).orElseThrow();
        assertTrue(RESET.matcher(String.valueOf(e.getMessage())).find(), silent + ": " + e);
    }

    @ParameterizedTest(name = "close {0}, streaming {1}, bidirectional {2}")
    @CsvSource({
        "a, false, true",
        "b, false, true",
        "a, true, true",
        "b, true, true",
        "a, false, false",
        "b, false, false",
        "b, true, false"})
    void applicationClosesSplicedChannel_endsErrorPromptly(char which, boolean streaming, boolean bidirectional)
            throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bidirectional ? bi(r.a(), r.b()) : uni(r.a(), r.b());
        if (streaming) {
            async(() -> {
                new Generator(41).write(r.client(), 256L << 20);
                return null;
            });
            async(() -> Bytes.readUntilGone(r.server()));
            awaitBytes(h, Direction.FORWARD, 1 << 20);
        }
        SocketChannel closed = which == 'a' ? r.a() : r.b();
        SocketChannel other = which == 'a' ? r.b() : r.a();
        closed.close();
        SpliceResult res = result(h, 5);
        for (Direction d : h.directions()) {
            assertEquals(SpliceEnd.ERROR, res.end(d), d + " of " + res);
            IOException e = res.error(d).orElseThrow();
            assertTrue(ERRNO.matcher(String.valueOf(e.getMessage())).find(), d + " error names no errno: " + e);
        }
        assertTrue(other.isOpen(), "the channel the application did not close stays open");
        assertTrue(other.isBlocking(), "the channel the application did not close is back in blocking mode");
        assertFalse(other.isRegistered(), "the channel the application did not close is deregistered");
    }

    @ParameterizedTest(name = "close {0}")
    @CsvSource({"a", "b"})
    void applicationClosesChannel_rightAfterStart_endsErrorAndHandsBackTheOther(char which) throws Exception {
        // repeated, so the close lands both before and after the loop has taken the channels over
        for (int i = 0; i < 20; i++) {
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b());
            SocketChannel closed = which == 'a' ? r.a() : r.b();
            SocketChannel other = which == 'a' ? r.b() : r.a();
            closed.close();
            SpliceResult res = result(h, 5);
            assertEquals(SpliceEnd.ERROR, res.end(Direction.FORWARD), res::toString);
            assertEquals(SpliceEnd.ERROR, res.end(Direction.REVERSE), res::toString);
            assertTrue(other.isOpen() && other.isBlocking() && !other.isRegistered(), "the other channel is handed back");
        }
    }

    /**
     * docs/spec.md "No stray bytes": once the application closes a spliced channel, its descriptor number may be reused by
     * the next socket the process opens; the splice must not read from or write to that socket.
     * New connections opened right after the close each carry a known message both ways and
     * must see exactly that message, nothing more and nothing less.
     */
    @ParameterizedTest(name = "close {0}")
    @CsvSource({"a", "b"})
    void applicationClosesSplicedChannel_newSocketsGetNoStrayBytes(char which) throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        async(() -> {
            new Generator(42).write(r.client(), 256L << 20);
            return null;
        });
        async(() -> {
            new Generator(43).write(r.server(), 256L << 20);
            return null;
        });
        async(() -> Bytes.readUntilGone(r.server()));
        async(() -> Bytes.readUntilGone(r.client()));
        awaitBytes(h, Direction.FORWARD, 1 << 20);
        awaitBytes(h, Direction.REVERSE, 1 << 20);
        (which == 'a' ? r.a() : r.b()).close();
        List<Loopback.Pair> fresh = new ArrayList<>();
        byte[] message = Bytes.random(1000, 44);
        for (int i = 0; i < 16; i++) {
            Loopback.Pair p = net.pair();
            fresh.add(p);
            Bytes.writeFully(p.client(), message);
            Bytes.writeFully(p.accepted(), message);
        }
        assertEquals(SpliceEnd.ERROR, result(h, 5).end(Direction.FORWARD));
        for (Loopback.Pair p : fresh) {
            assertArrayEquals(message, Bytes.readExactly(p.accepted(), message.length), "bytes lost or changed");
            assertArrayEquals(message, Bytes.readExactly(p.client(), message.length), "bytes lost or changed");
            Bytes.assertNothingToRead(p.accepted(), 0);
            Bytes.assertNothingToRead(p.client(), 0);
        }
    }

    /** Waits until {@code direction} has delivered at least {@code n} bytes. */
    static void awaitBytes(SpliceHandle h, Direction direction, long n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (h.bytesSpliced(direction) < n) {
            assertTrue(System.nanoTime() < deadline, "only " + h.bytesSpliced(direction) + " bytes moved " + direction);
            assertFalse(h.isDone(), "ended before " + n + " bytes moved: " + h);
            Bytes.sleep(1);
        }
    }

    /** A drain the application shut for output before the splice: the write fails, named EPIPE on every backend. */
    @Test
    void drainShutForOutput_endsErrorNamingEpipe() throws Exception {
        Relay r = net.relay();
        r.b().shutdownOutput();
        SpliceHandle h = uni(r.a(), r.b());
        Bytes.writeFully(r.client(), new byte[1000]);
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.ERROR, res.end(Direction.FORWARD), res::toString);
        String message = res.error(Direction.FORWARD).orElseThrow().getMessage();
        assertTrue(message.contains("EPIPE"), message);
        assertTrue(r.a().isOpen() && r.b().isOpen(), "both channels are handed back");
    }

    /**
     * A source the application shut for input before the splice, with bytes waiting: the
     * direction ends EOF at once and moves nothing, on every backend (Java's own read says end of
     * stream; the bytes are not the splice's to take).
     */
    @Test
    void sourceShutForInput_bytesWaiting_endsEofMovingNothing() throws Exception {
        Relay r = net.relay();
        Bytes.writeFully(r.client(), new byte[] {1, 2, 3, 4});
        Bytes.sleep(50);  // let them arrive in a's receive buffer
        r.a().shutdownInput();
        SpliceHandle h = uni(r.a(), r.b());
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(Direction.FORWARD), res::toString);
        assertEquals(0, res.bytes(Direction.FORWARD));
        assertEquals(-1, r.server().read(java.nio.ByteBuffer.allocate(1)), "the drain's peer sees the end of stream");
    }
}
