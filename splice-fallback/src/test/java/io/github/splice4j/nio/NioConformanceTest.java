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

    /** Java has no SO_ERROR: a drain reset while the source is silent shows at the source's next byte. */
    @Override
    protected boolean seesSilentDrainFailure() {
        return false;
    }
}
