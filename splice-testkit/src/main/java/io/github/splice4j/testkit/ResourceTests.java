package io.github.splice4j.testkit;

import static io.github.splice4j.Direction.FORWARD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** docs/spec.md "Resources" resources and docs/spec.md "Ownership" ownership: blocking modes restored, nothing left behind. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class ResourceTests extends ConformanceBase {

    private static final Path FDS = Path.of("/proc/self/fd");

    @ParameterizedTest(name = "a blocking {0}, b blocking {1}, ending {2}")
    @CsvSource({
        "true, true, EOF",
        "false, false, EOF",
        "true, false, EOF",
        "false, true, EOF",
        "true, false, UNSPLICED",
        "false, true, UNSPLICED",
        "true, false, MAX_BYTES",
        "false, true, IDLE_TIMEOUT",
        "true, false, ERROR",
        "false, true, ERROR"})
    void blockingMode_atCompletion_isWhatTheApplicationGave(boolean aBlocking, boolean bBlocking, SpliceEnd ending)
            throws Exception {
        Relay r = net.relay();
        r.a().configureBlocking(aBlocking);
        r.b().configureBlocking(bBlocking);
        SpliceHandle h = start(r, ending);
        assertEquals(ending, result(h).end(FORWARD));
        assertTrue(r.a().isOpen() && r.b().isOpen());
        assertEquals(aBlocking, r.a().isBlocking(), "a");
        assertEquals(bBlocking, r.b().isBlocking(), "b");
        // the engine let go of both channels: they splice again, and that splice ends as asked
        SpliceHandle again = bi(r.a(), r.b());
        again.unsplice();
        assertTrue(result(again).directions().contains(FORWARD));
        assertEquals(aBlocking, r.a().isBlocking(), "a, after splicing again");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void completedSplices_thousand_leaveNoDescriptorsChannelsOrThreads() throws Exception {
        runRound(60);  // warm-up: loop threads, selectors, buffers and whatever the JDK opens lazily
        long before = openDescriptors();
        for (int round = 0; round < 10; round++) {
            runRound(100);
        }
        long after = openDescriptors();
        assertTrue(IntegrityTests.loopThreads() <= LoopThreads.configured(),
                "more splice4j-loop threads than splice4j.threads");
        assumeTrue(before >= 0, "open descriptors are counted in /proc/self/fd, which "
                + System.getProperty("os.name") + " does not have: not measured");
        assertTrue(after <= before + 10, "open descriptors grew from " + before + " to " + after);
    }

    /** Runs {@code n} splices at once, every ending in turn, waits for all, closes every socket. */
    private void runRound(int n) throws Exception {
        SpliceEnd[] endings = SpliceEnd.values();
        try (Loopback round = new Loopback()) {
            List<SpliceHandle> handles = new ArrayList<>(n);
            List<SpliceEnd> expected = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Relay r = round.relay();
                if (i % (endings.length + 1) == endings.length) {
                    SpliceHandle h = bi(r.a(), r.b());
                    Bytes.writeFully(r.client(), new byte[100]);
                    h.close();
                    handles.add(h);
                    expected.add(SpliceEnd.UNSPLICED);
                } else {
                    SpliceEnd ending = endings[i % (endings.length + 1)];
                    handles.add(start(r, ending));
                    expected.add(ending);
                }
            }
            for (int i = 0; i < n; i++) {
                assertEquals(expected.get(i), result(handles.get(i)).end(FORWARD), "splice " + i);
            }
        }
    }

    /** Starts a bidirectional splice of the relay and makes its FORWARD direction end {@code ending}. */
    private SpliceHandle start(Relay r, SpliceEnd ending) throws IOException {
        SpliceOptions options = switch (ending) {
            case MAX_BYTES -> options().maxBytes(100).build();
            case IDLE_TIMEOUT -> options().idleTimeout(Duration.ofMillis(100)).build();
            default -> SpliceOptions.defaults();
        };
        SpliceHandle h = bi(r.a(), r.b(), options);
        switch (ending) {
            case EOF -> {
                Bytes.writeFully(r.client(), new byte[1024]);
                r.client().shutdownOutput();
                r.server().shutdownOutput();
            }
            case MAX_BYTES -> {
                Bytes.writeFully(r.client(), new byte[200]);
                Bytes.writeFully(r.server(), new byte[200]);
            }
            case UNSPLICED -> {
                Bytes.writeFully(r.client(), new byte[100]);
                h.unsplice();
            }
            case ERROR -> Loopback.reset(r.client());
            case IDLE_TIMEOUT -> {
                // nothing moves
            }
            default -> throw new IllegalArgumentException(ending.toString());
        }
        return h;
    }

    /** Entries of /proc/self/fd, or -1 where there is no such directory. */
    static long openDescriptors() throws IOException {
        if (!Files.isDirectory(FDS)) {
            return -1;
        }
        try (Stream<Path> fds = Files.list(FDS)) {
            return fds.count();
        }
    }
}
