package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pool on its own: reuse, destruction, the bound, sizes, configuration. */
class PipePoolTest {

    @BeforeAll
    static void available() {
        assertNull(new LinuxSpliceProvider().probe());
    }

    @Test
    void acquire_afterEmptyRelease_reusesPipe() {
        PipePool pool = new PipePool(64 * 1024, 4, 4);
        Pipe p = pool.acquire();
        pool.release(p);
        assertSame(p, pool.acquire());
        assertEquals(1, pool.created());
        assertEquals(1, pool.inUse());
        pool.release(p);
        assertEquals(0, pool.inUse());
        pool.closeIdle();
        assertEquals(0, pool.open());
    }

    @Test
    void release_holdingBytes_closesPipe() throws Exception {
        PipePool pool = new PipePool(64 * 1024, 4, 4);
        long fds = Sockets.openFds();
        Pipe p = pool.acquire();
        assertEquals(fds + 2, Sockets.openFds());
        p.held = 1;
        pool.release(p);
        assertEquals(fds, Sockets.openFds());
        assertEquals(0, pool.open());
        Pipe q = pool.acquire();
        assertNotSame(p, q);
        pool.release(q);
        pool.closeIdle();
    }

    @Test
    void acquire_pastMax_returnsNull() {
        PipePool pool = new PipePool(64 * 1024, 2, 4);
        Pipe a = pool.acquire();
        Pipe b = pool.acquire();
        assertNotNull(b);
        assertNull(pool.acquire());
        assertEquals(1, pool.refused());
        pool.release(a);
        assertSame(a, pool.acquire(), "a freed pipe serves the next chunk");
        pool.release(a);
        pool.release(b);
        pool.closeIdle();
        assertEquals(0, pool.open());
    }

    @Test
    void release_pastIdleLimit_closesPipe() {
        PipePool pool = new PipePool(64 * 1024, 8, 1);
        Pipe a = pool.acquire();
        Pipe b = pool.acquire();
        pool.release(a);
        pool.release(b);
        assertEquals(1, pool.open());
        pool.closeIdle();
    }

    @Test
    void capacity_isWhatTheKernelGranted() {
        PipePool pool = new PipePool(5000, 4, 4);  // the kernel rounds up to whole pages, a power of two
        Pipe p = pool.acquire();
        assertEquals(Native.fcntl(p.writeFd, Native.F_GETPIPE_SZ, 0), p.capacity);
        assertEquals(8192, p.capacity);
        pool.release(p);
        pool.closeIdle();
    }

    @Test
    void capacity_pastKernelMaximum_keepsDefault() {
        PipePool pool = new PipePool(Integer.MAX_VALUE, 4, 4);  // EINVAL or EPERM: keep the pipe as it is
        Pipe p = pool.acquire();
        assertNotNull(p);
        assertEquals(Native.fcntl(p.writeFd, Native.F_GETPIPE_SZ, 0), p.capacity);
        assertTrue(p.capacity >= 4096);
        pool.release(p);
        pool.closeIdle();
    }

    @Test
    void configuredSize_invalid_namesValue() {
        String old = System.setProperty(PipePool.SIZE_PROPERTY, "-1");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, PipePool::configuredSize);
            assertEquals("splice4j.linux.pipeSize must be an integer from 1 to 2147483647: -1", e.getMessage());
        } finally {
            restore(PipePool.SIZE_PROPERTY, old);
        }
    }

    @Test
    void maxPipes_negative() {
        String old = System.setProperty(PipePool.MAX_PROPERTY, "-2");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, PipePool::configuredMax);
            assertEquals("splice4j.linux.maxPipes must be an integer from 0 to 2147483647: -2", e.getMessage());
        } finally {
            restore(PipePool.MAX_PROPERTY, old);
        }
    }

    @Test
    void configuredMax_default_boundedByOpenFileLimit() {
        long limit = Native.openFileLimit();
        int max = PipePool.configuredMax();
        assertTrue(max <= PipePool.DEFAULT_MAX);
        if (limit > 0) {
            assertTrue(2L * max <= limit / 8, max + " pipes under a limit of " + limit);
        }
    }

    @Test
    void rlimit_layout() {
        Native.Rlimit r = new Native.Rlimit(Runtime.getSystemRuntime());
        int word = Runtime.getSystemRuntime().longSize();  // rlim_t is an unsigned long on Linux
        assertEquals(2 * word, Struct.size(r));
        assertEquals(0, r.current.offset());
        assertEquals(word, r.maximum.offset());
    }

    private static void restore(String key, String old) {
        if (old == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, old);
        }
    }
}
