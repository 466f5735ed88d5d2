package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceStats;
import io.github.splice4j.testkit.Loopback.Relay;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the library tells about its splices: {@link Splice#stats()} and the JFR event of each
 * finished splice (docs/observability.md). Other splices of the same backend may finish while a
 * test runs (the tests before it), so counts are compared as at least what this test added.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class ObservabilityTests extends ConformanceBase {

    @Test
    void stats_spliceRunningThenFinished_counted() throws Exception {
        SpliceStats before = stats();
        Relay r = net.relay();
        SpliceHandle h = bi(r.a(), r.b());
        SpliceStats during = stats();
        assertTrue(during.started() >= before.started() + 1, () -> before + " then " + during);
        assertTrue(during.running() >= 1, during::toString);
        Bytes.writeFully(r.client(), new byte[1000]);
        Bytes.readExactly(r.server(), 1000);
        Bytes.writeFully(r.server(), new byte[300]);
        Bytes.readExactly(r.client(), 300);
        r.client().shutdownOutput();
        r.server().shutdownOutput();
        result(h);
        SpliceStats after = stats();
        assertTrue(after.finished() >= before.finished() + 1, () -> before + " then " + after);
        assertTrue(after.bytes() >= before.bytes() + 1300, () -> before + " then " + after);
    }

    @Test
    void jfr_finishedSplice_recordsItsEvent() throws Exception {
        BlockingQueue<RecordedEvent> events = new LinkedBlockingQueue<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("io.github.splice4j.Splice");
            rs.setMaxAge(Duration.ofMinutes(1));
            rs.onEvent("io.github.splice4j.Splice", events::add);
            rs.startAsync();
            Relay r = net.relay();
            SpliceHandle h = bi(r.a(), r.b());
            Bytes.writeFully(r.client(), new byte[4321]);
            Bytes.readExactly(r.server(), 4321);
            r.client().shutdownOutput();
            r.server().shutdownOutput();
            result(h);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (System.nanoTime() < deadline) {
                RecordedEvent e = events.poll(1, TimeUnit.SECONDS);
                if (e != null && backend().name().equals(e.getString("backend")) && e.getLong("forwardBytes") == 4321) {
                    assertEquals("EOF", e.getString("forwardEnd"));
                    assertEquals(0, e.getLong("reverseBytes"));
                    assertEquals("EOF", e.getString("reverseEnd"));
                    assertEquals(null, e.getString("error"));
                    assertTrue(e.getDuration("splicedFor").toNanos() > 0);
                    return;
                }
            }
            fail("no io.github.splice4j.Splice event of backend " + backend().name() + " with 4321 forward bytes");
        }
    }

    private SpliceStats stats() {
        return Splice.stats().stream().filter(s -> s.backend().equals(backend().name())).findFirst()
                .orElseThrow(() -> new AssertionError("no stats for " + backend().name() + " in " + Splice.stats()));
    }
}
