package io.github.splice4j.linux.child;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Run by JvmFlagsTest in a child JVM (its own package, so that it can run from the class path beside
 * the backend on the module path) with or without the JDK 24+ flags: splices 256 KiB
 * with the default backend and prints {@code backend=NAME bytes=N intact=BOOL} on stdout.
 */
public final class FlagsChild {

    private FlagsChild() {
    }

    /** Splices, prints the line, exits 0; any failure throws and exits non-zero. */
    public static void main(String[] args) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel relayIn = server.accept();
            SocketChannel relayOut = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            SpliceHandle h = Splice.unidirectional(relayIn, relayOut);
            byte[] data = new byte[256 * 1024];
            Arrays.fill(data, (byte) 7);
            client.write(ByteBuffer.wrap(data));
            client.shutdownOutput();
            ByteBuffer got = ByteBuffer.allocate(data.length);
            while (got.hasRemaining() && target.read(got) >= 0) {
                // until all bytes are in
            }
            SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
            System.out.println("backend=" + h.backend() + " bytes=" + r.bytes(Direction.FORWARD)
                    + " intact=" + Arrays.equals(data, got.array()));
            client.close();
            target.close();
        }
    }
}
