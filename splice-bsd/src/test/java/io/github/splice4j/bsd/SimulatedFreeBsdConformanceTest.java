package io.github.splice4j.bsd;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.testkit.SpliceConformanceTest;

/**
 * The whole conformance suite on the bsd backend over a SIMULATED FreeBSD kernel
 * ({@link SimulatedBsdKernel}): the backend's code and the engine are real, the system calls are
 * simulated in Java on real loopback sockets. No FreeBSD machine is involved; on one,
 * {@link RealKernelConformanceTest} runs the same suite on the real kernel.
 */
class SimulatedFreeBsdConformanceTest extends SpliceConformanceTest {
    @Override
    protected SpliceBackend backend() {
        return Splice.using(SimulatedFreeBsdProvider.NAME);
    }
}
