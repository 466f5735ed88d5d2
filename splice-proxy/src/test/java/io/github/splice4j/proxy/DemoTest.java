package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.proxy.CommandLine.DemoConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The demo, run as the command runs it, on a smaller amount of data. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoTest {

    @Test
    void demo_everyAvailableBackend_reportsOk() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long size = 8L << 20;
        int code = Demo.run(new DemoConfig(size), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        List<SpliceBackend> available = Splice.backends().stream().filter(SpliceBackend::isAvailable).toList();
        assertTrue(!available.isEmpty(), out);
        for (SpliceBackend b : available) {
            String n = Pattern.quote(b.name());
            assertTrue(Pattern.compile("(?m)^" + n + " +bulk +" + size + " +" + Demo.down(size)
                    + " +\\d+ +[\\d.]+ +EOF/EOF +OK$").matcher(out).find(), out);
            assertTrue(Pattern.compile("(?m)^" + n + " +max-bytes +" + Demo.LIMIT + " +- +\\d+ +- +MAX_BYTES +OK$")
                    .matcher(out).find(), out);
            assertTrue(Pattern.compile("(?m)^" + n + " +idle +" + Demo.MESSAGE + " +" + Demo.MESSAGE
                    + " +\\d+ +- +IDLE_TIMEOUT/IDLE_TIMEOUT +OK$").matcher(out).find(), out);
        }
        assertTrue(out.contains("demo: all " + 3 * available.size() + " checks OK"), out);
    }

    @Test
    void demo_unavailableBackend_listedWithCause() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Demo.run(new DemoConfig(1 << 20), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("\nbroken: unavailable: " + BrokenTestProvider.CAUSE + "\n"), out);
        assertTrue(!Pattern.compile("(?m)^broken +").matcher(out).find(), out);
    }
}
