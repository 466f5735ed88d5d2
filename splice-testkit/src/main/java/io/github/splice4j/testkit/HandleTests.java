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
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
    void bytesSpliced_whileEveryLoopIsBusy_returnsWithoutWaiting() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        Bytes.writeFully(r.client(), new byte[1000]);
        Bytes.readExactly(r.server(), 1000);
        ErrorTests.awaitBytes(h, FORWARD, 1000);
        // block every loop thread inside a completion callback: two splices per loop, started in a
        // row, so that each loop gets at least one (the engine deals splices out in turn)
        long loops = IntegrityTests.loopThreads();
        CountDownLatch release = new CountDownLatch(1);
        Set<String> busy = ConcurrentHashMap.newKeySet();
        List<SpliceHandle> blockers = new ArrayList<>();
        try {
            for (int i = 0; i < 2 * loops; i++) {
                Relay b = net.relay();
                SpliceHandle x = uni(b.a(), b.b());
                x.completion().thenRun(() -> {
                    busy.add(Thread.currentThread().getName());
                    awaitQuietly(release);
                });
                blockers.add(x);
            }
            blockers.forEach(SpliceHandle::unsplice);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (busy.size() < loops) {
                assertTrue(System.nanoTime() < deadline, "only " + busy + " of " + loops + " loops blocked");
                Thread.sleep(5);
            }
            // 20 reads while no loop can answer: a read that waited for a loop (even 1 s) would take 20 s
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertEquals(1000, h.bytesSpliced());
                assertEquals(0, h.bytesSpliced(REVERSE));
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertTrue(seconds < 10, "20 reads of bytesSpliced() took " + seconds + " s while the loops were busy");
        } finally {
            release.countDown();
        }
        for (SpliceHandle x : blockers) {
            assertEquals(SpliceEnd.UNSPLICED, result(x).end(FORWARD));
        }
        h.unsplice();
        assertEquals(1000, result(h).bytes(FORWARD));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        for (int i = 0; i <= LoopThreads.configured(); i++) {
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
