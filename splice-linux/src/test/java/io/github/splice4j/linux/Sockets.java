package io.github.splice4j.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Loopback sockets for tests, closed together. */
final class Sockets implements AutoCloseable {

    private final List<SocketChannel> opened = new ArrayList<>();

    /** Two connected channels: [0] the client end, [1] the accepted end; both blocking. */
    SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            opened.add(client);
            opened.add(accepted);
            return new SocketChannel[] {client, accepted};
        }
    }

    /** Reads exactly {@code n} bytes from a blocking channel, or fewer at end of stream. */
    static byte[] read(SocketChannel c, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // until n bytes or EOF
        }
        return b.flip().remaining() == n ? b.array() : java.util.Arrays.copyOf(b.array(), b.remaining());
    }

    /** Starts a thread that writes {@code data} to a blocking channel, then shuts down its output. */
    static Thread sendThenShutdown(SocketChannel c, byte[] data) {
        Thread t = new Thread(() -> {
            try {
                c.write(ByteBuffer.wrap(data));
                c.shutdownOutput();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        t.start();
        return t;
    }

    /** Open descriptors of this process. */
    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Waits up to 10 s for {@code condition}; false if it never held. */
    static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            Thread.sleep(2);
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        for (SocketChannel c : opened) {
            c.close();
        }
    }
}
