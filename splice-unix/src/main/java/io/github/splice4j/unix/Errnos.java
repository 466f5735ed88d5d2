package io.github.splice4j.unix;

import io.github.splice4j.spi.ErrnoException;
import java.util.function.LongSupplier;
import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.Runtime;

/**
 * Native errors as {@link ErrnoException}, named by jnr-constants' {@link Errno} (the name is the
 * same on every OS, the number is this OS's), and the one place an interrupted call is retried.
 */
public final class Errnos {

    private static final int EINTR = Errno.EINTR.intValue();

    private Errnos() {
    }

    /**
     * The failure of {@code call} with the errno the OS gave, e.g.
     * {@code splice(..) failed with error EPIPE (32): Broken pipe}. A number this OS's table does
     * not know reads as {@code EUNKNOWN} with the text {@code unknown error}.
     *
     * @param call the call as the message names it, e.g. {@code "splice(..)"}
     * @param errno the errno's number as this OS gives it
     * @return the exception
     */
    public static ErrnoException exception(String call, int errno) {
        Errno e = Errno.valueOf(errno);
        boolean known = e.defined() && !e.name().startsWith("__");
        return new ErrnoException(call, known ? e.name() : "EUNKNOWN", errno, known ? e.description() : "unknown error");
    }

    /**
     * The failure of {@code call} with {@code errno} by name, with this OS's number for it: for
     * errors a backend reports itself (a pending SO_ERROR) and for simulated kernels, where the
     * name matters and a number may stand for two names (EAGAIN and EWOULDBLOCK on Linux).
     *
     * @param call the call as the message names it
     * @param errno the error
     * @return the exception
     */
    public static ErrnoException exception(String call, Errno errno) {
        return new ErrnoException(call, errno.name(), errno.intValue(), errno.description());
    }

    /**
     * Whether {@code e} is the error {@code errno}, compared by name as the numbers differ between OSes.
     *
     * @param e the exception
     * @param errno the error
     * @return true if {@code e} names {@code errno}
     */
    public static boolean is(ErrnoException e, Errno errno) {
        return errno.name().equals(e.errnoName());
    }

    /**
     * Runs {@code call}, again while it fails with EINTR: the one place interrupted calls are
     * retried. Not for close(2), which must never be retried (on Linux the descriptor is gone even
     * when it reports EINTR, and its number may already be another's).
     *
     * @param runtime the jnr-ffi runtime of the library {@code call} goes to, whose errno is read
     * @param call a C call that returns a non-negative result or -1 with errno set
     * @return the call's result if not negative, else {@code -errno} (at most -1)
     */
    public static long retry(Runtime runtime, LongSupplier call) {
        while (true) {
            long r = call.getAsLong();
            if (r >= 0) {
                return r;
            }
            int errno = LastError.getLastError(runtime);
            if (errno != EINTR) {
                return -Math.max(errno, 1);
            }
        }
    }
}
