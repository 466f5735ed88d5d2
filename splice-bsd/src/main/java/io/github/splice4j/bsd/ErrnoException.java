package io.github.splice4j.bsd;

import io.github.splice4j.spi.Errors;
import java.io.IOException;
import jnr.constants.platform.Errno;

/**
 * A kernel call that failed, with its errno by name ({@link Errno} is the same constant on every
 * OS, whatever its number there) and the number the kernel gave. Reads like
 * {@code setsockopt(SO_SPLICE)(..) failed with error EBUSY (16): Device busy}.
 */
final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    ErrnoException(String call, Errno errno, int number) {
        super(Errors.nativeFailure(call, name(errno), number, errno.description()).getMessage());
        this.errno = errno;
    }

    /** The error, by name; {@code Errno.__UNKNOWN_CONSTANT__} if this OS's table lacks it. */
    Errno errno() {
        return errno;
    }

    /** The errno's name for messages; unknown numbers read as EUNKNOWN. */
    static String name(Errno errno) {
        return errno.name().startsWith("__") ? "EUNKNOWN" : errno.name();
    }
}
