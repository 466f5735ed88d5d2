package io.github.splice4j.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.testkit.Loopback;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The nio provider as discovery sees it, and its copy transfer on its own. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NioSpliceProviderTest {

    private Loopback net;

    @BeforeEach
    void open() throws IOException {
        net = new Loopback();
    }

    @AfterEach
    void close() {
        net.close();
    }

    @Test
    void discovery_onlyNioOnPath_choosesNio() {
        assertEquals("nio", Splice.backend());
        List<SpliceBackend> all = Splice.backends();
        assertEquals(1, all.size());
        assertTrue(all.get(0).isAvailable());
        assertEquals(SpliceProvider.FALLBACK_PRIORITY, all.get(0).priority());
    }

    @Test
    void bufferSize_belowMinimum() {
        System.setProperty(NioCopy.BUFFER_PROPERTY, "1024");
        try {
            assertEquals("splice4j.nio.bufferSize must be an integer from 4096 to 1073741824: 1024",
                    new NioSpliceProvider().probe().getMessage());
        } finally {
            System.clearProperty(NioCopy.BUFFER_PROPERTY);
        }
    }

    @Test
    void probe_alwaysAvailable() {
        assertNull(new NioSpliceProvider().probe());
    }

    @Test
    void newTransfer_isNioCopy() throws IOException {
        Loopback.Pair p = net.pair();
        assertInstanceOf(NioCopy.class,
                new NioSpliceProvider().newTransfer(p.client(), p.accepted(), SpliceOptions.defaults()));
    }

    @Test
    void fill_max_takesNoMoreThanAsked() throws IOException {
        Loopback.Pair in = net.pair();
        Loopback.Pair out = net.pair();
        write(in.client(), new byte[] {1, 2, 3, 4, 5});
        NioCopy copy = copy(in.accepted(), out.client());
        assertEquals(2, fillWhenReady(copy, 2));
        assertEquals(2, copy.pending());
        assertEquals(2, copy.flush());
        assertEquals(0, copy.pending());
        assertArrayEquals(new byte[] {1, 2}, read(out.accepted(), 2));
        assertEquals(3, fillWhenReady(copy, 100));
        copy.flush();
        assertArrayEquals(new byte[] {3, 4, 5}, read(out.accepted(), 3));
        copy.release();
    }

    @Test
    void fill_endOfStream_returnsMinusOne() throws IOException {
        Loopback.Pair in = net.pair();
        Loopback.Pair out = net.pair();
        in.client().shutdownOutput();
        NioCopy copy = copy(in.accepted(), out.client());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long r;
        while ((r = copy.fill(10)) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(-1, r);
        assertEquals(0, copy.pending());
        copy.release();
    }

    @Test
    void fill_nothingWaiting_returnsZeroAndHoldsNothing() throws IOException {
        Loopback.Pair in = net.pair();
        Loopback.Pair out = net.pair();
        NioCopy copy = copy(in.accepted(), out.client());
        assertEquals(0, copy.fill(10));
        assertEquals(0, copy.pending());
        copy.release();
    }

    @Test
    void flush_drainFull_keepsTheRestPending() throws IOException {
        Loopback.Pair in = net.pair();
        Loopback.Pair out = net.pair();
        NioCopy copy = copy(in.accepted(), out.client());
        byte[] chunk = new byte[64 * 1024];
        long written = 0;
        // nobody reads out.accepted(): sooner or later the drain takes less than is pending
        while (true) {
            write(in.client(), chunk);
            long taken = fillWhenReady(copy, chunk.length);
            long w = copy.flush();
            written += w;
            if (copy.pending() > 0) {
                assertEquals(taken - w, copy.pending());
                break;
            }
        }
        long pending = copy.pending();
        long drained = 0;
        ByteBuffer sink = ByteBuffer.allocate(1 << 20);
        while (drained < written + pending) {
            sink.clear();
            drained += out.accepted().read(sink);
            if (copy.pending() > 0) {
                copy.flush();
            }
        }
        assertEquals(0, copy.pending());
        copy.release();
    }

    private static NioCopy copy(SocketChannel source, SocketChannel drain) throws IOException {
        source.configureBlocking(false);
        drain.configureBlocking(false);
        return new NioCopy(source, drain);
    }

    /** Fills once bytes are there: a loopback write reaches the peer soon, not at once. */
    private static long fillWhenReady(NioCopy copy, long max) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long r;
        while ((r = copy.fill(max)) == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return r;
    }

    private static void write(SocketChannel c, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    private static byte[] read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            c.read(b);
        }
        return b.array();
    }
}
