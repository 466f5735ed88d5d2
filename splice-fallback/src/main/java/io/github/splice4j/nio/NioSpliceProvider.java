package io.github.splice4j.nio;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.nio.channels.SocketChannel;

/**
 * Backend {@code nio}: has the engine copy every direction through direct buffers with
 * non-blocking reads and writes ({@link Transfer#copiedByEngine()}; buffers of
 * {@code splice4j.nio.bufferSize} bytes, default 256 KiB). Works wherever the JDK does; used when
 * no kernel-splicing backend is available.
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
        return null;  // plain JDK channels work everywhere
    }

    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
        return Transfer.copiedByEngine();
    }
}
