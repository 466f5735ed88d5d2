package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Reading a JDK socket channel's descriptor: works without flags on JDK 17 to 23 (and with
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} on any JDK); on JDK 24 and later without the
 * flag it is unavailable and says which flag is missing.
 */
class ChannelFdsTest {

    @Test
    void fd_openChannels_areTheirSockets() throws IOException {
        Throwable why = ChannelFds.unavailability();
        if (why != null) {
            assertTrue(Runtime.version().feature() >= 24, "needs no flag before JDK 24: " + why);
            assertTrue(why.getMessage().contains(ChannelFds.ADD_OPENS), why.getMessage());
            return;
        }
        try (SocketChannel a = SocketChannel.open(); SocketChannel b = SocketChannel.open()) {
            int fa = ChannelFds.fd(a);
            int fb = ChannelFds.fd(b);
            assertNotEquals(fa, fb);
            Path procFd = Path.of("/proc/self/fd");
            if (Files.isDirectory(procFd)) {  // Linux: the number names a socket of this process
                assertTrue(Files.readSymbolicLink(procFd.resolve(Integer.toString(fa))).toString().startsWith("socket:["));
                assertTrue(Files.readSymbolicLink(procFd.resolve(Integer.toString(fb))).toString().startsWith("socket:["));
            }
        }
    }

    @Test
    void fd_closedChannel_fails() throws IOException {
        SocketChannel c = SocketChannel.open();
        c.close();
        IOException e = assertThrows(IOException.class, () -> ChannelFds.fd(c));
        assertTrue(e.getMessage().contains(ChannelFds.unavailability() == null ? "EBADF" : ChannelFds.ADD_OPENS),
                e.getMessage());
    }
}
