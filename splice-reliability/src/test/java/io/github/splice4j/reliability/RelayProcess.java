package io.github.splice4j.reliability;

import io.github.splice4j.SpliceEnd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real relay, {@code splice-proxy relay}, in a child JVM: the process whose descriptors,
 * threads and heap the soak measures, apart from the load generators of the test's own JVM.
 * Reads its log as it is written and parses the per-connection lines documented in the relay's
 * usage text.
 *
 * <p>The child runs with {@code -Xmx64m} (the contract's heap budget), the serial collector and
 * a fixed number of compiler threads, so that its thread count moves only with what the relay
 * itself starts and stops; {@code -Dsplice4j.relay.jvmArgs="..."} adds flags (space-separated),
 * e.g. {@code -Dsplice4j.threads=1} to put every splice on one event loop.
 */
final class RelayProcess implements AutoCloseable {

    /** {@code TIME conn ID CLIENT backend=NAME up=BYTES END down=BYTES END MILLISms [error: MESSAGE]}. */
    static final Pattern LINE = Pattern.compile("(\\S+) conn (\\d+) (\\S+) backend=(\\S+) up=(\\d+) ([A-Z_]+) "
            + "down=(\\d+) ([A-Z_]+) (\\d+)ms(?: error: (.+))?");
    private static final Pattern STARTUP = Pattern.compile(
            "splice-proxy relay listening on 127\\.0\\.0\\.1:(\\d+) -> \\S+ \\(backend (\\S+)\\)(?: \\S+=\\S+)*");
    /** Logged when SIGTERM starts the drain: {@code TIME splice-proxy relay draining: N open, up to MILLIS ms}. */
    private static final Pattern DRAINING = Pattern.compile("\\S+ splice-proxy relay draining: \\d+ open, up to \\d+ ms");
    /**
     * A library or relay log record, which the relay writes as one line ({@code TIME LEVEL LOGGER: MESSAGE});
     * they went to stderr before and, like stderr, are not part of the checks.
     */
    private static final Pattern LOG_RECORD = Pattern.compile("\\S+ (?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST) \\S+: .*");
    private static final Pattern SUMMARY = Pattern.compile("\\S+ splice-proxy relay stopped: (\\d+) connections? "
            + "\\((\\d+) could not connect, (\\d+) ended with an error\\), (\\d+) bytes up, (\\d+) bytes down, ran \\d+ ms");
    /** A heap space in {@code jcmd GC.heap_info}: {@code garbage-first heap total 65536K, used 4880K}. */
    private static final Pattern HEAP_SPACE = Pattern.compile("^\\s*\\S.*?\\s+total (\\d+)K, used (\\d+)K");

    /**
     * Descriptors of empty pipes a backend may keep per event loop for reuse: splice-linux keeps at
     * most 32 pipes (two descriptors each) per loop thread. Leak checks allow that much growth.
     */
    static final int PIPE_POOL_FDS_PER_LOOP = 64;

    /** The JVM flags of the child; see the class comment. */
    static final List<String> JVM_FLAGS = List.of("-Xmx64m", "-XX:MaxDirectMemorySize=256m", "-XX:+UseSerialGC",
            "-XX:-UseDynamicNumberOfCompilerThreads");

    /** One finished connection as the relay logged it. */
    record ConnLine(long id, String client, String backend, long up, SpliceEnd upEnd, long down, SpliceEnd downEnd,
            long millis, String error, long seenNanos) {

        static ConnLine parse(String line, long seenNanos) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                return null;
            }
            return new ConnLine(Long.parseLong(m.group(2)), m.group(3), m.group(4), Long.parseLong(m.group(5)),
                    SpliceEnd.valueOf(m.group(6)), Long.parseLong(m.group(7)), SpliceEnd.valueOf(m.group(8)),
                    Long.parseLong(m.group(9)), m.group(10), seenNanos);
        }
    }

    /** The relay's closing line. */
    record Summary(long connections, long couldNotConnect, long endedWithError, long bytesUp, long bytesDown) {
    }

    /**
     * What the relay process holds at one moment, read from /proc and jcmd.
     *
     * @param fdKinds open descriptors by kind: socket, pipe, eventpoll, eventfd, other
     * @param epollRegistrations descriptors registered with the process's epoll sets (selector keys
     *     the kernel still knows), summed over every epoll descriptor
     * @param threadNames thread names (as the kernel has them, 15 characters) with their count
     * @param heapUsed bytes of heap in use after a full GC
     */
    record Snapshot(int fds, Map<String, Integer> fdKinds, int epollRegistrations, int threads,
            Map<String, Integer> threadNames, long heapUsed) {

        @Override
        public String toString() {
            return fds + " fds " + fdKinds + ", " + epollRegistrations + " epoll registrations, " + threads
                    + " threads, heap used " + (heapUsed / 1024) + " KiB";
        }
    }

    private final Process process;
    private final String backend;
    private final int port;
    private final LogTail out;
    private final LogTail err;
    private final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Summary> summary = new CompletableFuture<>();

    private RelayProcess(Process process, String backend, int port, LogTail out, LogTail err) {
        this.process = process;
        this.backend = backend;
        this.port = port;
        this.out = out;
        this.err = err;
    }

    /**
     * Starts the relay on {@code backend}, listening on a free loopback port, splicing every
     * connection to {@code target}; {@code onLine} receives each per-connection line on the
     * reader thread (keep it short). The relay's stdout and stderr go to files under
     * {@code target/} (kept for reading after a failure), which are followed as they grow: a pipe
     * would do, but the JDK's process reaper may close a child's pipe under a reader that has
     * not yet read the child's last lines, and the summary line is the last one.
     *
     * @param idle the relay's idle timeout, or {@link Duration#ZERO} for none
     * @throws IOException if the child cannot be started or does not report its port in 30 s
     */
    static RelayProcess start(String backend, InetSocketAddress target, Duration idle, Consumer<ConnLine> onLine)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        String extra = System.getProperty("splice4j.relay.jvmArgs", "").trim();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));  // e.g. -Dsplice4j.threads=1 for a diagnosis
        }
        cmd.addAll(launch());
        cmd.addAll(List.of("relay", "--listen", "127.0.0.1:0", "--connect",
                target.getAddress().getHostAddress() + ":" + target.getPort(), "--backend", backend));
        if (!idle.isZero()) {
            cmd.addAll(List.of("--idle", idle.toMillis() + "ms"));
        }
        Path dir = Files.createDirectories(Paths.get("target"));
        Path stdout = dir.resolve("relay-" + backend + ".log");
        Path stderr = dir.resolve("relay-" + backend + ".stderr");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        CompletableFuture<RelayProcess> ready = new CompletableFuture<>();
        LogTail out = new LogTail(stdout, "relay-stdout-" + backend, line -> {
            if (!listening.isDone()) {
                Matcher m = STARTUP.matcher(line);
                if (m.matches() && m.group(2).equals(backend)) {
                    listening.complete(Integer.parseInt(m.group(1)));
                } else {
                    listening.completeExceptionally(new IOException("unexpected first line: " + line));
                }
                return;
            }
            ready.join().onLine(line, onLine);
        });
        LogTail err = new LogTail(stderr, "relay-stderr-" + backend, line -> { });
        int port;
        try {
            port = listening.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            out.stop();
            err.stop();
            throw new IOException("relay did not start: " + cmd + "; stderr: " + err.lines(), e);
        }
        RelayProcess r = new RelayProcess(p, backend, port, out, err);
        ready.complete(r);
        return r;
    }

    private void onLine(String line, Consumer<ConnLine> onLine) {
        ConnLine c = ConnLine.parse(line, System.nanoTime());
        if (c != null) {
            onLine.accept(c);
            return;
        }
        Matcher m = SUMMARY.matcher(line);
        if (m.matches()) {
            summary.complete(new Summary(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                    Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5))));
        } else if (!DRAINING.matcher(line).matches() && !LOG_RECORD.matcher(line).matches()) {
            unexpected.add(line);
        }
    }

    /** {@code -jar splice-proxy.jar}, or the classes on a class path when the jar is not built. */
    private static List<String> launch() throws IOException {
        String jar = System.getProperty("splice4j.proxy.jar", "../splice-proxy/target/splice-proxy.jar");
        if (Files.isRegularFile(Paths.get(jar))) {
            return List.of("-jar", jar);
        }
        String classes = System.getProperty("splice4j.proxy.classes", "../splice-proxy/target/classes");
        String testPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        if (!Files.isDirectory(Paths.get(classes))) {
            throw new IOException("neither " + jar + " nor " + classes + " exists: build splice-proxy first "
                    + "(mvn -B -pl splice-reliability -am verify)");
        }
        // what the jar's manifest says (Add-Opens, Enable-Native-Access), as flags
        return List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-cp", classes + java.io.File.pathSeparator + testPath, "io.github.splice4j.proxy.SpliceProxy");
    }

    /** Follows a growing file, handing each complete line to a consumer on a thread of its own. */
    private static final class LogTail {
        private final Path file;
        private final Consumer<String> each;
        private final Thread thread;
        private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stopping;

        LogTail(Path file, String name, Consumer<String> each) {
            this.file = file;
            this.each = each;
            this.thread = new Thread(this::run, name);
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            ByteArrayOutputStream partial = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (true) {
                    boolean last = stopping;  // read before reading, so nothing written before stop() is missed
                    buf.clear();
                    int n = ch.read(buf);
                    if (n > 0) {
                        for (int i = 0; i < n; i++) {
                            byte b = buf.get(i);
                            if (b == '\n') {
                                String line = partial.toString(StandardCharsets.UTF_8);
                                partial.reset();
                                lines.add(line);
                                each.accept(line);
                            } else {
                                partial.write(b);
                            }
                        }
                    } else if (last) {
                        return;
                    } else {
                        Thread.sleep(20);
                    }
                }
            } catch (IOException | InterruptedException e) {
                lines.add("(reading " + file + " failed: " + e + ")");
            }
        }

        /** Reads to the end of the file as it is now, then stops. */
        void stop() {
            stopping = true;
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        List<String> lines() {
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }
    }

    /** The relay's listening address. */
    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    long pid() {
        return process.pid();
    }

    /** Log lines that are neither a connection line nor the summary (connect or splice failures). */
    List<String> unexpectedLines() {
        synchronized (unexpected) {
            return new ArrayList<>(unexpected);
        }
    }

    /** What the relay wrote to stderr (the library's System.Logger output goes there). */
    List<String> stderrLines() {
        return err.lines();
    }

    /**
     * Runs a full GC in the relay, then reads its descriptors, epoll registrations, threads and
     * used heap.
     */
    Snapshot snapshot() throws IOException {
        String heapInfo = jcmd("GC.run") + jcmd("GC.heap_info");
        long heap = 0;
        for (String line : heapInfo.split("\n")) {
            Matcher m = HEAP_SPACE.matcher(line);
            if (m.find()) {
                heap += Long.parseLong(m.group(2)) * 1024;
            }
        }
        if (heap == 0) {
            throw new IOException("cannot read the heap from jcmd GC.heap_info: " + heapInfo);
        }
        Path proc = Paths.get("/proc", Long.toString(process.pid()));
        Map<String, Integer> kinds = new TreeMap<>();
        int fds = 0;
        int registrations = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : dir) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (NoSuchFileException e) {
                    continue;  // closed while listing
                }
                fds++;
                String kind = kind(target);
                kinds.merge(kind, 1, Integer::sum);
                if (kind.equals("eventpoll")) {
                    registrations += epollRegistrations(proc.resolve("fdinfo").resolve(fd.getFileName()));
                }
            }
        }
        Map<String, Integer> names = new TreeMap<>();
        int threads = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc.resolve("task"))) {
            for (Path task : dir) {
                try {
                    names.merge(Files.readString(task.resolve("comm")).trim(), 1, Integer::sum);
                    threads++;
                } catch (NoSuchFileException e) {
                    // the thread ended while listing
                }
            }
        }
        return new Snapshot(fds, kinds, registrations, threads, names, heap);
    }

    /** Open descriptors and threads, from /proc only (cheap enough to sample every second). */
    int[] counts() throws IOException {
        Path proc = Paths.get("/proc", Long.toString(process.pid()));
        int fds;
        try (java.util.stream.Stream<Path> s = Files.list(proc.resolve("fd"))) {
            fds = (int) s.count();
        }
        int threads;
        try (java.util.stream.Stream<Path> s = Files.list(proc.resolve("task"))) {
            threads = (int) s.count();
        }
        return new int[] {fds, threads};
    }

    static String kind(String target) {
        if (target.startsWith("socket:")) {
            return "socket";
        }
        if (target.startsWith("pipe:")) {
            return "pipe";
        }
        if (target.equals("anon_inode:[eventpoll]")) {
            return "eventpoll";
        }
        if (target.equals("anon_inode:[eventfd]")) {
            return "eventfd";
        }
        return "other";
    }

    /** The descriptors an epoll set watches: one {@code tfd:} line each in its fdinfo. */
    static int epollRegistrations(Path fdinfo) throws IOException {
        try {
            return (int) Files.readAllLines(fdinfo).stream().filter(l -> l.startsWith("tfd:")).count();
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private String jcmd(String command) throws IOException {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), command)
                .redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("jcmd " + command + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            p.destroyForcibly();
        }
        return out;
    }

    /**
     * Stops the relay the way an operator does (SIGTERM) and returns its summary line.
     *
     * @throws IOException if it does not exit within 30 s, exits with a code other than 0, or
     *     prints no summary
     */
    Summary stop() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("relay (" + backend + ") did not exit within 30 s of SIGTERM");
            }
            out.stop();
            err.stop();
            if (process.exitValue() != 0) {
                throw new IOException("relay (" + backend + ") exited with " + process.exitValue()
                        + "; stderr: " + stderrLines());
            }
            return summary.get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("relay (" + backend + ") printed no summary line; other lines: "
                    + unexpectedLines(), e);
        }
    }

    /** Kills the child if it still runs (a failed test); {@link #stop()} is the normal end. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        out.stop();
        err.stop();
    }

    @Override
    public String toString() {
        return "relay " + backend + " pid " + process.pid() + " on 127.0.0.1:" + port;
    }
}
