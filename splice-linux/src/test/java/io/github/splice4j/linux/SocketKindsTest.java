package io.github.splice4j.linux;

import io.github.splice4j.unix.ChannelDescriptors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sockets splice(2) treats apart: Unix-domain stream channels (JDK socket channels too, which it
 * takes), and a drain in append mode (which it refuses once bytes are in the pipe).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketKindsTest {

    @TempDir
    Path dir;

    @Test
    void splice_unixDomainChannels_movesBytes() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel source = server.accept();
            SocketChannel drain = SocketChannel.open(server.getLocalAddress());
            SocketChannel target = server.accept();
            assertTrue(ChannelDescriptors.get().of(source) > 2);
            SpliceHandle h = Splice.using("linux").unidirectional(source, drain);
            byte[] data = new byte[4 << 20];
            new Random(9).nextBytes(data);
            Thread writer = Sockets.sendThenShutdown(client, data);
            assertArrayEquals(data, Sockets.read(target, data.length));
            SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
            assertEquals(data.length, r.bytes(Direction.FORWARD));
            writer.join();
            for (SocketChannel c : new SocketChannel[] {client, source, drain, target}) {
                c.close();
            }
        }
    }

    @Test
    void splice_drainInAppendMode_carriesOnCopying() throws Exception {
        try (Sockets sockets = new Sockets()) {
            SocketChannel[] a = sockets.pair();
            SocketChannel[] b = sockets.pair();
            int out = ChannelDescriptors.get().of(b[0]);
            long flags = Native.fcntl(out, Native.F_GETFL, 0);
            // splice(2) refuses a drain in append mode (EINVAL) only after a chunk is in the pipe
            assertEquals(0, Native.fcntl(out, Native.F_SETFL,
                    (int) flags | jnr.constants.platform.OpenFlags.O_APPEND.intValue()));
            SpliceHandle h = Splice.using("linux").unidirectional(a[1], b[0]);
            byte[] data = new byte[8 << 20];
            new Random(10).nextBytes(data);
            Thread writer = Sockets.sendThenShutdown(a[0], data);
            assertArrayEquals(data, Sockets.read(b[1], data.length));
            SpliceResult r = h.completion().get(10, TimeUnit.SECONDS);
            assertEquals(SpliceEnd.EOF, r.end(Direction.FORWARD));
            assertEquals(data.length, r.bytes(Direction.FORWARD));
            writer.join();
        }
    }
}
