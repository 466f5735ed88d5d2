package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pipes as the engine uses them (docs/spec.md, "Resources"): held only while bytes are in flight, back to zero
 * in use when splices end, and no descriptor left behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipeUsageTest {

    private final SpliceBackend linux = Splice.using("linux");

    @Test
    void splice_idle_holdsNoPipe() throws Exception {
        PipePool pool = PipePool.shared();
        try (Sockets sockets = new Sockets()) {
            List<SpliceHandle> handles = new ArrayList<>();
            List<SocketChannel[]> ends = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                SocketChannel[] a = sockets.pair();
                SocketChannel[] b = sockets.pair();
                handles.add(linux.bidirectional(a[1], b[0]));
                ends.add(new SocketChannel[] {a[0], b[1]});
            }
            // one byte each way proves every splice runs; then all of them sit idle
            for (SocketChannel[] e : ends) {
                e[0].write(ByteBuffer.wrap(new byte[] {1}));
                assertEquals(1, Sockets.read(e[1], 1).length);
                e[1].write(ByteBuffer.wrap(new byte[] {2}));
                assertEquals(1, Sockets.read(e[0], 1).length);
            }
            assertTrue(Sockets.eventually(() -> handles.stream().allMatch(h -> h.bytesSpliced() == 2)));
            assertEquals(0, pool.inUse(), "idle splices hold no pipe");
            for (SpliceHandle h : handles) {
                h.close();
            }
        }
    }

    @Test
    void splice_drainStalled_holdsPipeUntilDelivered() throws Exception {
        PipePool pool = PipePool.shared();
        try (Sockets sockets = new Sockets()) {
            SocketChannel[] a = sockets.pair();
            SocketChannel[] b = sockets.pair();
            SpliceHandle h = linux.unidirectional(a[1], b[0]);
            byte[] data = new byte[32 << 20];
            new Random(7).nextBytes(data);
            Thread writer = Sockets.sendThenShutdown(a[0], data);
            // nobody reads b[1]: once its buffers are full, a chunk waits in a pipe
            assertTrue(Sockets.eventually(() -> pool.inUse() == 1), "a stalled direction holds its pipe");
            byte[] got = Sockets.read(b[1], data.length);
            assertArrayEquals(data, got);
            SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
            assertEquals(0, pool.inUse());
            writer.join();
        }
    }

    @Test
    void splices_completed_leaveNoDescriptor() throws Exception {
        PipePool pool = PipePool.shared();
        runSplices(4);  // warm up: loops, selectors, classes
        long fds = Sockets.openFds();
        int pipes = pool.open();
        runSplices(100);
        assertEquals(0, pool.inUse());
        assertTrue(pool.open() <= PipePool.IDLE_PER_THREAD * io.github.splice4j.testkit.LoopThreads.configured());
        // every descriptor left over is a pooled, empty pipe (two each)
        assertEquals(fds + 2L * (pool.open() - pipes), Sockets.openFds());
    }

    private void runSplices(int n) throws Exception {
        try (Sockets sockets = new Sockets()) {
            List<SpliceHandle> handles = new ArrayList<>();
            List<SocketChannel[]> ends = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SocketChannel[] a = sockets.pair();
                SocketChannel[] b = sockets.pair();
                handles.add(linux.bidirectional(a[1], b[0]));
                ends.add(new SocketChannel[] {a[0], b[1]});
            }
            byte[] data = new byte[64 * 1024];
            new Random(8).nextBytes(data);
            for (SocketChannel[] e : ends) {
                e[0].write(ByteBuffer.wrap(data));
                e[0].shutdownOutput();
                e[1].write(ByteBuffer.wrap(data));
                e[1].shutdownOutput();
            }
            for (SocketChannel[] e : ends) {
                assertArrayEquals(data, Sockets.read(e[1], data.length + 1));
                assertArrayEquals(data, Sockets.read(e[0], data.length + 1));
            }
            for (SpliceHandle h : handles) {
                SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
                assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
                assertEquals(SpliceEnd.EOF, r.end(Direction.REVERSE));
                h.close();
            }
        }
    }
}
