package io.github.splice4j.bsd;

/** Test backend {@value #NAME}: the bsd backend on a SIMULATED OpenBSD kernel. */
public final class SimulatedOpenBsdProvider extends SimulatedBsdProvider {

    /** The backend's name. */
    public static final String NAME = "bsd-sim-openbsd";

    /** The simulated kernel all splices of this backend share, like one machine's kernel. */
    static final SimulatedBsdKernel KERNEL = new SimulatedBsdKernel(BsdKernel.Flavor.OPENBSD);

    /** Used by {@link java.util.ServiceLoader}. */
    public SimulatedOpenBsdProvider() {
        super(NAME, KERNEL);
    }
}
