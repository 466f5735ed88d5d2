package io.github.splice4j.linux;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.testkit.SpliceConformanceTest;

/** The whole conformance suite on the linux backend. */
class LinuxConformanceTest extends SpliceConformanceTest {
    @Override
    protected SpliceBackend backend() {
        return Splice.using("linux");
    }
}
