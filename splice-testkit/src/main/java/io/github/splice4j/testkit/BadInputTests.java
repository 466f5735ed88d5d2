package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * docs/spec.md "Bad input" bad input: a clear exception at the call, and nothing started or changed: the channels
 * stay blocking, unregistered and free for a valid splice afterwards.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class BadInputTests extends ConformanceBase {

    @Test
    void nullArgument_throwsNullPointerExceptionNamingIt() throws Exception {
        Relay r = net.relay();
        SocketChannel a = r.a();
        SocketChannel b = r.b();
        SpliceOptions o = SpliceOptions.defaults();
        assertNpeNaming("source", () -> backend().unidirectional(null, b));
        assertNpeNaming("drain", () -> backend().unidirectional(a, null));
        assertNpeNaming("source", () -> backend().unidirectional(null, b, o));
        assertNpeNaming("drain", () -> backend().unidirectional(a, null, o));
        assertNpeNaming("options", () -> backend().unidirectional(a, b, null));
        assertNpeNaming("a", () -> backend().bidirectional(null, b));
        assertNpeNaming("b", () -> backend().bidirectional(a, null));
        assertNpeNaming("a", () -> backend().bidirectional(null, b, o));
        assertNpeNaming("b", () -> backend().bidirectional(a, null, o));
        assertNpeNaming("options", () -> backend().bidirectional(a, b, null));
        assertUntouchedAndSpliceable(r);
    }

    @Test
    void sameChannelTwice_throwsIllegalArgumentException() throws Exception {
        Relay r = net.relay();
        assertThrows(IllegalArgumentException.class, () -> backend().unidirectional(r.a(), r.a()));
        assertThrows(IllegalArgumentException.class, () -> backend().bidirectional(r.b(), r.b()));
        assertUntouchedAndSpliceable(r);
    }

    @Test
    void unconnectedChannel_throwsNotYetConnectedException() throws Exception {
        Relay r = net.relay();
        try (SocketChannel unconnected = SocketChannel.open()) {
            assertThrows(NotYetConnectedException.class, () -> backend().unidirectional(unconnected, r.b()));
            assertThrows(NotYetConnectedException.class, () -> backend().unidirectional(r.a(), unconnected));
            assertThrows(NotYetConnectedException.class, () -> backend().bidirectional(unconnected, r.b()));
            assertThrows(NotYetConnectedException.class, () -> backend().bidirectional(r.a(), unconnected));
            assertTrue(unconnected.isBlocking());
            assertFalse(unconnected.isRegistered());
        }
        assertUntouchedAndSpliceable(r);
    }

    @Test
    void closedChannel_throwsClosedChannelException() throws Exception {
        Relay r = net.relay();
        SocketChannel closed = net.pair().client();
        closed.close();
        assertThrows(ClosedChannelException.class, () -> backend().unidirectional(closed, r.b()));
        assertThrows(ClosedChannelException.class, () -> backend().unidirectional(r.a(), closed));
        assertThrows(ClosedChannelException.class, () -> backend().bidirectional(closed, r.b()));
        assertThrows(ClosedChannelException.class, () -> backend().bidirectional(r.a(), closed));
        assertUntouchedAndSpliceable(r);
    }

    @Test
    void alreadySpliced_asSourceOrDrain_throwsIllegalStateException() throws Exception {
        Relay busy = net.relay();
        Relay free = net.relay();
        SpliceHandle running = uni(busy.a(), busy.b());
        SocketChannel source = busy.a();
        SocketChannel drain = busy.b();
        assertAlreadySpliced(() -> backend().unidirectional(source, free.b()));
        assertAlreadySpliced(() -> backend().unidirectional(free.a(), source));
        assertAlreadySpliced(() -> backend().unidirectional(drain, free.b()));
        assertAlreadySpliced(() -> backend().unidirectional(free.a(), drain));
        assertAlreadySpliced(() -> backend().bidirectional(source, free.b()));
        assertAlreadySpliced(() -> backend().bidirectional(free.a(), drain));
        assertAlreadySpliced(() -> backend().unidirectional(source, drain));
        assertAlreadySpliced(() -> backend().bidirectional(drain, source));
        // the running splice did not notice
        assertFalse(running.isDone());
        Bytes.writeFully(busy.client(), new byte[] {1, 2});
        assertArrayEquals(new byte[] {1, 2}, Bytes.readExactly(busy.server(), 2));
        running.unsplice();
        assertEquals(SpliceEnd.UNSPLICED, result(running).end(Direction.FORWARD));
        assertUntouchedAndSpliceable(free);
        // once handed back, the channels may be spliced again
        assertUntouchedAndSpliceable(busy);
    }

    @Test
    void nonBlockingChannel_rejectedCall_staysNonBlocking() throws Exception {
        Relay r = net.relay();
        r.a().configureBlocking(false);
        assertThrows(IllegalArgumentException.class, () -> backend().unidirectional(r.a(), r.a()));
        try (SocketChannel unconnected = SocketChannel.open()) {
            assertThrows(NotYetConnectedException.class, () -> backend().bidirectional(r.a(), unconnected));
        }
        assertFalse(r.a().isBlocking());
        assertFalse(r.a().isRegistered());
    }

    @Test
    void options_invalidValues_rejectedAtBuildNamingTheValue() {
        assertIaeContaining("-1", () -> SpliceOptions.builder().maxBytes(-1).build());
        Duration negative = Duration.ofMillis(-1);
        assertIaeContaining(negative.toString(), () -> SpliceOptions.builder().idleTimeout(negative).build());
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        assertIaeContaining(huge.toString(), () -> SpliceOptions.builder().idleTimeout(huge).build());
    }

    @Test
    void reverse_ofUnidirectionalSplice_throwsIllegalArgumentException() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        assertEquals(EnumSet.of(Direction.FORWARD), h.directions());
        assertThrows(IllegalArgumentException.class, () -> h.bytesSpliced(Direction.REVERSE));
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(EnumSet.of(Direction.FORWARD), res.directions());
        assertThrows(IllegalArgumentException.class, () -> res.end(Direction.REVERSE));
        assertThrows(IllegalArgumentException.class, () -> res.bytes(Direction.REVERSE));
        assertThrows(IllegalArgumentException.class, () -> res.error(Direction.REVERSE));
        assertThrows(IllegalArgumentException.class, () -> h.bytesSpliced(Direction.REVERSE));
    }

    private static void assertNpeNaming(String argument, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertTrue(e.getMessage() != null && e.getMessage().matches(argument + "\\b.*"),
                "message should name " + argument + ": " + e.getMessage());
    }

    private static void assertAlreadySpliced(Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertTrue(String.valueOf(e.getMessage()).contains("already spliced"), e.getMessage());
    }

    private static void assertIaeContaining(String value, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(String.valueOf(e.getMessage()).contains(value), "should name " + value + ": " + e.getMessage());
    }

    /** Nothing changed on the relay's spliced channels, and a valid splice on them works. */
    private void assertUntouchedAndSpliceable(Relay r) throws IOException, InterruptedException {
        assertTrue(r.a().isBlocking() && r.b().isBlocking(), "blocking mode changed");
        assertFalse(r.a().isRegistered() || r.b().isRegistered(), "registered with a selector");
        SpliceHandle h = bi(r.a(), r.b());
        Bytes.writeFully(r.client(), new byte[] {5, 6, 7});
        assertArrayEquals(new byte[] {5, 6, 7}, Bytes.readExactly(r.server(), 3));
        Bytes.writeFully(r.server(), new byte[] {8});
        assertArrayEquals(new byte[] {8}, Bytes.readExactly(r.client(), 1));
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.UNSPLICED, res.end(Direction.FORWARD));
        assertEquals(3, res.bytes(Direction.FORWARD));
        assertEquals(1, res.bytes(Direction.REVERSE));
    }
}
