package io.github.splice4j.spi;

import io.github.splice4j.SpliceOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only backends, listed per scenario in
 * {@code src/test/resources/scenarios/<name>/META-INF/services}, so that the plain test class path
 * has no backend at all. None of them ever moves a byte: selection is decided before.
 */
final class FakeProviders {

    private FakeProviders() {
    }

    /** A provider with a fixed name, priority and probe result; counts its probes. */
    abstract static class Fake extends SpliceProvider {
        final AtomicInteger probes = new AtomicInteger();
        private final String name;
        private final int priority;
        private final Throwable cause;

        Fake(String name, int priority, Throwable cause) {
            this.name = name;
            this.priority = priority;
            this.cause = cause;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int priority() {
            return priority;
        }

        @Override
        public Throwable probe() {
            probes.incrementAndGet();
            return cause;
        }

        @Override
        public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
            throw new UnsupportedOperationException("a fake backend moves no bytes");
        }
    }

    /** A native backend whose probe fails, as on a kernel without splicing. */
    public static final class Native extends Fake {
        /** For ServiceLoader. */
        public Native() {
            super("fake-native", SpliceProvider.NATIVE_PRIORITY, new UnsupportedOperationException("no kernel splice here"));
        }
    }

    /** A native backend that works. */
    public static final class Kernel extends Fake {
        /** For ServiceLoader. */
        public Kernel() {
            super("fake-kernel", SpliceProvider.NATIVE_PRIORITY, null);
        }
    }

    /** Works, same priority as {@link Kernel}, a name that sorts first. */
    public static final class Aardvark extends Fake {
        /** For ServiceLoader. */
        public Aardvark() {
            super("aardvark", SpliceProvider.NATIVE_PRIORITY, null);
        }
    }

    /** The fallback. */
    public static final class Copy extends Fake {
        /** For ServiceLoader. */
        public Copy() {
            super("fake-copy", SpliceProvider.FALLBACK_PRIORITY, null);
        }
    }

    /** A second provider claiming the fallback's name. */
    public static final class CopyTwin extends Fake {
        /** For ServiceLoader. */
        public CopyTwin() {
            super("fake-copy", 7, null);
        }
    }

    /** A probe that throws instead of returning its cause. */
    public static final class BrokenProbe extends Fake {
        /** For ServiceLoader. */
        public BrokenProbe() {
            super("fake-broken", 50, null);
        }

        @Override
        public Throwable probe() {
            probes.incrementAndGet();
            throw new IllegalStateException("probe exploded");
        }
    }

    /** A provider that cannot even be constructed. */
    public static final class FailsToLoad extends Fake {
        /** For ServiceLoader; always throws. */
        public FailsToLoad() {
            super("never", 1000, null);
            throw new IllegalStateException("constructor failed");
        }
    }
}
