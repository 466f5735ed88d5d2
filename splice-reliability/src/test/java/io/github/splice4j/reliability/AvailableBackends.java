package io.github.splice4j.reliability;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The backends the tests of this module run on: every one {@link Splice#backends()} finds that
 * is available on this machine, so a backend added to the class path (splice-linux on Linux, say)
 * is covered without a change here. The ones skipped are printed with their cause.
 */
final class AvailableBackends {

    private static volatile boolean printed;

    private AvailableBackends() {
    }

    /** The names of the available backends; a {@code @MethodSource} for parameterized tests. */
    static List<String> names() {
        List<SpliceBackend> all = Splice.backends();
        if (!printed) {
            printed = true;
            for (SpliceBackend b : all) {
                System.out.println("splice4j backend " + b.name() + ": " + (b.isAvailable() ? "available"
                        : "unavailable, not tested here: " + b.unavailabilityCause().map(Throwable::toString).orElse("?")));
            }
        }
        List<String> names = all.stream().filter(SpliceBackend::isAvailable).map(SpliceBackend::name)
                .collect(Collectors.toList());
        if (names.isEmpty()) {
            // nio works everywhere: none at all means a broken build, which must fail, not skip
            throw new IllegalStateException("no splice4j backend is available: " + all);
        }
        return names;
    }
}
