package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.spi.ErrnoException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checks of the splice call and the drain's and source's failures, on the SIMULATED kernels,
 * as OpenBSD's {@code sosplice()}/{@code somove()} and FreeBSD's {@code so_splice()} and drain
 * wakeup have them; and, through the whole library, that the bsd backend never hands the kernel
 * a channel it would refuse.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SimulatedKernelChecksTest {

    private static final SimulatedBsdKernel OPENBSD = SimulatedOpenBsdProvider.KERNEL;
    private static final SimulatedBsdKernel FREEBSD = SimulatedFreeBsdProvider.KERNEL;

    private final List<SocketChannel> opened = new ArrayList<>();
    private final List<Path> paths = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void spliceOn_unixDomainSource_isEprotonosupport(boolean openBsd) throws Exception {
        SimulatedBsdKernel k = openBsd ? OPENBSD : FREEBSD;
        SocketChannel[] unix = unixPair();
        SocketChannel[] tcp = pair();
        ErrnoException e = assertThrows(ErrnoException.class, () -> k.spliceOn(k.fd(unix[1]), k.fd(tcp[0]), 0, 0));
        assertEquals(Errno.EPROTONOSUPPORT.name(), e.errnoName());
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void spliceOn_resetSource_isEnotconnWithEconnresetPending(boolean openBsd) throws Exception {
        SimulatedBsdKernel k = openBsd ? OPENBSD : FREEBSD;
        SocketChannel[] a = pair();
        SocketChannel[] b = pair();
        reset(a[0]);
        awaitReset(a[1]);
        ErrnoException e = assertThrows(ErrnoException.class, () -> k.spliceOn(k.fd(a[1]), k.fd(b[0]), 0, 0));
        assertEquals(Errno.ENOTCONN.name(), e.errnoName());
        assertEquals(Errno.ECONNRESET, k.soError(k.fd(a[1])));
    }

    @Test
    void spliceOn_drainAlreadyADrain_isEbusy() throws Exception {
        SocketChannel[] a = pair();
        SocketChannel[] b = pair();
        SocketChannel[] c = pair();
        OPENBSD.spliceOn(OPENBSD.fd(a[1]), OPENBSD.fd(b[0]), 0, 0);
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> OPENBSD.spliceOn(OPENBSD.fd(c[1]), OPENBSD.fd(b[0]), 0, 0));
        assertEquals(Errno.EBUSY.name(), e.errnoName());
        OPENBSD.unsplice(OPENBSD.fd(a[1]));
    }

    @Test
    void openBsd_splicedToItsOwnPeer_endsEloop() throws Exception {
        SocketChannel[] p = pair();
        p[0].configureBlocking(false);
        p[1].configureBlocking(false);
        int source = OPENBSD.fd(p[0]);
        OPENBSD.spliceOn(source, OPENBSD.fd(p[1]), 0, 0);
        CountDownLatch readable = new CountDownLatch(1);
        assertTrue(OPENBSD.reportsReadable(source, readable::countDown));
        assertEquals(3, p[1].write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertTrue(readable.await(10, TimeUnit.SECONDS), "the loop ends the splice");
        assertEquals(Errno.ELOOP, OPENBSD.soError(source));
    }

    /** OpenBSD somove(): a drain that can send no more sets EPIPE on the source, without a write. */
    @Test
    void openBsd_drainReset_sourceSilent_epipeOnSourceEconnresetOnDrain() throws Exception {
        Spliced s = new Spliced(OPENBSD);
        reset(s.out);
        assertTrue(s.readable.await(10, TimeUnit.SECONDS), "woken by the drain's state");
        assertEquals(Errno.EPIPE, OPENBSD.soError(s.source));
        assertEquals(Errno.ECONNRESET, OPENBSD.soError(s.drain));
    }

    /**
     * FreeBSD: the drain's wakeup (sowwakeup_locked() -> splice_pull()) dissolves the splice
     * (so_splice_xfer_data()'s EPIPE, then so_unsplice()); the source keeps no error and stays
     * unreadable.
     */
    @Test
    void freeBsd_drainReset_sourceSilent_dissolvesWithErrorOnDrainOnly() throws Exception {
        Spliced s = new Spliced(FREEBSD);
        reset(s.out);
        long deadline = System.nanoTime() + 10_000_000_000L;
        Errno drainError = null;
        while (drainError == null && System.nanoTime() < deadline) {
            Thread.sleep(20);
            drainError = FREEBSD.soError(s.drain);
        }
        assertEquals(Errno.ECONNRESET, drainError);
        assertFalse(s.readable.await(300, TimeUnit.MILLISECONDS), "no error on the source, nothing to read");
        assertNull(FREEBSD.soError(s.source));
        assertEquals(Errno.ENOTCONN.name(), assertThrows(ErrnoException.class,
                () -> FREEBSD.unsplice(s.source)).errnoName(), "already dissolved");
    }

    /** OpenBSD somove(): the source's so_error is checked first, so bytes waiting stay in the source. */
    @Test
    void openBsd_sourceResetWhileBytesWait_endsEconnresetBytesStayInSource() throws Exception {
        SocketChannel[] a = pair();
        SocketChannel[] b = pair();
        a[1].configureBlocking(false);
        b[0].configureBlocking(false);
        int source = OPENBSD.fd(a[1]);
        OPENBSD.spliceOn(source, OPENBSD.fd(b[0]), 0, 0);
        CountDownLatch readable = new CountDownLatch(1);
        assertTrue(OPENBSD.reportsReadable(source, readable::countDown));
        a[0].configureBlocking(false);
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < 300_000_000L) {  // until the drain (never read) and the source are full
            if (a[0].write(ByteBuffer.wrap(new byte[64 * 1024])) > 0) {
                quietSince = System.nanoTime();
            }
            Thread.sleep(5);
        }
        reset(a[0]);
        assertTrue(readable.await(10, TimeUnit.SECONDS), "the reset ends the splice");
        assertEquals(Errno.ECONNRESET, OPENBSD.soError(source));
        assertTrue(a[1].read(ByteBuffer.allocate(1024)) > 0, "bytes still waiting in the source");
    }

    /** Both kernels refuse a UNIX-domain socket (EPROTONOSUPPORT): the backend copies it with nio instead. */
    @ParameterizedTest
    @ValueSource(strings = {SimulatedOpenBsdProvider.NAME, SimulatedFreeBsdProvider.NAME})
    void unixDomainToTcp_isCopiedNotSpliced(String backend) throws Exception {
        SocketChannel[] unix = unixPair();
        SocketChannel[] tcp = pair();
        SpliceHandle h = Splice.using(backend).bidirectional(unix[1], tcp[0]);
        unix[0].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertArrayEquals(new byte[] {1, 2, 3}, read(tcp[1], 3));
        tcp[1].write(ByteBuffer.wrap(new byte[] {4, 5}));
        assertArrayEquals(new byte[] {4, 5}, read(unix[0], 2));
        unix[0].shutdownOutput();
        tcp[1].shutdownOutput();
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD), r::toString);
        assertEquals(SpliceEnd.EOF, r.end(Direction.REVERSE), r::toString);
        assertEquals(3, r.bytes(Direction.FORWARD));
        assertEquals(2, r.bytes(Direction.REVERSE));
    }

    /** A splice from one pair's accepted end to another pair's client end, nothing flowing. */
    private final class Spliced {
        final SocketChannel out;
        final int source;
        final int drain;
        final CountDownLatch readable = new CountDownLatch(1);

        Spliced(SimulatedBsdKernel kernel) throws IOException {
            SocketChannel[] a = pair();
            SocketChannel[] b = pair();
            a[1].configureBlocking(false);
            b[0].configureBlocking(false);
            out = b[1];
            source = kernel.fd(a[1]);
            drain = kernel.fd(b[0]);
            kernel.spliceOn(source, drain, 0, 0);
            assertTrue(kernel.reportsReadable(source, readable::countDown));
        }
    }

    private static void reset(SocketChannel c) throws IOException {
        c.setOption(StandardSocketOptions.SO_LINGER, 0);
        c.close();
    }

    /** Until the reset has arrived at {@code c}. */
    private static void awaitReset(SocketChannel c) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!LinuxTcpState.isReset(c)) {
            assertTrue(System.nanoTime() < deadline, "reset arrived");
            Thread.sleep(5);
        }
    }

    private static byte[] read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // blocking reads until n bytes
        }
        return b.array();
    }

    private SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return keep(SocketChannel.open(server.getLocalAddress()), server.accept());
        }
    }

    private SocketChannel[] unixPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(null);
            paths.add(Path.of(server.getLocalAddress().toString()));
            return keep(SocketChannel.open(server.getLocalAddress()), server.accept());
        }
    }

    private SocketChannel[] keep(SocketChannel client, SocketChannel accepted) {
        opened.add(client);
        opened.add(accepted);
        return new SocketChannel[] {client, accepted};
    }
}
