package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogWriterTest {

    private static final int WRITERS = 4;
    private static final int LINES = 5_000;

    @Test
    void accept_fromSeveralThreads_everyLineOnceInEachThreadsOrder() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, false, StandardCharsets.UTF_8);
        List<Thread> threads = new ArrayList<>();
        try (LogWriter log = new LogWriter(out)) {
            for (int w = 0; w < WRITERS; w++) {
                int id = w;
                Thread t = new Thread(() -> {
                    for (int i = 0; i < LINES; i++) {
                        log.accept(id + " " + i);
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        int[] next = new int[WRITERS];
        for (String line : bytes.toString(StandardCharsets.UTF_8).split(System.lineSeparator())) {
            String[] f = line.split(" ");
            int w = Integer.parseInt(f[0]);
            assertEquals(next[w]++, Integer.parseInt(f[1]), line);
        }
        assertEquals(List.of(LINES, LINES, LINES, LINES), List.of(next[0], next[1], next[2], next[3]));
    }

    @Test
    void close_writesEveryQueuedLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (LogWriter log = new LogWriter(new PrintStream(bytes, false, StandardCharsets.UTF_8))) {
            log.accept("first");
            log.accept("second");
        }
        assertEquals("first" + System.lineSeparator() + "second" + System.lineSeparator(),
                bytes.toString(StandardCharsets.UTF_8));
    }
}
