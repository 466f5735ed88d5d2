package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.unix.ChannelDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.SocketChannel;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;

/**
 * The real kernel binding's probe and splice call, made for real on whatever OS runs the tests.
 * On OpenBSD and FreeBSD the probe must succeed; on any other OS the BSD option (SOL_SOCKET
 * 0xffff, SO_SPLICE 0x1023) does not exist, and the probe must say so by name (ENOPROTOOPT), the
 * answer a FreeBSD older than 14.2 gives. The provider itself never gets this far on such an OS.
 */
class NativeBsdKernelTest {

    private static final String OS = System.getProperty("os.name");
    private static final BsdKernel.Flavor FLAVOR = NativeBsdKernel.flavorOf(OS);
    /** The flag the tests lack on JDK 24+ when not given it: they run on the class path. */
    private static final String ADD_OPENS = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED";

    @Test
    void probe_saysWhetherThisKernelHasSoSplice() {
        NativeBsdKernel kernel = kernel(BsdKernel.Flavor.FREEBSD);
        Throwable cause = kernel.probe();
        if (ChannelDescriptors.get().problem() != null) {
            assertTrue(cause.getMessage().contains(ADD_OPENS), String.valueOf(cause));
        } else if (FLAVOR != null) {
            assertNull(cause, () -> "SO_SPLICE probe failed on " + OS + ": " + cause);
        } else {
            assertEquals("this FreeBSD kernel has no SO_SPLICE (FreeBSD has it since 14.2)", cause.getMessage());
            assertEquals(Errno.ENOPROTOOPT.name(), ((ErrnoException) cause.getCause()).errnoName());
        }
    }

    @Test
    void forThisMachine_elsewhere_namesTheOs() {
        if (FLAVOR != null) {
            assertEquals(FLAVOR, NativeBsdKernel.forThisMachine().flavor());
        } else {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    NativeBsdKernel::forThisMachine);
            assertEquals("bsd backend needs OpenBSD or FreeBSD 14.2+; this is " + OS, e.getMessage());
        }
    }

    @Test
    void flavorOf_osNames() {
        assertEquals(BsdKernel.Flavor.OPENBSD, NativeBsdKernel.flavorOf("OpenBSD"));
        assertEquals(BsdKernel.Flavor.FREEBSD, NativeBsdKernel.flavorOf("FreeBSD"));
        assertNull(NativeBsdKernel.flavorOf("Linux"));
        assertNull(NativeBsdKernel.flavorOf("NetBSD"));
        assertNull(NativeBsdKernel.flavorOf("Mac OS X"));
    }

    /** Unconnected sockets: a BSD refuses them (ENOTCONN), any other OS the option itself (ENOPROTOOPT). */
    @Test
    void spliceOn_refused_failsNamingTheErrno() throws Exception {
        NativeBsdKernel kernel = kernel(BsdKernel.Flavor.OPENBSD);
        try (SocketChannel a = SocketChannel.open(); SocketChannel b = SocketChannel.open()) {
            if (ChannelDescriptors.get().problem() != null) {
                java.io.IOException e = assertThrows(java.io.IOException.class, () -> kernel.fd(a));
                assertTrue(e.getMessage().contains(ADD_OPENS), e.getMessage());
                return;
            }
            ErrnoException e = assertThrows(ErrnoException.class, () -> kernel.spliceOn(kernel.fd(a), kernel.fd(b), 10, 0));
            Errno expected = FLAVOR != null ? Errno.ENOTCONN : Errno.ENOPROTOOPT;
            assertEquals(expected.name(), e.errnoName());
            assertTrue(e.getMessage().startsWith("setsockopt(SO_SPLICE) failed with error " + expected.name()), e.getMessage());
        }
    }

    /** This machine's kernel on a BSD; elsewhere the binding, taken to be {@code elsewhere} on LP64. */
    private static NativeBsdKernel kernel(BsdKernel.Flavor elsewhere) {
        return FLAVOR != null ? NativeBsdKernel.forThisMachine() : new NativeBsdKernel(elsewhere, SpliceLayout.LP64);
    }
}
