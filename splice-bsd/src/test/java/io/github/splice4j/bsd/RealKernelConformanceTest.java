package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.testkit.SpliceConformanceTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The whole conformance suite on the REAL bsd backend and kernel. It runs only on OpenBSD and
 * FreeBSD: elsewhere there is no such kernel, and JUnit reports the class disabled, naming the OS
 * it ran on (the one skip in this module). On OpenBSD or FreeBSD it fails, not skips, if the
 * backend is unavailable. There, {@code mvn -pl splice-bsd -am verify} runs it.
 */
@EnabledOnOs(value = {OS.OPENBSD, OS.FREEBSD},
        disabledReason = "the real bsd kernel can be tested only on OpenBSD or FreeBSD; elsewhere"
                + " Simulated*ConformanceTest runs the suite on simulated kernels")
class RealKernelConformanceTest extends SpliceConformanceTest {

    private static final String OS_NAME = System.getProperty("os.name");

    @Override
    protected SpliceBackend backend() {
        SpliceBackend bsd = Splice.using("bsd");
        assertTrue(bsd.isAvailable(), () -> "the bsd backend is unavailable on " + OS_NAME + " "
                + System.getProperty("os.version") + " " + System.getProperty("os.arch") + ": "
                + bsd.unavailabilityCause().map(Throwable::toString).orElse("?"));
        return bsd;
    }

    @Test
    void bsdBackend_isAvailableHere() {
        backend();
    }
}
