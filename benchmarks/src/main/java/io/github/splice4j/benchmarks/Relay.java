package io.github.splice4j.benchmarks;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The topology every benchmark measures: {@code client <-> inner ==splice== outer <-> server},
 * all on loopback, TCP_NODELAY everywhere, client and server in blocking mode.
 */
final class Relay implements AutoCloseable {

    final SocketChannel client;
    final SocketChannel server;
    final SocketChannel inner;
    final SocketChannel outer;
    final SpliceBackend backend;
    SpliceHandle handle;

    Relay(String backendName) throws IOException {
        backend = Splice.using(backendName);
        if (!backend.isAvailable()) {
            throw new IllegalStateException("backend " + backendName + " is unavailable here: "
                    + backend.unavailabilityCause().map(Throwable::toString).orElse("?")
                    + " (pass -p backend=... with an available one)");
        }
        SocketChannel[] p1 = pair();
        SocketChannel[] p2 = pair();
        client = p1[0];
        inner = p1[1];
        outer = p2[0];
        server = p2[1];
    }

    /** Starts the bidirectional splice between the two middle channels. */
    SpliceHandle splice(SpliceOptions options) throws IOException {
        handle = backend.bidirectional(inner, outer, options);
        return handle;
    }

    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel c = SocketChannel.open(ss.getLocalAddress());
            SocketChannel a = ss.accept();
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            a.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return new SocketChannel[] {c, a};
        }
    }

    @Override
    public void close() throws IOException {
        if (handle != null) {
            handle.close();
        }
        client.close();
        server.close();
        inner.close();
        outer.close();
    }
}
