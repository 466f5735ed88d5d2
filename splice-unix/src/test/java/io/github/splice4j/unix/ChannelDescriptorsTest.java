package io.github.splice4j.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Reading a socket channel's descriptor, and the rules per JDK release. Surefire runs the tests on
 * the class path, with --add-opens and --enable-native-access for ALL-UNNAMED on JDK 24+ (the
 * parent pom's profile); the module-path flags are checked by the linux backend's JvmFlagsTest
 * and by the module-path smoke run in .ci/run.
 */
class ChannelDescriptorsTest {

    /** Whether this JVM was given --add-opens java.base/sun.nio.ch (surefire's JDK 24+ profile does). */
    private static final boolean OPENED = SocketChannel.class.getModule().isOpen("sun.nio.ch",
            ChannelDescriptors.class.getModule());
    private static final Path PROC_FD = Path.of("/proc/self/fd");

    @Test
    void fd_openChannels_areTheirSockets() throws IOException {
        int fa;
        try (SocketChannel a = SocketChannel.open(); SocketChannel b = SocketChannel.open()) {
            fa = ChannelDescriptors.get().fd(a);
            int fb = ChannelDescriptors.get().fd(b);
            assertNotEquals(fa, fb);
            assertEquals(fa, ChannelDescriptors.get().of(a));
            if (Files.isDirectory(PROC_FD)) {  // Linux: the number names a socket of this process
                assertTrue(link(fa).startsWith("socket:["), link(fa));
                assertTrue(link(fb).startsWith("socket:["), link(fb));
            }
        }
        if (Files.isDirectory(PROC_FD)) {  // and it was the channel's: closing it released the number
            assertFalse(Files.exists(PROC_FD.resolve(Integer.toString(fa)), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && link(fa).startsWith("socket:["), "descriptor " + fa + " still open");
        }
    }

    @Test
    void fd_closedChannel_isEbadf() throws IOException {
        SocketChannel c = SocketChannel.open();
        c.close();
        IOException e = assertThrows(IOException.class, () -> ChannelDescriptors.get().fd(c));
        assertTrue(e.getMessage().startsWith("fd(..) failed with error EBADF: channel closed"), e.getMessage());
    }

    @Test
    void how_unsafeUnlessOpened() {
        assertEquals(OPENED ? "reflection (sun.nio.ch opened)" : "sun.misc.Unsafe", ChannelDescriptors.get().how());
    }

    @Test
    void jdk17_needsNoFlag() {
        assertNull(new ChannelDescriptors(17).problem());
        assertTrue(ChannelDescriptors.missingFlags(23, implClass()).isEmpty());
    }

    @Test
    void jdk24_withoutOpens_namesClassPathFlags() {
        ChannelDescriptors d = new ChannelDescriptors(24);
        if (OPENED) {
            assertTrue(ChannelDescriptors.missingFlags(24, implClass()).stream().noneMatch(f -> f.startsWith("--add-opens")));
        } else {
            String message = d.problem().getMessage();
            assertTrue(message.startsWith("reading socket descriptors and calling native code needs the JVM flag"), message);
            assertTrue(message.contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED"), message);
            assertTrue(message.contains(" on Java 24 "), message);
            assertEquals(-1, d.of(null));
        }
    }

    @Test
    void nativeAccessAllowed_beforeJdk24OrWithTheFlag() {
        // before 24 nothing restricts JNI; from 24 the surefire profile gives the flag
        assertTrue(ChannelDescriptors.nativeAccessAllowed());
    }

    private static String link(int fd) throws IOException {
        return Files.readSymbolicLink(PROC_FD.resolve(Integer.toString(fd))).toString();
    }

    private static Class<?> implClass() {
        try {
            return Class.forName("sun.nio.ch.SocketChannelImpl");
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
