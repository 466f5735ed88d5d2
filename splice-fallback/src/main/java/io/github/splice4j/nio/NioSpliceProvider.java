package io.github.splice4j.nio;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.nio.channels.SocketChannel;

/**
 * Backend {@code nio}: copies through direct buffers with non-blocking reads and writes. Works
 * wherever the JDK does; used when no kernel-splicing backend is available.
 *
 * <p>Buffers are {@value NioCopy#BUFFER_PROPERTY} bytes (default 256 KiB, the size the C
 * reference relay uses), taken from a per-thread pool only while bytes are in flight and reused,
 * so an idle splice holds no buffer and a busy one allocates nothing per chunk.
 */
public final class NioSpliceProvider extends SpliceProvider {

    /** Used by {@link java.util.ServiceLoader}. */
    public NioSpliceProvider() {
    }

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public int priority() {
        return FALLBACK_PRIORITY;
    }

    @Override
    public Throwable probe() {
        try {
            NioCopy.bufferSize();
        } catch (IllegalArgumentException e) {
            return e;
        }
        return null;  // plain JDK channels work everywhere
    }

    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
        return new NioCopy(source, drain);
    }
}
