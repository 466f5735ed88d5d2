package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.unix.ChannelDescriptors;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The descriptor the shared reader gives for a channel is the one the kernel knows it by, as
 * this backend's fcntl(2) sees it; the reader's JDK rules are tested in splice-unix.
 */
class DescriptorsTest {

    @Test
    void descriptor_isTheChannels() throws IOException {
        try (SocketChannel ch = SocketChannel.open()) {
            int fd = ChannelDescriptors.get().of(ch);
            assertTrue(fd > 2, "descriptor " + fd);
            ch.configureBlocking(false);
            assertTrue((Native.fcntl(fd, Native.F_GETFL, 0) & Native.O_NONBLOCK) != 0);
            ch.configureBlocking(true);
            assertEquals(0, Native.fcntl(fd, Native.F_GETFL, 0) & Native.O_NONBLOCK);
        }
    }
}
