package io.github.splice4j;

import io.github.splice4j.spi.SpliceProvider;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/** A provider with its availability, probed once. */
final class Backend implements SpliceBackend {

    private final SpliceProvider provider;
    private final String name;
    private volatile Throwable cause;
    private volatile boolean probed;

    Backend(SpliceProvider provider) {
        this.provider = provider;
        this.name = provider.name();
    }

    private Backend(String name, Throwable cause) {
        this.provider = null;
        this.name = name;
        this.cause = cause;
        this.probed = true;
    }

    /** A stand-in for a forced backend that is not on the path. */
    static Backend missing(String name, Throwable cause) {
        return new Backend(name, cause);
    }

    SpliceProvider provider() {
        return provider;
    }

    /** The provider's {@link SpliceProvider#resources()}; empty if it is unavailable or its report fails. */
    java.util.Map<String, Long> resources() {
        if (provider == null || !isAvailable()) {
            return java.util.Map.of();
        }
        try {
            return provider.resources();
        } catch (RuntimeException e) {  // a report is not worth failing a monitoring call for
            return java.util.Map.of();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int priority() {
        return provider == null ? Integer.MIN_VALUE : provider.priority();
    }

    @Override
    public boolean isAvailable() {
        return cause() == null;
    }

    @Override
    public Optional<Throwable> unavailabilityCause() {
        return Optional.ofNullable(cause());
    }

    private Throwable cause() {
        if (!probed) {
            synchronized (this) {
                if (!probed) {
                    try {
                        cause = provider.probe();
                    } catch (Throwable t) {  // a broken probe makes the backend unavailable, nothing more
                        cause = t;
                    }
                    probed = true;
                }
            }
        }
        return cause;
    }

    @Override
    public SpliceHandle unidirectional(SocketChannel source, SocketChannel drain, SpliceOptions options)
            throws IOException {
        return SpliceEngine.start(this, source, drain, false, options);
    }

    @Override
    public SpliceHandle bidirectional(SocketChannel a, SocketChannel b, SpliceOptions options) throws IOException {
        return SpliceEngine.start(this, a, b, true, options);
    }

    /** Throws if this backend cannot splice, naming it and keeping the cause. */
    void checkAvailable() {
        Throwable t = cause();
        if (t != null) {
            throw new IllegalStateException("splice4j backend '" + name + "' is unavailable: "
                    + Backends.describe(t), t);
        }
    }

    @Override
    public String toString() {
        Throwable t = cause();
        return name + (provider == null ? "" : " (priority " + provider.priority() + ")")
                + (t == null ? " available" : " unavailable: " + Backends.describe(t));
    }
}
