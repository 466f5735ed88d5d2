package io.github.splice4j.testkit;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Loopback.Relay;
import io.github.splice4j.spi.SpliceEngine;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The handle a proxy works with: live counts, completion futures, calls from callbacks. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class HandleTests extends ConformanceBase {

    @Test
    void handle_namesBackendAndDirections() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        assertEquals(backend().name(), h.backend());
        assertEquals(EnumSet.allOf(Direction.class), h.directions());
        h.unsplice();
        assertEquals(EnumSet.allOf(Direction.class), result(h).directions());
    }

    @Test
    void bytesSpliced_whileRunning_countsDeliveredBytes() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        Bytes.writeFully(r.client(), new byte[1000]);
        Bytes.readExactly(r.server(), 1000);
        Bytes.writeFully(r.server(), new byte[300]);
        Bytes.readExactly(r.client(), 300);
        ErrorTests.awaitBytes(h, FORWARD, 1000);
        ErrorTests.awaitBytes(h, REVERSE, 300);
        assertEquals(1000, h.bytesSpliced(FORWARD));
        assertEquals(300, h.bytesSpliced(REVERSE));
        assertEquals(1300, h.bytesSpliced());
        assertFalse(h.isDone());
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(1000, res.bytes(FORWARD));
        assertEquals(300, res.bytes(REVERSE));
        assertEquals(1300, h.bytesSpliced());
    }

    @Test
    void completion_cancellingOneFuture_leavesSpliceAndOtherFuturesAlone() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        CompletableFuture<SpliceResult> first = h.completion();
        assertTrue(first.cancel(true));
        assertFalse(h.isDone());
        Bytes.writeFully(r.client(), new byte[] {1});
        assertArrayEquals(new byte[] {1}, Bytes.readExactly(r.server(), 1));
        h.unsplice();
        assertEquals(SpliceEnd.UNSPLICED, result(h).end(FORWARD));
        assertTrue(first.isCancelled());
    }

    @Test
    void completionCallback_startsNextSpliceOnSameChannels() throws Exception {
        // a proxy splicing one HTTP body after another, from the completion callback
        Relay r = net.relay();
        byte[] bodies = Bytes.random(3_000, 50);
        SpliceHandle first = uni(r.a(), r.b(), options().maxBytes(1_000).build());
        CompletableFuture<SpliceHandle> next = first.completion().thenApply(res -> {
            try {
                return track(backend().unidirectional(r.a(), r.b(), options().maxBytes(2_000).build()));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Bytes.writeFully(r.client(), bodies);
        assertArrayEquals(bodies, Bytes.readExactly(r.server(), bodies.length));
        SpliceHandle second = next.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.MAX_BYTES, result(second).end(FORWARD));
        assertEquals(2_000, result(second).bytes(FORWARD));
        UnspliceTests.assertHandedBack(r.a(), r.b());
    }

    @Test
    void closeFromCompletionCallback_ofSplicesOnEveryLoop_doesNotBlockTheLoops() throws Exception {
        Relay r1 = net.relay();
        SpliceHandle h1 = uni(r1.a(), r1.b());
        // one more splice than loops: at least one shares the loop that runs the callback
        List<Relay> others = new ArrayList<>();
        List<SpliceHandle> closed = new ArrayList<>();
        for (int i = 0; i <= SpliceEngine.threads(); i++) {
            Relay r = net.relay();
            others.add(r);
            closed.add(bi(r.a(), r.b()));
        }
        h1.completion().thenRun(() -> closed.forEach(SpliceHandle::close));
        r1.client().shutdownOutput();
        assertEquals(SpliceEnd.EOF, result(h1).end(FORWARD));
        for (int i = 0; i < closed.size(); i++) {
            assertEquals(SpliceEnd.UNSPLICED, result(closed.get(i)).end(FORWARD));
            assertFalse(others.get(i).a().isOpen());
            assertFalse(others.get(i).b().isOpen());
        }
        // the loops still serve new splices
        Relay r3 = net.relay();
        SpliceHandle h3 = uni(r3.a(), r3.b());
        Bytes.writeFully(r3.client(), new byte[] {9});
        assertArrayEquals(new byte[] {9}, Bytes.readExactly(r3.server(), 1));
        h3.unsplice();
        assertEquals(SpliceEnd.UNSPLICED, result(h3).end(FORWARD));
    }

    @Test
    void ended_oneDirectionAtMaxBytes_completesWhileTheOtherRuns() throws Exception {
        // a relay closes the connection when one direction hits its limit: it must learn of it then
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b(), options().maxBytes(1_000).build());
        CompletableFuture<SpliceEnd> forward = h.ended(FORWARD);
        Bytes.writeFully(r.client(), new byte[1_000]);
        Bytes.readExactly(r.server(), 1_000);
        assertEquals(SpliceEnd.MAX_BYTES, forward.get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(h.completion().isDone());
        assertFalse(h.ended(REVERSE).isDone());
        Bytes.writeFully(r.server(), new byte[] {5});
        assertArrayEquals(new byte[] {5}, Bytes.readExactly(r.client(), 1));
        h.unsplice();
        assertEquals(SpliceEnd.UNSPLICED, h.ended(REVERSE).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD));
    }

    @Test
    void ended_afterTheEnd_isAlreadyDone() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        h.unsplice();
        result(h);
        assertEquals(SpliceEnd.UNSPLICED, h.ended(FORWARD).getNow(null));
    }

    @Test
    void ended_reverseOfUnidirectional_isRejected() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        assertThrows(IllegalArgumentException.class, () -> h.ended(REVERSE));
        h.unsplice();
    }
}
