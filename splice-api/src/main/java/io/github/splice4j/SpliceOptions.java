package io.github.splice4j;

import java.time.Duration;
import java.util.Objects;

/**
 * How a splice runs: a byte limit and an idle timeout per direction, and whether end of stream is
 * forwarded. Immutable and validated when built; the same options may serve any number of
 * splices.
 *
 * <pre>{@code
 * SpliceOptions options = SpliceOptions.builder()
 *     .maxBytes(contentLength)
 *     .idleTimeout(Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 */
public final class SpliceOptions {

    private static final SpliceOptions DEFAULTS = new SpliceOptions(0, Duration.ZERO, Duration.ZERO, true);

    private final long maxBytes;
    private final Duration idleTimeout;
    private final Duration tunnelIdleTimeout;
    private final boolean shutdownOnEof;

    private SpliceOptions(long maxBytes, Duration idleTimeout, Duration tunnelIdleTimeout, boolean shutdownOnEof) {
        this.maxBytes = maxBytes;
        this.idleTimeout = idleTimeout;
        this.tunnelIdleTimeout = tunnelIdleTimeout;
        this.shutdownOnEof = shutdownOnEof;
    }

    /**
     * The default options: no byte limit, no idle timeout, end of stream forwarded.
     *
     * @return the default options
     */
    public static SpliceOptions defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from {@link #defaults()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The most bytes each direction delivers before it ends {@link SpliceEnd#MAX_BYTES}; 0 means
     * unlimited. Bytes beyond the limit stay unread in the source.
     *
     * @return the byte limit per direction, 0 for none
     */
    public long maxBytes() {
        return maxBytes;
    }

    /**
     * How long a direction may move no byte before it ends {@link SpliceEnd#IDLE_TIMEOUT};
     * {@link Duration#ZERO} means never. Each direction has its own timer.
     *
     * @return the idle timeout per direction, never null
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * How long a splice may move no byte in any direction before every direction still running
     * ends {@link SpliceEnd#IDLE_TIMEOUT} together (the tunnel form, HAProxy's
     * {@code timeout tunnel}); {@link Duration#ZERO} means never. A byte moved in either direction
     * keeps both alive. On a unidirectional splice it is the same as {@link #idleTimeout()}. It
     * may be combined with a per-direction {@link #idleTimeout()}; whichever fires first ends.
     *
     * @return the tunnel idle timeout, never null
     */
    public Duration tunnelIdleTimeout() {
        return tunnelIdleTimeout;
    }

    /**
     * Whether a direction whose source reaches end of stream shuts down the drain's output once
     * every byte was delivered, so the drain's peer sees end of stream too (half-close).
     *
     * @return true (the default) if end of stream is forwarded
     */
    public boolean shutdownOnEof() {
        return shutdownOnEof;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpliceOptions
                && ((SpliceOptions) o).maxBytes == maxBytes
                && ((SpliceOptions) o).idleTimeout.equals(idleTimeout)
                && ((SpliceOptions) o).tunnelIdleTimeout.equals(tunnelIdleTimeout)
                && ((SpliceOptions) o).shutdownOnEof == shutdownOnEof;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxBytes, idleTimeout, tunnelIdleTimeout, shutdownOnEof);
    }

    @Override
    public String toString() {
        return "SpliceOptions{maxBytes=" + (maxBytes == 0 ? "unlimited" : maxBytes)
                + ", idleTimeout=" + (idleTimeout.isZero() ? "none" : idleTimeout)
                + ", tunnelIdleTimeout=" + (tunnelIdleTimeout.isZero() ? "none" : tunnelIdleTimeout)
                + ", shutdownOnEof=" + shutdownOnEof + '}';
    }

    /**
     * Builds {@link SpliceOptions}. Values are checked together in {@link #build()}, which names
     * the offending value. Not thread-safe; each {@code build()} returns an independent,
     * immutable snapshot.
     */
    public static final class Builder {
        private long maxBytes;
        private Duration idleTimeout = Duration.ZERO;
        private Duration tunnelIdleTimeout = Duration.ZERO;
        private boolean shutdownOnEof = true;

        private Builder() {
        }

        /**
         * The byte limit per direction; 0 (the default) means unlimited. Must not be negative;
         * {@link Long#MAX_VALUE} is as good as unlimited; checked by {@link #build()}.
         *
         * @param maxBytes the limit in bytes
         * @return this builder
         */
        public Builder maxBytes(long maxBytes) {
            this.maxBytes = maxBytes;
            return this;
        }

        /**
         * The idle timeout per direction; {@link Duration#ZERO} (the default) means none. Must not
         * be negative, and must fit in a {@code long} of nanoseconds (about 292 years); checked by
         * {@link #build()}.
         *
         * @param idleTimeout the timeout; not null
         * @return this builder
         * @throws NullPointerException if {@code idleTimeout} is null
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = Objects.requireNonNull(idleTimeout, "idleTimeout");
            return this;
        }

        /**
         * The tunnel idle timeout (see {@link SpliceOptions#tunnelIdleTimeout()}): every
         * direction ends once none has moved a byte for this long; {@link Duration#ZERO} (the
         * default) means none. Same bounds as {@link #idleTimeout(Duration)}.
         *
         * @param tunnelIdleTimeout the timeout; not null
         * @return this builder
         * @throws NullPointerException if {@code tunnelIdleTimeout} is null
         */
        public Builder tunnelIdleTimeout(Duration tunnelIdleTimeout) {
            this.tunnelIdleTimeout = Objects.requireNonNull(tunnelIdleTimeout, "tunnelIdleTimeout");
            return this;
        }

        /**
         * Whether end of stream on a source shuts down the drain's output; default true.
         *
         * @param shutdownOnEof false to leave the drain's output open at end of stream
         * @return this builder
         */
        public Builder shutdownOnEof(boolean shutdownOnEof) {
            this.shutdownOnEof = shutdownOnEof;
            return this;
        }

        /**
         * The options.
         *
         * @return the options, immutable
         * @throws IllegalArgumentException naming the value, if {@code maxBytes} is negative or
         *     {@code idleTimeout} or {@code tunnelIdleTimeout} is negative or overflows a long of
         *     nanoseconds
         */
        public SpliceOptions build() {
            if (maxBytes < 0) {
                throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
            }
            checkTimeout("idleTimeout", idleTimeout);
            checkTimeout("tunnelIdleTimeout", tunnelIdleTimeout);
            if (maxBytes == 0 && idleTimeout.isZero() && tunnelIdleTimeout.isZero() && shutdownOnEof) {
                return DEFAULTS;
            }
            return new SpliceOptions(maxBytes, idleTimeout, tunnelIdleTimeout, shutdownOnEof);
        }

        private static void checkTimeout(String name, Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            try {
                d.toNanos();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(name + " is too large (over Long.MAX_VALUE nanoseconds): " + d, e);
            }
        }
    }
}
