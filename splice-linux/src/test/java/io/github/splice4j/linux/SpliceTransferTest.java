package io.github.splice4j.linux;

import io.github.splice4j.unix.ChannelDescriptors;
import io.github.splice4j.unix.Errnos;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One direction's transfer driven by hand, as the engine's loop would: exact pipe accounting,
 * pipes held only while bytes are in flight, and every way a chunk can avoid splice(2).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpliceTransferTest {

    /** eventfd(2) makes a descriptor splice(2) cannot read from (no splice_read): EINVAL. */
    public interface TestLibC {
        int eventfd(int initval, int flags);
    }

    private final Sockets sockets = new Sockets();
    private final PipePool pool = new PipePool(64 * 1024, 4, 4);
    private SocketChannel client;   // writes into the source
    private SocketChannel source;   // relay side, read by the transfer
    private SocketChannel drain;    // relay side, written by the transfer
    private SocketChannel target;   // reads what the drain sends

    @BeforeEach
    void connect() throws IOException {
        assertTrue(new LinuxSpliceProvider().probe() == null, "linux backend available");
        SocketChannel[] in = sockets.pair();
        SocketChannel[] out = sockets.pair();
        client = in[0];
        source = in[1];
        drain = out[0];
        target = out[1];
        source.configureBlocking(false);
        drain.configureBlocking(false);
    }

    @AfterEach
    void close() throws IOException {
        pool.closeIdle();
        sockets.close();
    }

    private SpliceTransfer transfer() {
        ChannelDescriptors fds = ChannelDescriptors.get();
        return new SpliceTransfer(source, drain, fds.of(source), fds.of(drain), pool);
    }

    /** Calls fill until it takes something or reports EOF. */
    private static long fillSome(SpliceTransfer t, long max) throws Exception {
        long n;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((n = t.fill(max)) == 0) {
            assertTrue(System.nanoTime() < end, "no bytes arrived");
            Thread.sleep(1);
        }
        return n;
    }

    /** Fills and flushes until {@code total} bytes went through, as the engine's pump does. */
    private static void pump(SpliceTransfer t, long total) throws Exception {
        long moved = 0;
        while (moved < total) {
            long n = fillSome(t, total - moved);
            assertTrue(n > 0, "unexpected end of stream");
            while (t.pending() > 0) {
                t.flush();
            }
            moved += n;
        }
    }

    @Test
    void fill_takesAtMostMax() throws Exception {
        byte[] data = new byte[100];
        new Random(1).nextBytes(data);
        client.write(ByteBuffer.wrap(data));
        SpliceTransfer t = transfer();
        long n = fillSome(t, 10);
        assertEquals(10, n);
        assertEquals(10, t.pending());
        assertEquals(10, t.flush());
        assertArrayEquals(Arrays.copyOf(data, 10), Sockets.read(target, 10));
        ByteBuffer rest = ByteBuffer.allocate(200);
        source.configureBlocking(true);
        while (rest.position() < 90 && source.read(rest) > 0) {
            // the 90 bytes past the limit are still in the source
        }
        assertArrayEquals(Arrays.copyOfRange(data, 10, 100), Arrays.copyOf(rest.array(), rest.position()));
    }

    @Test
    void fill_emptySource_holdsNoPipe() throws Exception {
        SpliceTransfer t = transfer();
        assertEquals(0, t.fill(1 << 20));
        assertEquals(0, t.pending());
        assertEquals(0, pool.inUse());
    }

    @Test
    void fill_endOfStream_returnsMinusOne() throws Exception {
        client.shutdownOutput();
        SpliceTransfer t = transfer();
        assertEquals(-1, fillSome(t, 1 << 20));
        assertEquals(0, pool.inUse());
    }

    @Test
    void flush_emptiesPipe_returnsItForReuse() throws Exception {
        byte[] data = new byte[48 * 1024];
        new Random(2).nextBytes(data);
        client.write(ByteBuffer.wrap(data));
        SpliceTransfer t = transfer();
        pump(t, data.length);
        assertArrayEquals(data, Sockets.read(target, data.length));
        assertEquals(0, t.pending());
        assertEquals(0, pool.inUse());
        assertEquals(1, pool.created());
        assertEquals(1, pool.open());
    }

    @Test
    void flush_drainFull_keepsExactCount() throws Exception {
        byte[] data = new byte[16 << 20];
        new Random(3).nextBytes(data);
        Thread writer = new Thread(() -> {
            try {
                client.write(ByteBuffer.wrap(data));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        writer.start();
        SpliceTransfer t = transfer();
        long moved = 0;
        boolean sawFull = false;
        // nobody reads the target yet: the drain fills up and flush must report exactly what it wrote
        while (!sawFull) {
            if (t.pending() == 0) {
                moved += fillSome(t, data.length - moved);
            }
            long before = t.pending();
            long w = t.flush();
            assertEquals(before - w, t.pending());
            sawFull = w == 0 || t.pending() > 0;
        }
        assertEquals(1, pool.inUse(), "a pipe is held while its bytes wait for the drain");
        ByteBuffer got = ByteBuffer.allocate(data.length);
        Thread reader = new Thread(() -> {
            try {
                while (got.hasRemaining() && target.read(got) >= 0) {
                    // until everything is in
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        reader.start();
        while (moved < data.length || t.pending() > 0) {
            if (t.pending() == 0) {
                moved += fillSome(t, data.length - moved);
            }
            t.flush();
        }
        reader.join(10_000);
        writer.join(10_000);
        assertArrayEquals(data, got.array());
        assertEquals(0, pool.inUse());
    }

    @Test
    void fill_sourceRefusesSplice_throwsUnsupported() throws Exception {
        TestLibC libc = LibraryLoader.create(TestLibC.class).load("c");
        int efd = libc.eventfd(1, Native.O_NONBLOCK | Native.O_CLOEXEC);
        assertTrue(efd >= 0);
        try {
            SpliceTransfer t = new SpliceTransfer(source, drain, efd, ChannelDescriptors.get().of(drain), pool);
            TransferUnsupportedException e = assertThrows(TransferUnsupportedException.class, () -> t.fill(100));
            assertTrue(e.getMessage().startsWith("splice(..) failed with error EINVAL (22)"), e.getMessage());
            assertEquals(0, t.pending());
            assertEquals(0, pool.inUse());
        } finally {
            Native.close(efd);
        }
    }

    @Test
    void fill_unknownDescriptor_throwsUnsupported() {
        SpliceTransfer t = new SpliceTransfer(source, drain, -1, ChannelDescriptors.get().of(drain), pool);
        assertThrows(TransferUnsupportedException.class, () -> t.fill(100));
        assertEquals(0, pool.inUse());
    }

    @Test
    void flush_drainRefusesSplice_copiesPipeOut() throws Exception {
        int out = ChannelDescriptors.get().of(drain);
        long flags = Native.fcntl(out, Native.F_GETFL, 0);
        // splice(2) refuses to write to a descriptor in append mode: EINVAL after bytes were taken
        assertEquals(0, Native.fcntl(out, Native.F_SETFL, (int) flags | OpenFlags.O_APPEND.intValue()));
        byte[] data = new byte[300 * 1024];
        new Random(4).nextBytes(data);
        client.write(ByteBuffer.wrap(data));
        Thread.sleep(50);  // let every byte reach the source, so one splice takes them all
        PipePool big = new PipePool(1 << 20, 4, 4);
        SpliceTransfer t = new SpliceTransfer(source, drain, ChannelDescriptors.get().of(source), out, big);
        long first = fillSome(t, data.length);
        assertTrue(first > Buffers.SIZE, "the pipe holds more than one buffer: " + first);
        while (t.pending() > 0) {
            t.flush();
        }
        assertTrue(t.copying(), "the refusal switched the direction to copying");
        pump(t, data.length - first);
        assertArrayEquals(data, Sockets.read(target, data.length));
        assertEquals(0, big.inUse());
        big.closeIdle();
    }

    @Test
    void fill_noPipeLeft_copiesThroughBuffer() throws Exception {
        PipePool none = new PipePool(64 * 1024, 0, 4);
        byte[] data = new byte[200 * 1024];
        new Random(5).nextBytes(data);
        client.write(ByteBuffer.wrap(data));
        ChannelDescriptors fds = ChannelDescriptors.get();
        SpliceTransfer t = new SpliceTransfer(source, drain, fds.of(source), fds.of(drain), none);
        pump(t, data.length);
        assertArrayEquals(data, Sockets.read(target, data.length));
        assertTrue(none.refused() > 0);
        assertEquals(0, none.open());
        assertFalse(t.copying(), "only the chunks without a pipe are copied");
    }

    @Test
    void release_pipeHoldingBytes_closesIt() throws Exception {
        client.write(ByteBuffer.wrap(new byte[1000]));
        SpliceTransfer t = transfer();
        long fds = Sockets.openFds();
        assertEquals(1000, fillSome(t, 1 << 20));
        assertEquals(1, pool.inUse());
        t.release();
        assertEquals(0, pool.inUse());
        assertEquals(0, pool.open(), "a pipe with bytes in it is never reused");
        assertEquals(fds, Sockets.openFds());
    }

    @Test
    void nativeFailure_namesErrno() {
        assertEquals("splice(..) failed with error EPIPE (32): Broken pipe",
                Errnos.exception("splice(..)", jnr.constants.platform.Errno.EPIPE.intValue()).getMessage());
    }

}
