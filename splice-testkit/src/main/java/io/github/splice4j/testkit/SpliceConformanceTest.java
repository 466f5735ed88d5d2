package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite of CONTRACT section 3. A backend's test module extends it and implements
 * {@link #backend()}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class SpliceConformanceTest {

    /** The backend under test. */
    protected abstract SpliceBackend backend();

    private final List<SocketChannel> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
    }

    /** Two connected channels: [0] the client end, [1] the accepted end. */
    protected SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            opened.add(client);
            opened.add(accepted);
            return new SocketChannel[] {client, accepted};
        }
    }

    @Test
    void smoke_bidirectional() throws Exception {
        SocketChannel[] p1 = pair();
        SocketChannel[] p2 = pair();
        // client p1[0] <-> p1[1] ==splice== p2[0] <-> p2[1] server
        SpliceHandle h = backend().bidirectional(p1[1], p2[0]);
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        Thread writer = new Thread(() -> {
            try {
                p1[0].write(ByteBuffer.wrap(data));
                p1[0].shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        writer.start();
        ByteBuffer got = ByteBuffer.allocate(data.length);
        while (got.hasRemaining() && p2[1].read(got) >= 0) { }
        assertArrayEquals(data, got.array());
        assertEquals(-1, p2[1].read(ByteBuffer.allocate(1)));
        p2[1].shutdownOutput();
        SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
        assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
        assertEquals(SpliceEnd.EOF, r.end(Direction.REVERSE));
        assertEquals(data.length, r.bytes(Direction.FORWARD));
        writer.join();
    }
}
