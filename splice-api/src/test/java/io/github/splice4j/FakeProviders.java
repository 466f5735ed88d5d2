package io.github.splice4j;

import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.KernelTransfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only backends, listed per scenario in
 * {@code src/test/resources/scenarios/<name>/META-INF/services}, so that the plain test class path
 * has no backend at all. None of them moves a byte itself: selection is decided before, and
 * {@link Refusing} leaves every byte to the engine's copy.
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
        public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options)
                throws java.io.IOException {
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

    /**
     * A native backend whose kernel refuses every pair of sockets, as splice(2) refuses some
     * (EINVAL before any byte moved): the engine must copy them itself, with no other backend on
     * the path.
     */
    /** A native backend whose kernel takes no socket, which it knows before any byte moves (as SO_SPLICE and UNIX-domain sockets). */
    public static final class RefusingAtStart extends Fake {
        /** For ServiceLoader. */
        public RefusingAtStart() {
            super("fake-refusing-at-start", SpliceProvider.NATIVE_PRIORITY, null);
        }

        @Override
        public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options)
                throws TransferUnsupportedException {
            throw new TransferUnsupportedException("setsockopt(SO_SPLICE) takes TCP sockets only");
        }
    }

    public static final class Refusing extends Fake {
        /** For ServiceLoader. */
        public Refusing() {
            super("fake-refusing", SpliceProvider.NATIVE_PRIORITY, null);
        }

        @Override
        public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
            return new CopyTransfer() {
                @Override
                public long fill(long max) throws java.io.IOException {
                    throw new TransferUnsupportedException("splice(..) failed with error EINVAL (22): Invalid argument");
                }

                @Override
                public long flush() {
                    throw new IllegalStateException("nothing was taken");
                }

                @Override
                public long pending() {
                    return 0;
                }

                @Override
                public java.nio.ByteBuffer takePending() {
                    return java.nio.ByteBuffer.allocate(0);
                }

                @Override
                public void release() {
                }
            };
        }
    }

    /**
     * A kernel backend whose kernel lets go of every splice at once, as FreeBSD does at a FIN
     * that finds the drain full, with bytes still in the source; it claims to have moved
     * {@link #CLAIMED} bytes first. The engine must carry the direction on with its copy, from
     * that count and under the same limit.
     */
    public static final class LettingGoEarly extends Fake {
        /** The bytes the fake kernel says it moved before letting go (it moved none). */
        static final long CLAIMED = 5;

        /** For ServiceLoader. */
        public LettingGoEarly() {
            super("fake-letting-go-early", SpliceProvider.NATIVE_PRIORITY, null);
        }

        @Override
        public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
            return new KernelTransfer() {
                @Override
                public long transferred() {
                    return CLAIMED;
                }

                @Override
                public SpliceEnd ended() throws TransferUnsupportedException {
                    throw new TransferUnsupportedException("the kernel ended the splice early");
                }

                @Override
                public void stop() {
                }

                @Override
                public boolean kernelIdle() {
                    return false;
                }

                @Override
                public boolean reportsReadable(Runnable readable) {
                    readable.run();
                    return true;
                }

                @Override
                public void release() {
                }
            };
        }
    }
}
