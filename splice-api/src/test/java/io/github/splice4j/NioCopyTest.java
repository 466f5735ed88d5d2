package io.github.splice4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine's copy transfer on its own. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NioCopyTest {

    private final Loopback net = new Loopback();

    @AfterEach
    void close() throws IOException {
        net.close();
    }

    @Test
    void fill_max_takesNoMoreThanAsked() throws IOException {
        Pair in = net.pair();
        Pair out = net.pair();
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
        Pair in = net.pair();
        Pair out = net.pair();
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
        Pair in = net.pair();
        Pair out = net.pair();
        NioCopy copy = copy(in.accepted(), out.client());
        assertEquals(0, copy.fill(10));
        assertEquals(0, copy.pending());
        copy.release();
    }

    @Test
    void flush_drainFull_keepsTheRestPending() throws IOException {
        Pair in = net.pair();
        Pair out = net.pair();
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
        return new NioCopy(source, drain, EngineProperties.DEFAULT_NIO_BUFFER_SIZE);
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

    /** Connected loopback pairs, all closed at the end of a test. */
    private static final class Loopback {
        private final List<SocketChannel> opened = new ArrayList<>();

        Pair pair() throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                opened.add(client);
                SocketChannel accepted = server.accept();
                opened.add(accepted);
                return new Pair(client, accepted);
            }
        }

        void close() throws IOException {
            for (SocketChannel c : opened) {
                c.close();
            }
        }
    }

    private record Pair(SocketChannel client, SocketChannel accepted) {
    }
}
