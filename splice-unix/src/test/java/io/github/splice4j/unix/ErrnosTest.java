package io.github.splice4j.unix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.spi.ErrnoException;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

/** Errno numbers as exceptions users read, and the EINTR retry. */
class ErrnosTest {

    @Test
    void exception_epipe_readsLikeNetty() {
        ErrnoException e = Errnos.exception("splice(..)", Errno.EPIPE.intValue());
        assertEquals("splice(..) failed with error EPIPE (" + Errno.EPIPE.intValue() + "): Broken pipe", e.getMessage());
        assertEquals("splice(..)", e.call());
        assertEquals("EPIPE", e.errnoName());
        assertEquals(Errno.EPIPE.intValue(), e.errno());
    }

    @Test
    void exception_linuxEpipe_isNumber32() {
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertEquals("splice(..) failed with error EPIPE (32): Broken pipe",
                    Errnos.exception("splice(..)", 32).getMessage());
        }
    }

    @Test
    void exception_unknownNumber_isEunknown() {
        assertEquals("read(..) failed with error EUNKNOWN (99999): unknown error",
                Errnos.exception("read(..)", 99999).getMessage());
    }

    @Test
    void exception_byName_keepsTheName() {
        ErrnoException e = Errnos.exception("setsockopt(SO_SPLICE)", Errno.EPROTO);
        assertTrue(Errnos.is(e, Errno.EPROTO));
        assertFalse(Errnos.is(e, Errno.ENOTCONN));
        assertEquals(Errno.EPROTO.intValue(), e.errno());
    }

    @Test
    void retry_eintr_callsAgain_otherErrnoReturnedNegated() {
        Runtime runtime = Runtime.getSystemRuntime();
        AtomicInteger calls = new AtomicInteger();
        long r = Errnos.retry(runtime, () -> {
            int n = calls.incrementAndGet();
            LastError.setLastError(runtime, n < 3 ? Errno.EINTR.intValue() : Errno.EAGAIN.intValue());
            return -1;
        });
        assertEquals(3, calls.get());
        assertEquals(-Errno.EAGAIN.intValue(), r);
    }

    @Test
    void retry_success_returnsTheResult() {
        assertEquals(7, Errnos.retry(Runtime.getSystemRuntime(), () -> 7));
    }
}
