package io.github.splice4j.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A first splice that cannot start the engine (too few descriptors for its selectors) fails with
 * an IOException and leaves nothing behind: no loop thread, no epoll descriptor; the next splice,
 * once descriptors are free, starts exactly the configured number of loops. In a child JVM under
 * {@code ulimit -n}, since the open-file limit is per process.
 */
@EnabledOnOs(OS.LINUX)
class EngineStartTest {

    @Test
    void firstSplice_tooFewDescriptors_failsAndLeavesNoThreadOrSelector() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("java.class.path");
        // 3 free descriptors: one selector opens (2: epoll and its wakeup), the next cannot (each loop
        // has two: the one it selects on, and the one that pins spliced channels' descriptors)
        String command = "ulimit -n 512 && exec \"$0\" -Dsplice4j.threads=2 -cp \"$1\" "
                + EngineStartChild.class.getName() + " 3";
        Process p = new ProcessBuilder("sh", "-c", command, java, cp).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> lines = out.lines().filter(l -> l.startsWith("first:") || l.startsWith("after")
                || l.startsWith("second:")).toList();
        assertEquals(0, p.exitValue(), out);
        assertEquals(3, lines.size(), out);
        assertTrue(lines.get(0).startsWith("first: failed: splice4j: cannot start the event loops"), out);
        assertEquals("after failure: loopThreads=0 epolls=0", lines.get(1), out);
        assertEquals("second: byte=42 loopThreads=2 epolls=4", lines.get(2), out);
    }
}
