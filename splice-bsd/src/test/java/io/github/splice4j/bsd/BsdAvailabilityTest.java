package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The real bsd backend is available exactly on OpenBSD and FreeBSD: there this test fails if the
 * probe does (no skip); anywhere else the backend says it is unavailable and why, naming the OS,
 * refuses to splice, and is never chosen.
 */
class BsdAvailabilityTest {

    private static final String OS = System.getProperty("os.name");
    private static final boolean BSD = NativeBsdKernel.flavorOf(OS) != null;

    @Test
    void bsdBackend_availableExactlyOnOpenBsdAndFreeBsd() throws IOException {
        SpliceBackend bsd = Splice.using("bsd");
        if (BSD) {
            assertTrue(bsd.isAvailable(), () -> "bsd backend unavailable on " + OS + ": " + bsd.unavailabilityCause());
            return;
        }
        assertFalse(bsd.isAvailable());
        String cause = bsd.unavailabilityCause().orElseThrow().getMessage();
        assertEquals("bsd backend needs OpenBSD or FreeBSD 14.2+; this is " + OS, cause);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (SocketChannel a = SocketChannel.open(server.getLocalAddress()); SocketChannel b = server.accept()) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> bsd.unidirectional(a, b));
                assertTrue(e.getMessage().contains(cause), e.getMessage());
                assertTrue(a.isBlocking() && b.isBlocking(), "a refused splice changes nothing");
            }
        }
    }

    @Test
    void selection_choosesBsdOnlyWhereItWorks() {
        assertEquals(BSD ? "bsd" : "nio", Splice.backend());
    }
}
