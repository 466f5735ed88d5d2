package io.github.splice4j.testkit;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Bytes.Tally;
import io.github.splice4j.testkit.Loopback.Relay;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** docs/spec.md "Integrity" integrity and docs/spec.md "Data already waiting" data already waiting, including many splices at once. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class IntegrityTests extends ConformanceBase {

    /**
     * Descriptors that 1,000 idle splices may hold beyond their sockets: room for a backend's
     * bounded pool (of pipes, say) and the JDK's own, far below one per splice.
     */
    private static final long IDLE_DESCRIPTOR_SLACK = 400;

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(longs = {0, 1, 64 * 1024 - 1, 1024 * 1024 + 7})
    void unidirectional_randomData_arrivesIntact(long size) throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        Future<Tally> sent = async(() -> {
            Generator g = new Generator(size);
            g.write(r.client(), size);
            r.client().shutdownOutput();
            return g.tally();
        });
        Tally received = Bytes.readToEof(r.server());
        assertEquals(await(sent), received);
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(size, res.bytes(FORWARD));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unidirectional_64MiB_arrivesIntact() throws Exception {
        long size = 64L << 20;
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        Future<Tally> sent = async(() -> {
            Generator g = new Generator(64);
            g.write(r.client(), size);
            r.client().shutdownOutput();
            return g.tally();
        });
        Tally received = Bytes.readToEof(r.server());
        assertEquals(await(sent), received);
        assertEquals(size, result(h, 30).bytes(FORWARD));
    }

    @Test
    void bidirectional_bothDirectionsAtOnce_arriveIntact() throws Exception {
        long size = 1024 * 1024 + 7;
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        Future<Tally> toServer = async(() -> {
            Generator g = new Generator(1);
            g.write(r.client(), size);
            r.client().shutdownOutput();
            return g.tally();
        });
        Future<Tally> toClient = async(() -> {
            Generator g = new Generator(2);
            g.write(r.server(), size + 1000);
            r.server().shutdownOutput();
            return g.tally();
        });
        Future<Tally> atServer = async(() -> Bytes.readToEof(r.server()));
        Tally atClient = Bytes.readToEof(r.client());
        assertEquals(await(toServer), await(atServer));
        assertEquals(await(toClient), atClient);
        SpliceResult res = result(h);
        assertAll(
                () -> assertEquals(SpliceEnd.EOF, res.end(FORWARD)),
                () -> assertEquals(SpliceEnd.EOF, res.end(REVERSE)),
                () -> assertEquals(size, res.bytes(FORWARD)),
                () -> assertEquals(size + 1000, res.bytes(REVERSE)),
                () -> assertEquals(2 * size + 1000, h.bytesSpliced()));
    }

    @Test
    void dataAlreadyWaiting_withEndOfStream_isMoved() throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(10_000, 3);
        Bytes.writeFully(r.client(), data);
        r.client().shutdownOutput();
        awaitReadable(r.a(), data.length);
        SpliceHandle h = uni(r.a(), r.b());
        assertArrayEquals(data, Bytes.readExactly(r.server(), data.length));
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(data.length, res.bytes(FORWARD));
    }

    @Test
    void dataAlreadyWaiting_bothDirections_isMovedWithoutFurtherTraffic() throws Exception {
        Relay r = net.relay();
        byte[] up = Bytes.random(7_000, 4);
        byte[] down = Bytes.random(9_000, 5);
        Bytes.writeFully(r.client(), up);
        Bytes.writeFully(r.server(), down);
        awaitReadable(r.a(), up.length);
        awaitReadable(r.b(), down.length);
        SpliceHandle h = bi(r.a(), r.b());
        // no byte is written after the splice starts: nothing but the waiting data can wake it
        assertArrayEquals(up, Bytes.readExactly(r.server(), up.length));
        assertArrayEquals(down, Bytes.readExactly(r.client(), down.length));
        h.unsplice();
        SpliceResult res = result(h);
        assertEquals(up.length, res.bytes(FORWARD));
        assertEquals(down.length, res.bytes(REVERSE));
    }

    /**
     * 1,000 relays at once, each moving a few KiB both ways. While all of them run idle after
     * moving their bytes, they hold no thread and no descriptor of their own beyond a bounded
     * pool (docs/spec.md "Resources": pipes only while bytes are in flight); then every one ends EOF both ways.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentSplices_thousandRelays_allArriveIntact() throws Exception {
        int n = 1000;
        Random sizes = new Random(1000);
        List<Relay> relays = new ArrayList<>(n);
        List<SpliceHandle> handles = new ArrayList<>(n);
        List<byte[]> up = new ArrayList<>(n);
        List<byte[]> down = new ArrayList<>(n);
        int threadsBefore = Thread.activeCount();
        long fdsBefore = ResourceTests.openDescriptors();
        for (int i = 0; i < n; i++) {
            Relay r = net.relay();
            relays.add(r);
            handles.add(bi(r.a(), r.b()));
            // a few KiB each way: fits the socket buffers, so one thread can write everything first
            up.add(Bytes.random(1 + sizes.nextInt(8 * 1024), 2L * i));
            down.add(Bytes.random(1 + sizes.nextInt(8 * 1024), 2L * i + 1));
        }
        for (int i = 0; i < n; i++) {
            Bytes.writeFully(relays.get(i).client(), up.get(i));
            Bytes.writeFully(relays.get(i).server(), down.get(i));
        }
        for (int i = 0; i < n; i++) {
            Relay r = relays.get(i);
            assertEquals(Bytes.tally(up.get(i)), Bytes.tally(Bytes.readExactly(r.server(), up.get(i).length)),
                    "client -> server of relay " + i);
            assertEquals(Bytes.tally(down.get(i)), Bytes.tally(Bytes.readExactly(r.client(), down.get(i).length)),
                    "server -> client of relay " + i);
        }
        // every splice is running and idle now
        assertTrue(handles.stream().noneMatch(SpliceHandle::isDone), "a splice ended before its sockets did");
        assertTrue(loopThreads() <= LoopThreads.configured(), "more splice4j-loop threads than splice4j.threads");
        assertTrue(Thread.activeCount() < threadsBefore + 50,
                "a thread per splice? " + threadsBefore + " threads before, " + Thread.activeCount() + " now");
        if (fdsBefore >= 0) {
            long held = ResourceTests.openDescriptors() - fdsBefore - 4L * n;
            assertTrue(held <= IDLE_DESCRIPTOR_SLACK, "1,000 idle splices hold " + held + " descriptors besides their sockets");
        }
        for (int i = 0; i < n; i++) {
            relays.get(i).client().shutdownOutput();
            relays.get(i).server().shutdownOutput();
        }
        for (int i = 0; i < n; i++) {
            Relay r = relays.get(i);
            assertEquals(0, Bytes.readToEof(r.server()).bytes(), "bytes after the data, relay " + i);
            assertEquals(0, Bytes.readToEof(r.client()).bytes(), "bytes after the data, relay " + i);
        }
        for (int i = 0; i < n; i++) {
            SpliceResult res = result(handles.get(i));
            assertEquals(SpliceEnd.EOF, res.end(FORWARD), "relay " + i);
            assertEquals(SpliceEnd.EOF, res.end(REVERSE), "relay " + i);
            assertEquals(up.get(i).length, res.bytes(FORWARD), "relay " + i);
            assertEquals(down.get(i).length, res.bytes(REVERSE), "relay " + i);
        }
    }

    /** Waits until {@code n} bytes sit in the channel's receive buffer, so the splice finds them there. */
    static void awaitReadable(java.nio.channels.SocketChannel c, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (c.socket().getInputStream().available() < n) {
            assertTrue(System.nanoTime() < deadline, "the bytes written never arrived");
            Thread.sleep(1);
        }
    }

    static long loopThreads() {
        return LoopThreads.live();
    }
}
