package io.github.splice4j.linux;

import io.github.splice4j.unix.ChannelDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What users see with and without the JVM flags, in a child JVM of the running JDK (so CI covers
 * JDK 17 and 25), on the class path and on the module path: on JDK 17 to 23 the backend needs no
 * flag and prints nothing; on JDK 24+ it needs two, and without them splices still work, on nio,
 * after one log line naming the flags. No JVM warning (Unsafe, native access) is printed either way.
 */
class JvmFlagsTest {

    private static final int FEATURE = Runtime.version().feature();
    private static final boolean RESTRICTED = FEATURE >= ChannelDescriptors.RESTRICTED_FROM;
    private static final boolean LINUX = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");
    private static final String CHILD = "io.github.splice4j.linux.child.FlagsChild";
    private static final String LINUX_OK = "backend=linux bytes=262144 intact=true";
    private static final String NIO_OK = "backend=nio bytes=262144 intact=true";

    @TempDir
    Path dir;

    @Test
    void classPath_withoutFlags() throws Exception {
        Result r = run(classPath(), List.of());
        expectWithoutFlags(r, "--add-opens java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED");
    }

    @Test
    void classPath_withFlags() throws Exception {
        Result r = run(classPath(), List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED"));
        expectLinux(r);
    }

    @Test
    void modulePath_withoutFlags() throws Exception {
        Result r = run(modulePath(), List.of());
        expectWithoutFlags(r, "--add-opens java.base/sun.nio.ch=io.github.splice4j.unix"
                + " --enable-native-access=org.jnrproject.jffi");
    }

    @Test
    void modulePath_withFlags() throws Exception {
        Result r = run(modulePath(), List.of("--add-opens", "java.base/sun.nio.ch=io.github.splice4j.unix",
                "--enable-native-access=org.jnrproject.jffi"));
        expectLinux(r);
    }

    private static void expectWithoutFlags(Result r, String flags) {
        if (!RESTRICTED) {
            expectLinux(r);
            return;
        }
        assertEquals(NIO_OK, r.out, r.err);
        List<String> named = r.lines().stream().filter(l -> l.contains("skipped linux")).collect(Collectors.toList());
        assertEquals(1, named.size(), r.err);
        if (LINUX) {
            assertTrue(named.get(0).contains("needs the JVM flags " + flags + " on Java " + FEATURE), named.get(0));
            // the cause is also what a forced backend (splice4j.backend=linux) throws with, where
            // nothing falls back: only the log line of the automatic choice may say nio is used
            assertTrue(!named.get(0).contains("copy with nio"), named.get(0));
        }
        assertNoJvmWarning(r);
    }

    private static void expectLinux(Result r) {
        assertEquals(LINUX ? LINUX_OK : NIO_OK, r.out, r.err);
        if (LINUX) {
            assertEquals("", r.err.strip(), "nothing logged, no warning");
        }
        assertNoJvmWarning(r);
    }

    private static void assertNoJvmWarning(Result r) {
        assertTrue(r.lines().stream().noneMatch(l -> l.startsWith("WARNING:")), r.err);
    }

    /** Everything on the class path, as the test runs. */
    private static List<String> classPath() {
        return List.of("-cp", System.getProperty("java.class.path"));
    }

    /**
     * The library, jnr-ffi and the nio backend on the module path; only the child's own classes on
     * the class path (in a package of their own, so they do not split the backend's package).
     */
    private static List<String> modulePath() {
        List<String> entries = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        String testClasses = entries.stream().filter(e -> e.endsWith("test-classes")).findFirst().orElseThrow();
        String modules = entries.stream()
                .filter(e -> !e.equals(testClasses) && !e.contains("junit") && !e.contains("opentest4j")
                        && !e.contains("apiguardian") && !e.contains("splice-testkit"))
                .collect(Collectors.joining(File.pathSeparator));
        return List.of("--module-path", modules, "--add-modules", "io.github.splice4j.linux,io.github.splice4j.nio",
                "-cp", testClasses);
    }

    private Result run(List<String> path, List<String> flags) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx64m");
        cmd.addAll(flags);
        cmd.addAll(path);
        cmd.add(CHILD);
        File out = dir.resolve("out").toFile();
        File err = dir.resolve("err").toFile();
        Process p = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish: " + cmd);
        }
        Result r = new Result(Files.readString(out.toPath(), StandardCharsets.UTF_8).strip(),
                Files.readString(err.toPath(), StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue(), () -> cmd + "\n" + r.err);
        return r;
    }

    private static final class Result {
        final String out;
        final String err;

        Result(String out, String err) {
            this.out = out;
            this.err = err;
        }

        List<String> lines() {
            return err.lines().collect(Collectors.toList());
        }
    }
}
