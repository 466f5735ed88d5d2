package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where OpenBSD and FreeBSD differ and the backend hides it (docs/bsd.md), through the
 * whole library on the SIMULATED kernels: FreeBSD's silent end at the limit, its idle timeout kept
 * by the engine, readiness held back while spliced, bytes not taken staying in the source.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulatedBsdBehaviourTest {

    private final List<SocketChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void maxBytes_nothingMoreArrives_endsMaxBytes(String backend) throws Exception {
        SocketChannel[] in = pair();
        SocketChannel[] out = pair();
        byte[] data = random(1000);
        SpliceHandle h = Splice.using(backend).unidirectional(in[1], out[0],
                SpliceOptions.builder().maxBytes(1000).build());
        in[0].write(ByteBuffer.wrap(data));
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.MAX_BYTES, r.end(Direction.FORWARD));
        assertEquals(1000, r.bytes(Direction.FORWARD));
        assertArrayEquals(data, read(out[1], 1000));
    }

    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void maxBytes_moreWaiting_staysInSource(String backend) throws Exception {
        SocketChannel[] in = pair();
        SocketChannel[] out = pair();
        byte[] data = random(3000);
        in[0].write(ByteBuffer.wrap(data));
        SpliceHandle h = Splice.using(backend).unidirectional(in[1], out[0],
                SpliceOptions.builder().maxBytes(1000).build());
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.MAX_BYTES, r.end(Direction.FORWARD));
        assertArrayEquals(Arrays.copyOf(data, 1000), read(out[1], 1000));
        assertArrayEquals(Arrays.copyOfRange(data, 1000, 3000), read(in[1], 2000));
    }

    /**
     * A byte moved early restarts the timer: the end comes T after it, not T after the start nor
     * 2T (FreeBSD's kernel deadline is from the splice call, so there the engine polls the count).
     */
    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void idleTimeout_byteAfterStart_restartsTheTimer(String backend) throws Exception {
        SocketChannel[] in = pair();
        SocketChannel[] out = pair();
        long idle = 1_000_000_000L;
        SpliceHandle h = Splice.using(backend).unidirectional(in[1], out[0],
                SpliceOptions.builder().idleTimeout(Duration.ofNanos(idle)).build());
        Thread.sleep(100);
        // stamped before the write: the splice may move the byte before write() returns
        long lastByte = System.nanoTime();
        in[0].write(ByteBuffer.wrap(new byte[] {42}));
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        long after = System.nanoTime() - lastByte;
        assertEquals(SpliceEnd.IDLE_TIMEOUT, r.end(Direction.FORWARD));
        assertEquals(1, r.bytes(Direction.FORWARD));
        assertTrue(after >= idle, "ended " + after / 1_000_000 + " ms after the last byte");
        // docs/spec.md, "Idle timeouts", allows 100 ms; the rest is slack for a busy test machine
        assertTrue(after < idle + 500_000_000L, "ended " + after / 1_000_000 + " ms after the last byte");
    }

    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void unsplice_drainStalled_takenBytesDeliveredTheRestStays(String backend) throws Exception {
        SocketChannel[] in = pair();
        SocketChannel[] out = pair();
        out[1].setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
        byte[] data = random(4 << 20);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                in[0].write(ByteBuffer.wrap(data));
                in[0].shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        SpliceHandle h = Splice.using(backend).unidirectional(in[1], out[0]);
        awaitStalled(h);
        h.unsplice();
        // read concurrently: bytes the kernel took are delivered before the splice completes
        CompletableFuture<byte[]> delivered = CompletableFuture.supplyAsync(() -> readToEnd(out[1]));
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.UNSPLICED, r.end(Direction.FORWARD));
        assertTrue(in[1].isBlocking() && out[0].isBlocking(), "blocking mode restored");
        int n = (int) r.bytes(Direction.FORWARD);
        out[0].shutdownOutput();
        assertArrayEquals(Arrays.copyOf(data, n), delivered.get(10, TimeUnit.SECONDS));
        assertArrayEquals(Arrays.copyOfRange(data, n, data.length), readToEnd(in[1]));
        writer.get(10, TimeUnit.SECONDS);
    }

    /**
     * While bytes wait in a spliced source (its drain is stalled) neither the engine's loop nor
     * the kernel may spin: a real BSD does not report a spliced socket readable.
     */
    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void spliced_bytesWaitingInSource_nothingSpins(String backend) throws Exception {
        SocketChannel[] in = pair();
        SocketChannel[] out = pair();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                in[0].write(ByteBuffer.wrap(new byte[8 << 20]));
            } catch (IOException e) {
                // the test closes the sockets under the blocked writer
            }
        });
        SpliceHandle h = Splice.using(backend).unidirectional(in[1], out[0]);
        awaitStalled(h);
        SimulatedBsdKernel kernel = kernel(backend);
        long passes = kernel.passes.get();
        long errorReads = kernel.errorReads.get();
        Thread.sleep(1000);
        passes = kernel.passes.get() - passes;
        errorReads = kernel.errorReads.get() - errorReads;
        h.close();
        in[0].close();
        writer.get(10, TimeUnit.SECONDS);
        // the engine would ask SO_ERROR on every spurious readiness; the kernel ticks 10 times a second
        assertEquals(0, errorReads, "SO_ERROR reads of a spliced source");
        assertTrue(passes < 50, passes + " passes of the kernel thread in 1 s");
    }

    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void peerReset_endsErrorNamingIt(String backend) throws Exception {
        SocketChannel[] a = pair();
        SocketChannel[] b = pair();
        SpliceHandle h = Splice.using(backend).bidirectional(a[1], b[0]);
        b[1].setOption(StandardSocketOptions.SO_LINGER, 0);
        b[1].close();  // RST to b[0], the drain of FORWARD and source of REVERSE
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.ERROR, r.end(Direction.REVERSE));
        assertEquals(SpliceEnd.ERROR, r.end(Direction.FORWARD));
        String message = r.error(Direction.REVERSE).orElseThrow().getMessage();
        assertTrue(message.contains("ECONNRESET"), message);
    }

    private static void awaitStalled(SpliceHandle h) throws InterruptedException {
        long seen = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < 300_000_000L) {
            long n = h.bytesSpliced();
            if (n != seen || n == 0) {
                seen = n;
                stableSince = System.nanoTime();
            }
            Thread.sleep(20);
        }
    }

    private static SimulatedBsdKernel kernel(String backend) {
        return backend.equals(SimulatedOpenBsdProvider.NAME) ? SimulatedOpenBsdProvider.KERNEL : SimulatedFreeBsdProvider.KERNEL;
    }

    private SocketChannel[] pair() throws IOException {
        return LoopbackPairs.open(opened);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // blocking reads until n bytes
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static byte[] readToEnd(SocketChannel c) {
        try {
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            while (c.read(b) >= 0) {
                all.write(b.array(), 0, b.position());
                b.clear();
            }
            return all.toByteArray();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
