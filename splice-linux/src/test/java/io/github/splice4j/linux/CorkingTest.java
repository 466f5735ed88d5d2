package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SPLICE_F_MORE regression (docs/spec.md, "linux"): a splice that corks its drain holds small
 * replies back for up to 200 ms. 1,000 round trips of 46-byte requests and replies through a
 * linux splice to an echo server; their median must stay under 150 ms (corking moves every one of
 * them, load only some). A correctness guard, not a speed test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CorkingTest {

    private static final int SIZE = 46;
    private static final long LIMIT_NANOS = TimeUnit.MILLISECONDS.toNanos(150);

    @Test
    void roundTrips_smallMessages_neverCorked() throws Exception {
        try (Sockets sockets = new Sockets()) {
            SocketChannel[] front = sockets.pair();   // client <-> relay
            SocketChannel[] back = sockets.pair();    // relay <-> echo server
            SocketChannel client = front[0];
            SocketChannel server = back[1];
            Thread echo = new Thread(() -> {
                try {
                    ByteBuffer b = ByteBuffer.allocate(SIZE);
                    while (true) {
                        b.clear();
                        while (b.hasRemaining()) {
                            if (server.read(b) < 0) {
                                return;
                            }
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            server.write(b);
                        }
                    }
                } catch (IOException e) {
                    // the test closed the sockets
                }
            }, "echo");
            echo.start();
            SpliceHandle h = Splice.using("linux").bidirectional(front[1], back[0]);
            byte[] request = new byte[SIZE];
            long[] took = new long[1000];
            for (int i = 0; i < took.length; i++) {
                request[0] = (byte) i;
                request[SIZE - 1] = (byte) (i >> 8);
                long t0 = System.nanoTime();
                client.write(ByteBuffer.wrap(request));
                byte[] reply = Sockets.read(client, SIZE);
                took[i] = System.nanoTime() - t0;
                assertArrayEquals(request, reply);
            }
            // a corked drain holds back every small reply for about 200 ms, which moves the median;
            // a loaded machine's scheduler stretches only some trips, which it must not fail on
            long[] sorted = took.clone();
            java.util.Arrays.sort(sorted);
            long median = sorted[sorted.length / 2];
            assertTrue(median < LIMIT_NANOS, () -> "median round trip " + TimeUnit.NANOSECONDS.toMillis(median)
                    + " ms (slowest " + TimeUnit.NANOSECONDS.toMillis(sorted[sorted.length - 1])
                    + " ms): the drain is being corked");
            h.close();
            echo.join(5000);
        }
    }
}
