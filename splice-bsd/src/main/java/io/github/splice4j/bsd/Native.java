package io.github.splice4j.bsd;

import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;

/**
 * The C library calls of the bsd backend, loaded on first use (never on an OS the backend does
 * not run on), and the BSD constants they take.
 */
final class Native {

    /** {@code SOL_SOCKET} in OpenBSD's and FreeBSD's sys/socket.h (Linux uses 1). */
    static final int SOL_SOCKET = 0xffff;
    /** {@code SO_SPLICE}, the same on OpenBSD and FreeBSD; jnr-constants does not know it. */
    static final int SO_SPLICE = 0x1023;
    /** {@code SO_ERROR} on the BSDs (Linux uses 4). */
    static final int SO_ERROR = 0x1007;

    private Native() {
    }

    /**
     * The functions used, as declared in sys/socket.h. Public only because jnr-ffi implements it
     * in a class loader of its own, which cannot reach a package-private type; the package is not
     * exported, and its class is not.
     */
    public interface LibC {
        @SaveError
        int setsockopt(int s, int level, int optname, @In Pointer optval, int optlen);

        /** For off_t options: SO_SPLICE. */
        @SaveError
        int getsockopt(int s, int level, int optname, @Out LongLongByReference optval, @In @Out IntByReference optlen);

        /** For int options: SO_ERROR. */
        @SaveError
        int getsockopt(int s, int level, int optname, @Out IntByReference optval, @In @Out IntByReference optlen);
    }

    /** Loaded when first used: only the BSD code path gets here. */
    private static final class Holder {
        static final LibC LIBC = LibraryLoader.create(LibC.class).failImmediately()
                .load(Platform.getNativePlatform().getStandardCLibraryName());
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    static LibC libc() {
        return Holder.LIBC;
    }

    static Runtime runtime() {
        return Holder.RUNTIME;
    }

    /** A C call returning -1 and errno on failure. */
    @FunctionalInterface
    interface Call {
        int invoke();
    }

    /**
     * Runs {@code call}, again while it is interrupted by a signal (EINTR); the one place that
     * retries.
     *
     * @throws ErrnoException naming {@code name} and the errno if it fails otherwise
     */
    static int check(String name, Call call) throws ErrnoException {
        while (true) {
            int rc = call.invoke();
            if (rc != -1) {
                return rc;
            }
            int number = Holder.RUNTIME.getLastError();
            Errno errno = Errno.valueOf(number);
            if (errno != Errno.EINTR) {
                throw new ErrnoException(name, errno, number);
            }
        }
    }
}
