package io.github.splice4j.bsd;

/** Test backend {@value #NAME}: the bsd backend on a SIMULATED FreeBSD kernel. */
public final class SimulatedFreeBsdProvider extends SimulatedBsdProvider {

    /** The backend's name. */
    public static final String NAME = "bsd-sim-freebsd";

    /** The simulated kernel all splices of this backend share, like one machine's kernel. */
    static final SimulatedBsdKernel KERNEL = new SimulatedBsdKernel(BsdKernel.Flavor.FREEBSD);

    /** Used by {@link java.util.ServiceLoader}. */
    public SimulatedFreeBsdProvider() {
        super(NAME, KERNEL);
    }
}
