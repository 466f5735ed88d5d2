package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Proves that the class path of the Surefire execution {@code without-fallback} holds splice-api
 * and splice-linux alone, so the conformance suite beside it runs without nio. Skipped in the
 * other executions, whose class path has nio.
 */
class WithoutFallbackTest {

    @Test
    void backends_onlyLinux() {
        assumeTrue(Boolean.getBoolean("splice4j.test.withoutFallback"), "only in the execution without-fallback");
        List<String> names = Splice.backends().stream().map(SpliceBackend::name).collect(Collectors.toList());
        assertEquals(List.of("linux"), names);
    }
}
