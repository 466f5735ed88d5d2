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

    /** {@code "linux"}, {@code "bsd"} or {@code "nio"} for the backends of this project. */
    String name();

    /** Higher wins when no backend is forced; the native backends rank above {@code nio}. */
    int priority();

    /** Whether the backend's probe succeeded on this machine and JVM; computed once. */
    boolean isAvailable();

    /** Why the backend is unavailable; empty if it is available. */
    Optional<Throwable> unavailabilityCause();

    /**
     * Like {@link Splice#unidirectional(SocketChannel, SocketChannel, SpliceOptions)}, on this
     * backend.
     *
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    SpliceHandle unidirectional(SocketChannel source, SocketChannel drain, SpliceOptions options)
            throws IOException;

    /**
     * Like {@link Splice#unidirectional(SocketChannel, SocketChannel)}, on this backend.
     *
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    default SpliceHandle unidirectional(SocketChannel source, SocketChannel drain) throws IOException {
        return unidirectional(source, drain, SpliceOptions.defaults());
    }

    /**
     * Like {@link Splice#bidirectional(SocketChannel, SocketChannel, SpliceOptions)}, on this
     * backend.
     *
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    SpliceHandle bidirectional(SocketChannel a, SocketChannel b, SpliceOptions options) throws IOException;

    /**
     * Like {@link Splice#bidirectional(SocketChannel, SocketChannel)}, on this backend.
     *
     * @throws IllegalStateException if this backend is unavailable, with the cause
     */
    default SpliceHandle bidirectional(SocketChannel a, SocketChannel b) throws IOException {
        return bidirectional(a, b, SpliceOptions.defaults());
    }
}
