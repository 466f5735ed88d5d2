package io.github.splice4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A native backend whose kernel refuses the sockets, alone on the path (no nio backend): the
 * engine copies the directions itself.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EngineCopyTest {

    @BeforeEach
    void useRefusingBackendOnly() {
        use("refusing");
    }

    private static void use(String scenario) {
        URL dir = EngineCopyTest.class.getResource("/scenarios/" + scenario + "/");
        Backends.reset(new URLClassLoader(new URL[] {dir}, EngineCopyTest.class.getClassLoader()));
    }

    @Test
    void refusedAtStart_noNioBackend_copiedByTheEngine() throws Exception {
        use("refusing-at-start");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel a = server.accept();
            SocketChannel b = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            SpliceHandle h = Splice.bidirectional(a, b);
            assertEquals("fake-refusing-at-start", h.backend());
            client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer got = ByteBuffer.allocate(3);
            while (got.hasRemaining()) {
                target.read(got);
            }
            assertArrayEquals(new byte[] {1, 2, 3}, got.array());
            client.shutdownOutput();
            target.shutdownOutput();
            SpliceResult r = h.completion().get(20, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
            assertEquals(3, r.bytes(Direction.FORWARD));
            assertEquals(SpliceEnd.EOF, r.end(Direction.REVERSE));
            for (SocketChannel c : new SocketChannel[] {client, a, b, target}) {
                c.close();
            }
        }
    }

    @AfterEach
    void restore() {
        Backends.reset(Backends.class.getClassLoader());
    }

    @Test
    void refusedSockets_noNioBackend_copiedByTheEngine() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel a = server.accept();
            SocketChannel b = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            SpliceHandle h = Splice.bidirectional(a, b);
            assertEquals("fake-refusing", h.backend());
            byte[] data = new byte[3 << 20];
            new Random(3).nextBytes(data);
            Thread writer = new Thread(() -> {
                try {
                    ByteBuffer buf = ByteBuffer.wrap(data);
                    while (buf.hasRemaining()) {
                        client.write(buf);
                    }
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            ByteBuffer got = ByteBuffer.allocate(data.length);
            while (got.hasRemaining()) {
                target.read(got);
            }
            writer.join();
            assertArrayEquals(data, got.array());
            target.write(ByteBuffer.wrap(new byte[] {7, 8}));
            ByteBuffer back = ByteBuffer.allocate(2);
            while (back.hasRemaining()) {
                client.read(back);
            }
            assertArrayEquals(new byte[] {7, 8}, back.array());
            target.shutdownOutput();
            SpliceResult r = h.completion().get(20, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
            assertEquals(data.length, r.bytes(Direction.FORWARD));
            assertEquals(SpliceEnd.EOF, r.end(Direction.REVERSE));
            assertEquals(2, r.bytes(Direction.REVERSE));
            for (SocketChannel c : new SocketChannel[] {client, a, b, target}) {
                c.close();
            }
        }
    }

    /**
     * A kernel that lets go early (FreeBSD at a FIN with the drain full): the engine's copy
     * carries on from the kernel's count, under the same limit, and leaves the bytes past it in
     * the source.
     */
    @Test
    void kernelLetsGoEarly_copyCarriesOnFromItsCountUnderTheLimit() throws Exception {
        use("letting-go-early");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel a = server.accept();
            SocketChannel b = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            byte[] data = new byte[20];
            new Random(5).nextBytes(data);
            client.write(ByteBuffer.wrap(data));
            SpliceHandle h = Splice.unidirectional(a, b, SpliceOptions.builder().maxBytes(10).build());
            SpliceResult r = h.completion().get(20, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.MAX_BYTES, r.end(Direction.FORWARD), r::toString);
            assertEquals(10, r.bytes(Direction.FORWARD));
            long copied = 10 - FakeProviders.LettingGoEarly.CLAIMED;
            ByteBuffer got = ByteBuffer.allocate((int) copied);
            while (got.hasRemaining()) {
                target.read(got);
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 0, (int) copied), got.array());
            ByteBuffer rest = ByteBuffer.allocate(data.length - (int) copied);
            while (rest.hasRemaining()) {
                a.read(rest);
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(data, (int) copied, data.length), rest.array());
            for (SocketChannel c : new SocketChannel[] {client, a, b, target}) {
                c.close();
            }
        }
    }

    @Test
    void refusedSockets_recordFallbackEvent() throws Exception {
        java.util.concurrent.BlockingQueue<jdk.jfr.consumer.RecordedEvent> events = new java.util.concurrent.LinkedBlockingQueue<>();
        try (jdk.jfr.consumer.RecordingStream rs = new jdk.jfr.consumer.RecordingStream();
                ServerSocketChannel server = ServerSocketChannel.open()) {
            rs.enable("io.github.splice4j.Fallback");
            rs.onEvent("io.github.splice4j.Fallback", events::add);
            rs.startAsync();
            server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel a = server.accept();
            SocketChannel b = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            SpliceHandle h = Splice.unidirectional(a, b);
            client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer got = ByteBuffer.allocate(3);
            while (got.hasRemaining()) {
                target.read(got);
            }
            h.close();
            jdk.jfr.consumer.RecordedEvent e = events.poll(40, TimeUnit.SECONDS);
            if (e == null) {
                throw new AssertionError("no io.github.splice4j.Fallback event");
            }
            assertEquals("fake-refusing", e.getString("backend"));
            assertEquals(String.valueOf(a.socket().getRemoteSocketAddress()), e.getString("source"));
            client.close();
            target.close();
        }
    }
}
