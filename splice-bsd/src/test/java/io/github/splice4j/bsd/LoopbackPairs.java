package io.github.splice4j.bsd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

/** Connected TCP pairs on loopback for the bsd tests. */
final class LoopbackPairs {

    private LoopbackPairs() {
    }

    /** A connected pair {client, accepted}, both added to {@code opened} for the test to close. */
    static SocketChannel[] open(List<SocketChannel> opened) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            opened.add(client);
            opened.add(accepted);
            return new SocketChannel[] {client, accepted};
        }
    }
}
