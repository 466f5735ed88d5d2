package io.github.splice4j.spi;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A direction whose bytes pass through an intermediate the backend owns: a direct buffer (nio)
 * or a pipe (linux). The engine calls {@link #fill(long)} only when nothing is pending and
 * {@link #flush()} while something is, so a transfer holds at most one fill's worth of bytes.
 * Resources for the intermediate should be taken in {@code fill} and given back when a flush
 * empties it, so an idle direction holds none.
 */
public abstract non-sealed class CopyTransfer extends Transfer {

    /** For subclasses: a backend's byte mover. */
    protected CopyTransfer() {
    }

    /**
     * Reads from the source into the intermediate, without blocking, at most {@code max} bytes
     * (never more: the byte after the limit must stay in the source).
     *
     * @param max the most bytes to take, at least 1
     * @return the bytes taken, 0 if the source has none now, -1 at end of stream
     * @throws TransferUnsupportedException if this pair of channels cannot use this backend;
     *     allowed only before the first byte was taken, and the engine then continues with the
     *     nio copy for this direction
     * @throws IOException if reading fails
     */
    public abstract long fill(long max) throws IOException;

    /**
     * Writes pending bytes to the drain without blocking.
     *
     * @return the bytes written, 0 if the drain accepts none now
     * @throws IOException if writing fails
     */
    public abstract long flush() throws IOException;

    /**
     * Bytes taken from the source and not yet written to the drain.
     *
     * @return the pending bytes, 0 if none
     */
    public abstract long pending();

    /**
     * Removes the pending bytes and returns them, in order, so that a direction ending while its
     * drain takes nothing (an idle timeout) hands them to the application instead of dropping
     * them. Afterwards {@link #pending()} is 0. Called at most once, right before the end.
     *
     * @return a new buffer holding exactly the {@link #pending()} bytes between position 0 and
     *     its limit
     * @throws IOException if the bytes cannot be read back (from a pipe, say)
     */
    public abstract ByteBuffer takePending() throws IOException;
}
