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

    /**
     * FreeBSD so_splice_xfer_data(): a FIN whose wakeup finds the drain full moves nothing, and
     * nothing to move with SBS_CANTRCVMORE ends the splice (EPIPE, set nowhere): the source turns
     * readable with SO_ERROR 0 and bytes still in it.
     */
    @Test
    void freeBsd_finWhileDrainFull_endsWithBytesStillInSource() throws Exception {
        Spliced s = new Spliced(FREEBSD);
        long early = FREEBSD.earlyEnds.get();
        long sent = fillUntilDrainFull(FREEBSD, s.source, s.sourceChannel, s.in);
        s.in.shutdownOutput();
        awaitEarlyEnd(FREEBSD, early);
        // the drain's reader may now read: a chunk the simulation still holds (docs/bsd.md,
        // "bytes in flight") stands for bytes already in the drain's buffer, and goes first
        s.out.configureBlocking(false);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!s.readable.await(5, TimeUnit.MILLISECONDS)) {
            assertTrue(System.nanoTime() < deadline, "the FIN ended the splice");
            s.out.read(ByteBuffer.allocate(64 * 1024));
        }
        assertNull(FREEBSD.soError(s.source));
        assertTrue(FREEBSD.splicedBytes(s.source) < sent, "not every byte moved");
        assertTrue(s.sourceChannel.read(ByteBuffer.allocate(1024)) > 0, "bytes still waiting in the source");
    }

    /**
     * The library on FreeBSD's early end (above): the bytes left in the source are copied by the
     * engine, every byte arrives once and in order, then EOF, and the count covers them all.
     */
    @Test
    void freeBsd_finWhileDrainFull_everyByteArrivesThenEof() throws Exception {
        SocketChannel[] a = pair();
        SocketChannel[] b = smallBufferPair();
        SpliceHandle h = Splice.using(SimulatedFreeBsdProvider.NAME).unidirectional(a[1], b[0]);
        long early = FREEBSD.earlyEnds.get();
        long sent = fillUntilDrainFull(FREEBSD, FREEBSD.fd(a[1]), a[1], a[0]);
        a[0].shutdownOutput();
        awaitEarlyEnd(FREEBSD, early);
        assertEquals(sent, readPattern(b[1]), "bytes read before end of stream, each in its place");
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD), r::toString);
        assertEquals(sent, r.bytes(Direction.FORWARD));
    }

    /**
     * Writes the pattern {@code i % 251} to {@code in} (made non-blocking), 16 KiB at a time and
     * each only once TCP sent the one before, until the splice of its peer {@code source} waits
     * on a full drain that nobody reads, with bytes waiting in the source and nothing left unsent
     * in {@code in}, ten checks in a row 20 ms apart. So a FIN sent next arrives at once behind
     * the last byte (TCP delivers a FIN in order, after the bytes before it), while the drain is
     * still full.
     *
     * @return the bytes written
     */
    private static long fillUntilDrainFull(SimulatedBsdKernel kernel, int source, SocketChannel sourceChannel,
            SocketChannel in) throws Exception {
        in.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(16 * 1024);
        long sent = 0;
        int full = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (full < 10) {
            assertTrue(System.nanoTime() < deadline, "the drain filled");
            if (LinuxTcpState.unsentBytes(in) != 0) {
                full = 0;
                Thread.sleep(1);
            } else if (kernel.waitsOnFullDrain(source) && waiting(sourceChannel) > 0) {
                full++;
                Thread.sleep(20);
            } else {
                full = 0;
                chunk.clear();
                for (int i = 0; i < chunk.capacity(); i++) {
                    chunk.put(i, (byte) ((sent + i) % 251));
                }
                sent += in.write(chunk);
            }
        }
        return sent;
    }

    /** Bytes waiting in {@code c}, read or not (FIONREAD); nothing is taken from it. */
    private static int waiting(SocketChannel c) throws IOException {
        return c.socket().getInputStream().available();
    }

    /** Until {@code kernel} ended a splice early since it had ended {@code before}. */
    private static void awaitEarlyEnd(SimulatedBsdKernel kernel, long before) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (kernel.earlyEnds.get() == before) {
            assertTrue(System.nanoTime() < deadline, "the FIN ended the kernel splice early");
            Thread.sleep(5);
        }
    }

    /** Reads {@code c} to end of stream, checking every byte against the pattern {@code i % 251}; returns the count. */
    private static long readPattern(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        long n = 0;
        int r;
        while ((r = c.read(b)) >= 0) {
            for (int i = 0; i < r; i++) {
                assertEquals((byte) ((n + i) % 251), b.get(i), "byte " + (n + i));
            }
            n += r;
            b.clear();
        }
        return n;
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
        /** The source's peer: what it writes is spliced. */
        final SocketChannel in;
        final SocketChannel sourceChannel;
        final SocketChannel out;
        final int source;
        final int drain;
        final CountDownLatch readable = new CountDownLatch(1);

        Spliced(SimulatedBsdKernel kernel) throws IOException {
            SocketChannel[] a = pair();
            SocketChannel[] b = smallBufferPair();
            a[1].configureBlocking(false);
            b[0].configureBlocking(false);
            in = a[0];
            sourceChannel = a[1];
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

    /**
     * A pair with fixed 64 KiB buffers (the accepted end's receive buffer, the client's send
     * buffer): once the client end, a drain, is full, it stays full while nobody reads.
     */
    private SocketChannel[] smallBufferPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open();
            client.setOption(StandardSocketOptions.SO_SNDBUF, 64 * 1024);
            client.connect(server.getLocalAddress());
            return keep(client, server.accept());
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
