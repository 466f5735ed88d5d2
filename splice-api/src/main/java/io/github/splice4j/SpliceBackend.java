package io.github.splice4j;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * One backend found on the class or module path: its name, whether it works on this machine and,
 * if not, why; and the splice calls of {@link Splice}, bound to this backend. Obtained from
 * {@link Splice#backends()} and {@link Splice#using(String)}.
 */
public interface SpliceBackend {

    /**
     * The backend's name, the value {@code splice4j.backend} and {@link Splice#using(String)} take.
     *
     * @return {@code "linux"}, {@code "bsd"} or {@code "nio"} for the backends of this project
     */
    String name();

    /**
     * The rank of this backend when none is forced: the available backend of highest priority is
     * chosen, and the native backends rank above {@code nio}.
     *
     * @return the priority; higher wins
     */
    int priority();

    /**
     * Whether the backend's probe succeeded on this machine and JVM; computed once.
     *
     * @return true if splices on this backend can run here
     */
    boolean isAvailable();

    /**
     * Why the backend is unavailable.
     *
     * @return the cause recorded by the probe; empty if the backend is available
     */
    Optional<Throwable> unavailabilityCause();

    /**
     * Like {@link Splice#unidirectional(SocketChannel, SocketChannel, SpliceOptions)}, on this
     * backend.
     *
     * @param source the channel whose incoming bytes are moved; connected, open, not spliced
     * @param drain the channel the bytes are written to; connected, open, not spliced, not {@code source}
     * @param options how the splice runs, such as {@link SpliceOptions#defaults()}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    SpliceHandle unidirectional(SocketChannel source, SocketChannel drain, SpliceOptions options)
            throws IOException;

    /**
     * Like {@link Splice#unidirectional(SocketChannel, SocketChannel)}, on this backend.
     *
     * @param source the channel whose incoming bytes are moved; connected, open, not spliced
     * @param drain the channel the bytes are written to; connected, open, not spliced, not {@code source}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    default SpliceHandle unidirectional(SocketChannel source, SocketChannel drain) throws IOException {
        return unidirectional(source, drain, SpliceOptions.defaults());
    }

    /**
     * Like {@link Splice#bidirectional(SocketChannel, SocketChannel, SpliceOptions)}, on this
     * backend.
     *
     * @param a one channel; connected, open, not spliced
     * @param b the other channel; connected, open, not spliced, not {@code a}
     * @param options how the splice runs, such as {@link SpliceOptions#defaults()}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    SpliceHandle bidirectional(SocketChannel a, SocketChannel b, SpliceOptions options) throws IOException;

    /**
     * Like {@link Splice#bidirectional(SocketChannel, SocketChannel)}, on this backend.
     *
     * @param a one channel; connected, open, not spliced
     * @param b the other channel; connected, open, not spliced, not {@code a}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    default SpliceHandle bidirectional(SocketChannel a, SocketChannel b) throws IOException {
        return bidirectional(a, b, SpliceOptions.defaults());
    }
}
