package io.github.splice4j.spi;

import java.io.IOException;

/**
 * Thrown by {@link CopyTransfer#fill(long)} before any byte moved, when the kernel refuses this
 * pair of sockets (splice(2) answering EINVAL or ENOSYS), by
 * {@link SpliceProvider#newTransfer} when the backend knows at once that its kernel cannot take
 * them (SO_SPLICE takes TCP only), or by {@link KernelTransfer#ended()} when the kernel let go of
 * a splice before its end with bytes still in the source: the engine then moves this direction
 * (or the rest of it) with its copy path instead of failing.
 */
public final class TransferUnsupportedException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message names the call and errno, or why the kernel cannot take the sockets
     */
    public TransferUnsupportedException(String message) {
        super(message);
    }
}
