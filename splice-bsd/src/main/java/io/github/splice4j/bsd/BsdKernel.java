package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import jnr.constants.platform.Errno;

/**
 * Every kernel call the bsd backend makes, and nothing else: the real kernel
 * ({@link NativeBsdKernel}, {@code setsockopt}/{@code getsockopt} through jnr-ffi) or, in the
 * tests, a simulated one with OpenBSD's or FreeBSD's semantics. Sockets are named by descriptor,
 * as the kernel names them. Calls that fail throw {@link ErrnoException}, whose errno name is
 * compared by name: the numbers differ between the BSDs and Linux.
 */
interface BsdKernel {

    /** Which kernel's SO_SPLICE this is; they differ as docs/bsd.md lists. */
    enum Flavor {
        /** OpenBSD (since 4.9): the origin of SO_SPLICE. */
        OPENBSD("OpenBSD"),
        /** FreeBSD (since 14.2 and 15.0): TCP only. */
        FREEBSD("FreeBSD");

        private final String osName;

        Flavor(String osName) {
            this.osName = osName;
        }

        /** The name the JVM reports in {@code os.name}. */
        String osName() {
            return osName;
        }

        /**
         * Whether {@code sp_idle} restarts on every transfer and ends the splice with ETIMEDOUT on
         * the source (OpenBSD). FreeBSD's is one deadline from the splice call and sets no error,
         * so there the engine keeps the idle timer.
         */
        boolean restartsIdle() {
            return this == OPENBSD;
        }

        /**
         * Whether reaching {@code sp_max} sets EFBIG on the source, which makes it readable
         * (OpenBSD). FreeBSD sets nothing; the source turns readable only if more bytes wait.
         */
        boolean signalsMax() {
            return this == OPENBSD;
        }
    }

    /** Which kernel this is. */
    Flavor flavor();

    /**
     * Checks by a real call that SO_SPLICE works here: getsockopt(SO_SPLICE) on a fresh socket.
     *
     * @return null if it does, else why not
     */
    Throwable probe();

    /** The descriptor the kernel knows {@code channel} by. */
    int fd(SocketChannel channel) throws IOException;

    /**
     * Splices {@code source} to {@code drain}: setsockopt(SO_SPLICE) with
     * {@code struct splice {drain, max, idle}}.
     *
     * @param max {@code sp_max}: bytes after which the kernel ends the splice; 0 for none
     * @param idleNanos {@code sp_idle}; 0 for none
     */
    void spliceOn(int source, int drain, long max, long idleNanos) throws IOException;

    /**
     * Ends the splice of {@code source} ({@code sp_fd} -1). If it is not spliced the kernel
     * answers EPROTO (OpenBSD) or ENOTCONN (FreeBSD), thrown like any other errno.
     */
    void unsplice(int source) throws IOException;

    /** getsockopt(SO_SPLICE): bytes the latest splice of {@code source} moved, also after it ended. */
    long splicedBytes(int source) throws IOException;

    /**
     * getsockopt(SO_ERROR), which also clears it.
     *
     * @return the pending error, or null if there is none
     */
    Errno soError(int fd) throws IOException;

    /**
     * For a kernel whose "splice ended" readiness the JDK's selector cannot see (a simulation):
     * arranges for {@code readable} to run, from any thread, whenever {@code source} turns
     * readable in the BSD sense (not while spliced).
     *
     * @return false (the real kernel): the selector sees readiness itself
     */
    default boolean reportsReadable(int source, Runnable readable) {
        return false;
    }

    /**
     * The backend is done with the splice of {@code source}, which has ended or whose socket the
     * application closed; nothing may stay registered for it before the channels are handed back.
     * The real kernel keeps nothing in user space (it dissolves the splice of a closed socket
     * itself), so this does nothing; a simulation that watches the sockets stops. Must not throw.
     */
    default void release(int source) {
    }
}
