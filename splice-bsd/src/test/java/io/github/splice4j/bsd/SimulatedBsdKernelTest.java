package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SIMULATED kernels themselves, below the backend: that they show the OpenBSD and FreeBSD
 * behaviour docs/bsd.md lists, since the conformance tests on them are only as good as
 * that likeness.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulatedBsdKernelTest {

    private static final SimulatedBsdKernel OPENBSD = SimulatedOpenBsdProvider.KERNEL;
    private static final SimulatedBsdKernel FREEBSD = SimulatedFreeBsdProvider.KERNEL;

    private final List<SocketChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
    }

    @Test
    void openBsd_limit_setsEfbigAndTurnsReadable() throws Exception {
        Spliced s = splice(OPENBSD, 10, 0);
        s.in.write(ByteBuffer.wrap(new byte[10]));
        assertTrue(s.readable.await(5, TimeUnit.SECONDS), "readable once the limit is reached");
        assertEquals(10, OPENBSD.splicedBytes(s.source));
        assertEquals(Errno.EFBIG, OPENBSD.soError(s.source));
    }

    @Test
    void freeBsd_limit_setsNoErrorAndTurnsReadableOnlyWithMoreBytes() throws Exception {
        Spliced s = splice(FREEBSD, 10, 0);
        s.in.write(ByteBuffer.wrap(new byte[10]));
        await(() -> FREEBSD.splicedBytes(s.source), 10);
        assertFalse(s.readable.await(300, TimeUnit.MILLISECONDS), "no event at the limit");
        assertNull(FREEBSD.soError(s.source));
        s.in.write(ByteBuffer.wrap(new byte[1]));
        assertTrue(s.readable.await(5, TimeUnit.SECONDS), "readable once a byte waits");
        assertEquals(10, FREEBSD.splicedBytes(s.source));
    }

    @Test
    void openBsd_idle_restartsOnTransferAndSetsEtimedout() throws Exception {
        long start = System.nanoTime();
        Spliced s = splice(OPENBSD, 0, 500_000_000L);
        Thread.sleep(300);
        s.in.write(ByteBuffer.wrap(new byte[1]));
        assertTrue(s.readable.await(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= 800_000_000L, "restarted by the byte at 300 ms");
        assertEquals(Errno.ETIMEDOUT, OPENBSD.soError(s.source));
    }

    @Test
    void freeBsd_idle_isOneDeadlineFromTheSpliceAndSetsNoError() throws Exception {
        long start = System.nanoTime();
        Spliced s = splice(FREEBSD, 0, 500_000_000L);
        Thread.sleep(300);
        s.in.write(ByteBuffer.wrap(new byte[1]));
        await(() -> FREEBSD.splicedBytes(s.source), 1);
        Thread.sleep(400);  // 700 ms from the splice call: over, though a byte moved 400 ms ago
        s.in.write(ByteBuffer.wrap(new byte[1]));
        assertTrue(s.readable.await(5, TimeUnit.SECONDS), "unspliced, so the new byte makes it readable");
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        assertEquals(1, FREEBSD.splicedBytes(s.source));
        assertNull(FREEBSD.soError(s.source));
    }

    @Test
    void openBsd_unspliceWhenNotSpliced_isEproto() throws Exception {
        SocketChannel[] p = pair();
        ErrnoException e = assertThrows(ErrnoException.class, () -> OPENBSD.unsplice(OPENBSD.fd(p[1])));
        assertEquals(Errno.EPROTO.name(), e.errnoName());
    }

    @Test
    void freeBsd_unspliceWhenNotSpliced_isEnotconn() throws Exception {
        SocketChannel[] p = pair();
        ErrnoException e = assertThrows(ErrnoException.class, () -> FREEBSD.unsplice(FREEBSD.fd(p[1])));
        assertEquals(Errno.ENOTCONN.name(), e.errnoName());
    }

    @Test
    void spliceOn_sourceAlreadySpliced_isEbusy() throws Exception {
        Spliced s = splice(OPENBSD, 0, 0);
        SocketChannel[] other = pair();
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> OPENBSD.spliceOn(s.source, OPENBSD.fd(other[0]), 0, 0));
        assertEquals(Errno.EBUSY.name(), e.errnoName());
    }

    @Test
    void spliceOn_negativeLimit_isEinval() throws Exception {
        SocketChannel[] a = pair();
        SocketChannel[] b = pair();
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> FREEBSD.spliceOn(FREEBSD.fd(a[1]), FREEBSD.fd(b[0]), -1, 0));
        assertEquals(Errno.EINVAL.name(), e.errnoName());
    }

    @Test
    void spliced_bytesWaitingBehindAStalledDrain_notReadable() throws Exception {
        Spliced s = splice(OPENBSD, 0, 0);
        byte[] chunk = new byte[1 << 20];
        s.in.configureBlocking(false);
        long written = 0;
        long idleSince = System.nanoTime();
        while (System.nanoTime() - idleSince < 300_000_000L) {  // until the drain and source are full
            int n = s.in.write(ByteBuffer.wrap(chunk));
            written += n;
            if (n > 0) {
                idleSince = System.nanoTime();
            }
            Thread.sleep(10);
        }
        assertTrue(written > OPENBSD.splicedBytes(s.source), "bytes wait in the source");
        assertFalse(s.readable.await(300, TimeUnit.MILLISECONDS), "a spliced socket is not readable");
        OPENBSD.unsplice(s.source);
        assertNull(OPENBSD.soError(s.source));
    }

    @Test
    void endOfStream_endsWithoutErrorAndIsNotForwarded() throws Exception {
        Spliced s = splice(FREEBSD, 0, 0);
        s.in.write(ByteBuffer.wrap(new byte[5]));
        s.in.shutdownOutput();
        assertTrue(s.readable.await(5, TimeUnit.SECONDS));
        assertNull(FREEBSD.soError(s.source));
        assertEquals(5, FREEBSD.splicedBytes(s.source));
        s.out.configureBlocking(false);
        ByteBuffer got = ByteBuffer.allocate(10);
        Thread.sleep(100);
        assertEquals(5, s.out.read(got), "the bytes arrived, and no end of stream after them");
        assertEquals(0, s.out.read(got));
    }

    /** A splice from one pair's accepted end to another pair's client end. */
    private final class Spliced {
        final SocketChannel in;
        final SocketChannel out;
        final int source;
        final CountDownLatch readable = new CountDownLatch(1);

        Spliced(SimulatedBsdKernel kernel, long max, long idleNanos) throws IOException {
            SocketChannel[] a = pair();
            SocketChannel[] b = pair();
            a[1].configureBlocking(false);
            b[0].configureBlocking(false);
            in = a[0];
            out = b[1];
            source = kernel.fd(a[1]);
            kernel.spliceOn(source, kernel.fd(b[0]), max, idleNanos);
            assertTrue(kernel.reportsReadable(source, readable::countDown));
        }
    }

    private Spliced splice(SimulatedBsdKernel kernel, long max, long idleNanos) throws IOException {
        return new Spliced(kernel, max, idleNanos);
    }

    private static void await(LongSupplierIo value, long expected) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (value.get() != expected) {
            assertTrue(System.nanoTime() < deadline, "waited for " + expected + ", have " + value.get());
            Thread.sleep(5);
        }
    }

    @FunctionalInterface
    private interface LongSupplierIo {
        long get() throws IOException;
    }

    private SocketChannel[] pair() throws IOException {
        return LoopbackPairs.open(opened);
    }
}
