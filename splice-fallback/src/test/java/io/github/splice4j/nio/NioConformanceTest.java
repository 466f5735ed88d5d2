package io.github.splice4j.nio;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.testkit.SpliceConformanceTest;

/** The whole conformance suite on the nio backend. */
class NioConformanceTest extends SpliceConformanceTest {
    @Override
    protected SpliceBackend backend() {
        return Splice.using("nio");
    }
}
