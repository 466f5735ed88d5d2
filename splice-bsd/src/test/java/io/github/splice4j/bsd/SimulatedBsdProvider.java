package io.github.splice4j.bsd;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * The bsd backend, unchanged, on a SIMULATED kernel ({@link SimulatedBsdKernel}), for testing on
 * machines without a BSD. Each subclass is registered through src/test/resources/META-INF/services
 * under its own name and ranks below every real backend, so it is used only when asked for by
 * name.
 */
abstract class SimulatedBsdProvider extends SpliceProvider {

    private final BsdSpliceProvider backend;

    SimulatedBsdProvider(String name, SimulatedBsdKernel kernel) {
        backend = new BsdSpliceProvider(name, FALLBACK_PRIORITY - 1, () -> kernel);
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
