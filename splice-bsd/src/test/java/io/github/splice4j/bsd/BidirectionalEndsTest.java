package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both directions of one splice on the SIMULATED OpenBSD kernel, each a {@link BsdTransfer}:
 * when one direction ends at its limit or idle timeout (EFBIG or ETIMEDOUT on its own source)
 * and the other ends at end of stream, each reports its own end, in whichever order the engine
 * asks. The other direction reads that socket's SO_ERROR as its drain, and OpenBSD's
 * {@code somove()} does not take those codes for a drain failure either.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BidirectionalEndsTest {

    private static final SimulatedBsdKernel KERNEL = SimulatedOpenBsdProvider.KERNEL;
    private static final SimulatedBsdKernel FREEBSD = SimulatedFreeBsdProvider.KERNEL;

    private final HeldErrors held = new HeldErrors();
    private final List<SocketChannel> opened = new ArrayList<>();
    private final List<BsdTransfer> started = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        started.forEach(BsdTransfer::release);
        for (SocketChannel c : opened) {
            c.close();
        }
    }

    @Test
    void reverseEndsAtItsLimit_forwardEndsEof_eachItsOwn() throws Exception {
        Relay r = new Relay(SpliceOptions.builder().maxBytes(100).build());
        r.server.write(ByteBuffer.wrap(new byte[100]));
        r.client.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
        r.client.shutdownOutput();
        r.awaitBothEnded();
        assertEquals(SpliceEnd.EOF, r.forward.ended(), "forward: its source reached end of stream");
        assertEquals(SpliceEnd.MAX_BYTES, r.reverse.ended(), "reverse: its own limit");
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, read(r.server, 5));
        assertArrayEquals(new byte[100], read(r.client, 100));
    }

    @Test
    void reverseIdlesOut_forwardEndsEof_eachItsOwn() throws Exception {
        Relay r = new Relay(SpliceOptions.builder().idleTimeout(Duration.ofMillis(300)).build());
        r.client.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
        r.client.shutdownOutput();
        r.awaitBothEnded();
        assertEquals(SpliceEnd.EOF, r.forward.ended(), "forward: its source reached end of stream");
        assertEquals(SpliceEnd.IDLE_TIMEOUT, r.reverse.ended(), "reverse: its own idle timeout");
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, read(r.server, 5));
    }

    /**
     * FreeBSD: the client's reset fails the forward direction at its source, and silently
     * dissolves the reverse one, whose drain it is; one SO_ERROR (ECONNRESET on a) tells both, and
     * whichever direction reads it first must not leave the other without it.
     */
    @Test
    void freeBsd_clientResets_bothDirectionsFail() throws Exception {
        Relay r = new Relay(FREEBSD, SpliceOptions.defaults());
        r.client.setOption(StandardSocketOptions.SO_LINGER, 0);
        r.client.close();
        assertTrue(r.forwardEnded.await(10, TimeUnit.SECONDS), "forward ended");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (FREEBSD.isSpliced(r.reverseSource)) {
            assertTrue(System.nanoTime() < deadline, "reverse dissolved by its drain's reset");
            Thread.sleep(10);
        }
        IOException forward = assertThrows(IOException.class, r.forward::ended);
        assertTrue(forward.getMessage().contains("ECONNRESET"), forward.getMessage());
        IOException reverse = assertThrows(IOException.class, r.reverse::polled);
        assertTrue(reverse.getMessage().contains("ECONNRESET"), reverse.getMessage());
    }

    /** client - a (spliced both ways with) b - server. */
    private final class Relay {
        final SocketChannel client;
        final SocketChannel server;
        final BsdTransfer forward;
        final BsdTransfer reverse;
        final CountDownLatch forwardEnded = new CountDownLatch(1);
        final CountDownLatch reverseEnded = new CountDownLatch(1);

        final int reverseSource;

        Relay(SpliceOptions options) throws IOException {
            this(KERNEL, options);
        }

        Relay(SimulatedBsdKernel kernel, SpliceOptions options) throws IOException {
            SocketChannel[] front = pair();
            SocketChannel[] back = pair();
            client = front[0];
            server = back[1];
            SocketChannel a = front[1];
            SocketChannel b = back[0];
            a.configureBlocking(false);
            b.configureBlocking(false);
            forward = BsdTransfer.start(kernel, held, a, b, options);
            started.add(forward);
            reverse = BsdTransfer.start(kernel, held, b, a, options);
            reverseSource = kernel.fd(b);
            started.add(reverse);
            assertTrue(forward.reportsReadable(forwardEnded::countDown));
            assertTrue(reverse.reportsReadable(reverseEnded::countDown));
        }

        void awaitBothEnded() throws InterruptedException {
            assertTrue(forwardEnded.await(10, TimeUnit.SECONDS), "forward ended");
            assertTrue(reverseEnded.await(10, TimeUnit.SECONDS), "reverse ended");
        }
    }

    private static byte[] read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                break;
            }
        }
        return b.array();
    }

    private SocketChannel[] pair() throws IOException {
        return LoopbackPairs.open(opened);
    }
}
