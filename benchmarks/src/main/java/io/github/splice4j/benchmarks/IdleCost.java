package io.github.splice4j.benchmarks;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What idle splices cost the process that holds them: CPU time per second of wall time, heap per
 * splice, threads and descriptors, for N idle bidirectional splices. Not a JMH benchmark: the
 * quantity is a steady-state rate of a process that does nothing, so it is measured over one
 * long window in a fresh JVM. benchmarks/idle-cost.sh runs the comparison; docs/idle-cost.md
 * explains the method.
 *
 * <p>Two roles, two processes, so that the holder's descriptors are only the spliced sockets:
 * <ul>
 *   <li>{@code peer PORTS} listens on {@code PORTS} loopback ports (printed as
 *       {@code PORTS p1,p2,...}), accepts every connection and keeps it open until its other
 *       end closes. Several ports, because one destination gives a client only about 28,000
 *       ephemeral ports.</li>
 *   <li>{@code holder BACKEND N OPTIONS SETTLE_S WINDOW_S PORTS_CSV} opens 2N connections to the
 *       peer, splices them in pairs with {@code Splice.using(BACKEND).bidirectional(a, b[, o])},
 *       waits SETTLE_S seconds, collects garbage, measures its own CPU time over WINDOW_S seconds
 *       and prints one {@code RESULT} line. OPTIONS is {@code default} (no options) or
 *       {@code timers} (idle timeout and tunnel idle timeout of 10 minutes, so that every splice
 *       has armed deadline timers).</li>
 * </ul>
 */
public final class IdleCost {

    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private IdleCost() {
    }

    /**
     * Runs one role; see the class comment for the arguments.
     *
     * @param args {@code peer PORTS} or {@code holder BACKEND N OPTIONS SETTLE_S WINDOW_S PORTS_CSV}
     * @throws Exception if a socket cannot be opened or a splice cannot start
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("peer")) {
            peer(Integer.parseInt(args[1]));
        } else if (args.length == 7 && args[0].equals("holder")) {
            holder(args[1], Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), args[6]);
        } else {
            System.err.println("usage: IdleCost peer PORTS\n"
                    + "       IdleCost holder BACKEND N default|timers SETTLE_S WINDOW_S PORT,PORT,...");
            System.exit(2);
        }
    }

    /** Accepts and holds connections until each one's other end closes; never returns. */
    private static void peer(int ports) throws IOException {
        Selector selector = Selector.open();
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < ports; i++) {
            ServerSocketChannel ss = ServerSocketChannel.open();
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            ss.configureBlocking(false);
            ss.register(selector, SelectionKey.OP_ACCEPT);
            list.append(i == 0 ? "" : ",").append(((InetSocketAddress) ss.getLocalAddress()).getPort());
        }
        System.out.println("PORTS " + list);
        System.out.flush();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        while (true) {
            selector.select();
            for (SelectionKey k : selector.selectedKeys()) {
                if (k.isAcceptable()) {
                    SocketChannel c;
                    while ((c = ((ServerSocketChannel) k.channel()).accept()) != null) {
                        c.configureBlocking(false);
                        c.register(selector, SelectionKey.OP_READ);
                    }
                } else if (k.isReadable()) {
                    SocketChannel c = (SocketChannel) k.channel();
                    sink.clear();
                    int r;
                    try {
                        r = c.read(sink);
                    } catch (IOException e) {
                        r = -1;
                    }
                    if (r < 0) {
                        c.close();  // the holder exited: free the descriptor for the next round
                    }
                }
            }
            selector.selectedKeys().clear();
        }
    }

    private static void holder(String backendName, int n, String optionsName, int settleSeconds,
            int windowSeconds, String portsCsv) throws Exception {
        SpliceBackend backend = Splice.using(backendName);
        if (!backend.isAvailable()) {
            throw new IllegalStateException("backend " + backendName + " is unavailable here: "
                    + backend.unavailabilityCause().map(Throwable::toString).orElse("?"));
        }
        SpliceOptions options;
        if (optionsName.equals("default")) {
            options = null;
        } else if (optionsName.equals("timers")) {
            options = SpliceOptions.builder().idleTimeout(TIMEOUT).tunnelIdleTimeout(TIMEOUT).build();
        } else {
            throw new IllegalArgumentException("OPTIONS must be default or timers: " + optionsName);
        }
        String[] ports = portsCsv.split(",");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        List<SocketChannel> channels = new ArrayList<>(2 * n);
        for (int i = 0; i < 2 * n; i++) {
            int port = Integer.parseInt(ports[i % ports.length]);
            channels.add(SocketChannel.open(new InetSocketAddress(loopback, port)));
        }
        long heapChannels = usedHeapAfterGc(memory);
        List<SpliceHandle> handles = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SocketChannel a = channels.get(2 * i);
            SocketChannel b = channels.get(2 * i + 1);
            handles.add(options == null ? backend.bidirectional(a, b) : backend.bidirectional(a, b, options));
        }
        System.out.println("SPLICED " + n);
        System.out.flush();

        Thread.sleep(settleSeconds * 1000L);
        long heapSpliced = usedHeapAfterGc(memory);

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> loopStart = loopThreadCpu(threads);
        long cpuStart = processCpuNanos();
        long wallStart = System.nanoTime();
        Thread.sleep(windowSeconds * 1000L);
        long cpu = processCpuNanos() - cpuStart;
        long wall = System.nanoTime() - wallStart;
        Map<Long, Long> loopEnd = loopThreadCpu(threads);
        long loopCpu = 0;
        for (Map.Entry<Long, Long> e : loopEnd.entrySet()) {
            loopCpu += e.getValue() - loopStart.getOrDefault(e.getKey(), 0L);
        }

        long done = handles.stream().filter(SpliceHandle::isDone).count();
        int threadCount = threads.getThreadCount();
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count() - 1;  // less the descriptor this listing opened
        }
        System.out.println(String.format(Locale.ROOT,
                "RESULT backend=%s options=%s n=%d cpu_pct=%.3f loop_cpu_pct=%.3f heap_per_splice=%d"
                        + " heap_used=%d threads=%d fds=%d window_s=%.1f ended=%d",
                backendName, optionsName, n, 100.0 * cpu / wall, 100.0 * loopCpu / wall,
                n == 0 ? 0 : (heapSpliced - heapChannels) / n, heapSpliced, threadCount, fds,
                wall / 1e9, done));
        System.out.flush();
        // channels.size() keeps the list (and every channel) reachable through the measurement
        if (done != 0 || channels.size() != 2 * n) {
            System.exit(1);
        }
        System.exit(0);
    }

    private static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** This process's CPU time, user and system, in nanoseconds (all threads, the JVM's own too). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU time so far of every splice4j event-loop thread, by thread id. */
    private static Map<Long, Long> loopThreadCpu(ThreadMXBean threads) {
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
            if (t.getThreadName().startsWith("splice4j-loop-")) {
                cpu.put(t.getThreadId(), threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return cpu;
    }
}
