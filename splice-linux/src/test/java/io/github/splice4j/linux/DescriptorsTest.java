package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** Reading a channel's descriptor, and the rules per JDK version. */
class DescriptorsTest {

    /** Whether this JVM was given --add-opens java.base/sun.nio.ch (surefire's JDK 24+ profile does). */
    private static final boolean OPENED = SocketChannel.class.getModule().isOpen("sun.nio.ch",
            Descriptors.class.getModule());

    @Test
    void descriptor_isTheChannels() throws IOException {
        try (SocketChannel ch = SocketChannel.open()) {
            int fd = Descriptors.get().of(ch);
            assertTrue(fd > 2, "descriptor " + fd);
            ch.configureBlocking(false);
            assertTrue((Native.fcntl(fd, Native.F_GETFL, 0) & Native.O_NONBLOCK) != 0);
            ch.configureBlocking(true);
            assertEquals(0, Native.fcntl(fd, Native.F_GETFL, 0) & Native.O_NONBLOCK);
        }
    }

    @Test
    void how_unsafeUnlessOpened() {
        assertEquals(OPENED ? "reflection (sun.nio.ch opened)" : "sun.misc.Unsafe", Descriptors.get().how());
    }

    @Test
    void jdk17_needsNoFlag() {
        assertNull(new Descriptors(17).problem());
        assertTrue(Descriptors.missingFlags(23, implClass()).isEmpty());
    }

    @Test
    void jdk24_withoutOpens_namesFlag() {
        Descriptors d = new Descriptors(24);
        if (OPENED) {
            assertTrue(Descriptors.missingFlags(24, implClass()).stream().noneMatch(f -> f.startsWith("--add-opens")));
        } else {
            assertTrue(d.problem().getMessage().contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED"),
                    d.problem().getMessage());
            assertTrue(d.problem().getMessage().contains("on Java 24"), d.problem().getMessage());
        }
    }

    private static Class<?> implClass() {
        try {
            return Class.forName("sun.nio.ch.SocketChannelImpl");
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
