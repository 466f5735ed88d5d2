package io.github.splice4j.proxy;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * A backend that is never available, on the test class path only, so the tests can see how the
 * proxy treats an unavailable backend on any OS: {@code --backend broken} is a usage error, and
 * the demo lists it with its cause. Its priority is below nio's so it never changes the default.
 */
public final class BrokenTestProvider extends SpliceProvider {

    /** The cause its probe reports. */
    static final String CAUSE = "broken on purpose for the tests";

    /** Used by {@link java.util.ServiceLoader}. */
    public BrokenTestProvider() {
    }

    @Override
    public String name() {
        return "broken";
    }

    @Override
    public int priority() {
        return FALLBACK_PRIORITY - 1;
    }

    @Override
    public Throwable probe() {
        return new UnsupportedOperationException(CAUSE);
    }

    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) throws IOException {
        throw new IOException("the broken test backend cannot splice");
    }
}
