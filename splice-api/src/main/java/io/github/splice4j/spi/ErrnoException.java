package io.github.splice4j.spi;

import java.io.IOException;

/**
 * A system call that failed, with the error it failed with: the call, the errno's number as this
 * OS gives it, and its name, which is the same on every OS (EPIPE is 32 on Linux and on the BSDs,
 * EAGAIN is 11 on Linux and 35 on the BSDs). Backends throw it for every native failure, and the
 * engine reports a direction's error with it. Its message reads
 * {@code splice(..) failed with error EPIPE (32): Broken pipe}.
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The call, as named in the message. */
    private final String call;
    /** The errno's number on this OS. */
    private final int errno;
    /** The errno's symbolic name. */
    private final String errnoName;

    /**
     * Creates the exception of a failed call.
     *
     * @param call the call as it is named in the message, e.g. {@code "splice(..)"}
     * @param errnoName the errno's symbolic name, e.g. {@code "EPIPE"}; {@code "EUNKNOWN"} if not known
     * @param errno the errno's number on this OS
     * @param text the error's description, as strerror(3) gives it
     */
    public ErrnoException(String call, String errnoName, int errno, String text) {
        super(call + " failed with error " + errnoName + " (" + errno + "): " + text);
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    /**
     * The call that failed, as named in the message.
     *
     * @return the call, e.g. {@code "splice(..)"}
     */
    public String call() {
        return call;
    }

    /**
     * The errno's number on this OS.
     *
     * @return the number, e.g. 32 for EPIPE on Linux
     */
    public int errno() {
        return errno;
    }

    /**
     * The errno's symbolic name, the same on every OS.
     *
     * @return the name, e.g. {@code "EPIPE"}; {@code "EUNKNOWN"} if not known
     */
    public String errnoName() {
        return errnoName;
    }
}
