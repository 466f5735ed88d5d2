package io.github.splice4j.bsd;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * Test backend {@value #NAME}: the bsd backend, unchanged, on a SIMULATED OpenBSD kernel
 * ({@link SimulatedBsdKernel}), for testing on machines without OpenBSD. Registered through
 * src/test/resources/META-INF/services; ranks below every real backend, so it is used only when
 * asked for by name.
 */
public final class SimulatedOpenBsdProvider extends SpliceProvider {

    /** The backend's name. */
    public static final String NAME = "bsd-sim-openbsd";

    /** The simulated kernel all splices of this backend share, like one machine's kernel. */
    static final SimulatedBsdKernel KERNEL = new SimulatedBsdKernel(BsdKernel.Flavor.OPENBSD);

    private final BsdSpliceProvider backend = new BsdSpliceProvider(NAME, FALLBACK_PRIORITY - 1, () -> KERNEL);

    /** Used by {@link java.util.ServiceLoader}. */
    public SimulatedOpenBsdProvider() {
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public int priority() {
        return backend.priority();
    }

    @Override
    public Throwable probe() {
        return backend.probe();
    }

    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) throws IOException {
        return backend.newTransfer(source, drain, options);
    }
}
