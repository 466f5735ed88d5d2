package io.github.splice4j.linux;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.testkit.LoopThreads;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal TCP relay for benchmarks and the scale run, not a product: accepts on 127.0.0.1:LISTEN,
 * connects each client to 127.0.0.1:TARGET and splices the two with the named backend (default:
 * the one splice4j chooses). Usage: {@code RelayMain LISTEN TARGET [linux|nio]}. With
 * {@code -Drelay.stats=true} it prints a line of figures every second (splices running, pipes,
 * threads, heap, descriptors), each with its peak so far.
 */
final class RelayMain {

    private static final AtomicInteger ACTIVE = new AtomicInteger();
    private static final AtomicInteger PEAK_ACTIVE = new AtomicInteger();
    private static final AtomicLong DONE = new AtomicLong();

    private RelayMain() {
    }

    public static void main(String[] args) throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        InetSocketAddress target = new InetSocketAddress(lo, Integer.parseInt(args[1]));
        SpliceBackend backend = args.length > 2 ? Splice.using(args[2]) : null;
        // probe before listening: loading native code takes a moment the first connection should not wait for
        String name = backend == null ? Splice.backend() : backend.name();
        if (backend != null && !backend.isAvailable()) {
            throw new IllegalStateException(name + " unavailable: " + backend.unavailabilityCause().orElse(null));
        }
        if (Boolean.getBoolean("relay.stats")) {
            Thread stats = new Thread(RelayMain::printStats, "relay-stats");
            stats.setDaemon(true);
            stats.start();
        }
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(lo, Integer.parseInt(args[0])), 4096);
            System.err.println("relay " + args[0] + " -> " + args[1] + " with " + name);
            while (true) {
                SocketChannel client = server.accept();
                SocketChannel upstream;
                try {
                    upstream = SocketChannel.open(target);
                } catch (IOException e) {
                    client.close();
                    continue;
                }
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
                SpliceHandle h = backend == null ? Splice.bidirectional(client, upstream)
                        : backend.bidirectional(client, upstream);
                PEAK_ACTIVE.accumulateAndGet(ACTIVE.incrementAndGet(), Math::max);
                h.completion().whenComplete((r, e) -> {
                    ACTIVE.decrementAndGet();
                    DONE.incrementAndGet();
                    closeQuietly(client);
                    closeQuietly(upstream);
                });
            }
        }
    }

    private static void printStats() {
        Runtime rt = Runtime.getRuntime();
        long peakHeap = 0;
        long peakFds = 0;
        long peakThreads = 0;
        long next = System.nanoTime();
        while (true) {
            try {
                Thread.sleep(100);
                long heap = rt.totalMemory() - rt.freeMemory();
                long fds = Sockets.openFds();
                long threads = threads();
                peakHeap = Math.max(peakHeap, heap);
                peakFds = Math.max(peakFds, fds);
                peakThreads = Math.max(peakThreads, threads);
                if (System.nanoTime() - next >= 0) {
                    next += 1_000_000_000L;
                    PipePool pool = PipePool.shared();
                    System.out.printf("splices %d (peak %d, done %d) | pipes in use %d (peak %d), open %d (peak %d),"
                            + " pipe refusals %d | threads %d (peak %d; splice4j loops %d) | heap used %d MiB"
                            + " (peak %d MiB, max %d MiB) | fds %d (peak %d)%n",
                            ACTIVE.get(), PEAK_ACTIVE.get(), DONE.get(), pool.inUse(), pool.peakInUse(), pool.open(),
                            pool.peakOpen(), pool.refused(), threads, peakThreads, LoopThreads.configured(),
                            heap >> 20, peakHeap >> 20, rt.maxMemory() >> 20, fds, peakFds);
                }
            } catch (InterruptedException | IOException e) {
                return;
            }
        }
    }

    /** Every thread of the process, the JVM's own included (/proc/self/status). */
    private static long threads() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Threads:")) {
                return Long.parseLong(line.substring(8).trim());
            }
        }
        return -1;
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
