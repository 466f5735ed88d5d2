package io.github.splice4j.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The figures a run produces, printed and appended to {@code target/reliability-report.txt}, so
 * a long run can be read afterwards without digging through the build log.
 */
final class Report {

    private static final Path FILE = Paths.get("target", "reliability-report.txt");

    private Report() {
    }

    /** Prints {@code text} (one or more lines) under a heading with the time and JDK. */
    static synchronized void print(String heading, String text) {
        String block = "=== " + heading + " (" + Instant.now() + ", JDK " + Runtime.version() + ")\n" + text
                + (text.endsWith("\n") ? "" : "\n");
        System.out.print(block);
        System.out.flush();
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, block, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("(could not append to " + FILE.toAbsolutePath() + ": " + e + ")");
        }
    }

    /** A long property, or {@code def} when it is unset. */
    static long property(String name, long def) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? def : Long.parseLong(v.trim());
    }

    /** A double property, or {@code def} when it is unset. */
    static double property(String name, double def) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? def : Double.parseDouble(v.trim());
    }

    /** {@code bytes} as MiB or GiB with one decimal. */
    static String size(long bytes) {
        return bytes >= (1L << 30) ? String.format("%.2f GiB", bytes / (double) (1L << 30))
                : String.format("%.1f MiB", bytes / (double) (1L << 20));
    }
}
