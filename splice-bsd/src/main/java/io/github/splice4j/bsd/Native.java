package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.unix.Errnos;
import io.github.splice4j.unix.NativeLibraries;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;

/**
 * The C library calls of the bsd backend, loaded on first use through the shared loader, and the
 * BSD constants they take. No BSD machine runs this project's tests: the binding is checked by
 * loading and calling it on Linux (NativeTest), the constants against the BSD headers only.
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

    /**
     * Loaded when first used: by the probe on every OS where the JVM allows native access (on a
     * BSD to splice, elsewhere to show that the binding loads, also on the module path), and by
     * the splices themselves on a BSD.
     */
    private static final class Holder {
        static final LibC LIBC = NativeLibraries.loadLibC(LibC.class,
                m -> Native.class.getModule().addExports(Native.class.getPackageName(), m));
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
     * Runs {@code call}, retrying EINTR ({@link Errnos#retry}).
     *
     * @throws ErrnoException naming {@code name} and the errno if it fails otherwise
     */
    static int check(String name, Call call) throws ErrnoException {
        long r = Errnos.retry(Holder.RUNTIME, call::invoke);
        if (r < 0) {
            throw Errnos.exception(name, (int) -r);
        }
        return (int) r;
    }
}
