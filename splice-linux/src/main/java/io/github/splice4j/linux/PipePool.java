package io.github.splice4j.linux;

import io.github.splice4j.spi.SystemProperties;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded supply of pipes. A direction takes a pipe only while bytes are in flight (in
 * {@code fill}) and gives it back as soon as a flush empties it, so idle splices hold none and a
 * process with thousands of splices needs only as many pipes as it has chunks in flight.
 *
 * <p>Empty pipes are kept for reuse per thread (transfers run on the engine's loop threads, so
 * the free lists need no locks), at most {@link #idlePerThread} each. At most {@link #max} pipes
 * are open at once, free or in use; past that {@link #acquire()} answers null and the caller
 * copies that chunk through a buffer instead, so the bound costs throughput, never progress. A
 * pipe given back while it still holds bytes is closed, never reused.
 *
 * <p>Configuration (system properties, read once):
 * <ul>
 *   <li>{@value #SIZE_PROPERTY}: bytes per pipe, default {@value #DEFAULT_SIZE} (1 MiB, as the C
 *       reference relay). The kernel rounds it up to a power of two pages; it refuses sizes past
 *       {@code /proc/sys/fs/pipe-max-size} (1 MiB by default) to unprivileged processes, and
 *       refuses to grow pipes of a user past {@code /proc/sys/fs/pipe-user-pages-soft} (16384
 *       pages = 64 MiB per user by default, so 64 pipes of 1 MiB), after which new pipes even
 *       shrink to 2 pages. Either refusal is normal: the pipe keeps the size the kernel gave, which
 *       costs throughput (more system calls per byte), not correctness.
 *   <li>{@value #MAX_PROPERTY}: most pipes open at once, default {@value #DEFAULT_MAX} (2048
 *       descriptors), and never more than an eighth of the open-file limit, so that pipes cannot
 *       exhaust the descriptors the application needs for its sockets: 8,000 relayed connections
 *       (16,000 sockets) fit under a 20,000 limit.
 * </ul>
 */
final class PipePool {

    /** System property: bytes per pipe. */
    static final String SIZE_PROPERTY = "splice4j.linux.pipeSize";
    /** System property: most pipes open at once. */
    static final String MAX_PROPERTY = "splice4j.linux.maxPipes";
    static final int DEFAULT_SIZE = 1 << 20;
    static final int DEFAULT_MAX = 1024;
    /** Empty pipes kept per thread: enough for the splices a loop moves at once, few descriptors. */
    static final int IDLE_PER_THREAD = 32;

    private static final System.Logger LOG = System.getLogger("io.github.splice4j");

    final int size;
    final int max;
    final int idlePerThread;
    private final ThreadLocal<ArrayDeque<Pipe>> idle = ThreadLocal.withInitial(ArrayDeque::new);
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger peakInUse = new AtomicInteger();
    private final AtomicInteger peakOpen = new AtomicInteger();
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile int granted;
    private volatile boolean loggedSize;
    private volatile boolean loggedShort;

    PipePool(int size, int max, int idlePerThread) {
        this.size = size;
        this.max = max;
        this.idlePerThread = idlePerThread;
    }

    private static final class Shared {
        static final PipePool POOL = new PipePool(configuredSize(), configuredMax(), IDLE_PER_THREAD);
    }

    /**
     * The pool every splice uses, configured from the system properties on first use.
     *
     * @throws IllegalArgumentException if a property is not a valid value (the probe reports it)
     */
    static PipePool shared() {
        return Shared.POOL;
    }

    static int configuredSize() {
        return SystemProperties.integer(SIZE_PROPERTY, DEFAULT_SIZE, 1, Integer.MAX_VALUE);
    }

    static int configuredMax() {
        String set = System.getProperty(MAX_PROPERTY);
        int v = SystemProperties.integer(MAX_PROPERTY, DEFAULT_MAX, 0, Integer.MAX_VALUE);
        if (set == null) {
            long limit = Native.openFileLimit();
            if (limit > 0) {
                v = (int) Math.max(1, Math.min(v, limit / 16));  // an eighth of the descriptors: 2 per pipe
            }
        }
        return v;
    }

    /**
     * An empty pipe for the calling thread's use, or null if {@link #max} pipes are open or the
     * kernel will not make one now (EMFILE, ENFILE, ENOMEM): then copy the chunk another way.
     */
    Pipe acquire() {
        Pipe p = idle.get().pollFirst();
        if (p == null) {
            p = create();
            if (p == null) {
                return null;
            }
        }
        int n = inUse.incrementAndGet();
        if (n > peakInUse.get()) {
            peakInUse.accumulateAndGet(n, Math::max);
        }
        return p;
    }

    /** Takes back a pipe from {@link #acquire()}: kept for reuse if empty, else closed. */
    void release(Pipe p) {
        inUse.decrementAndGet();
        ArrayDeque<Pipe> free = idle.get();
        if (p.held == 0 && free.size() < idlePerThread) {
            free.addFirst(p);  // most recently used first: its pages are the warmest
        } else {
            destroy(p);
        }
    }

    /** Closes the calling thread's free pipes. */
    void closeIdle() {
        ArrayDeque<Pipe> free = idle.get();
        Pipe p;
        while ((p = free.pollFirst()) != null) {
            destroy(p);
        }
    }

    /** Pipes handed out and not yet given back. */
    int inUse() {
        return inUse.get();
    }

    /** The most pipes in use at once since the pool was made. */
    int peakInUse() {
        return peakInUse.get();
    }

    /** The most pipes open at once since the pool was made. */
    int peakOpen() {
        return peakOpen.get();
    }

    /** Pipes open, in use or free. */
    int open() {
        return open.get();
    }

    /** Pipes created since the pool was made. */
    long created() {
        return created.get();
    }

    /** Times {@link #acquire()} answered null. */
    long refused() {
        return refused.get();
    }

    /** The capacity the kernel gave the last pipe made, 0 before the first. */
    int grantedSize() {
        return granted;
    }

    private Pipe create() {
        int n = open.incrementAndGet();
        if (n > max) {
            open.decrementAndGet();
            refuse("all " + max + " pipes are in use (" + MAX_PROPERTY + ")");
            return null;
        }
        peakOpen.accumulateAndGet(n, Math::max);
        int[] fds;
        try {
            fds = Native.pipe();
        } catch (IOException e) {
            open.decrementAndGet();
            refuse(e.getMessage());
            return null;
        }
        long capacity = Native.fcntl(fds[1], Native.F_SETPIPE_SZ, size);
        if (capacity < 0) {
            // EPERM past pipe-max-size or the per-user page limit: keep what the pipe has
            capacity = Native.fcntl(fds[1], Native.F_GETPIPE_SZ, 0);
        }
        if (capacity <= 0) {
            capacity = 4096;  // F_GETPIPE_SZ cannot fail on a pipe; a page is the least a pipe holds
        }
        int c = (int) Math.min(capacity, Integer.MAX_VALUE);
        granted = c;
        if (c < size && !loggedSize) {
            loggedSize = true;
            LOG.log(Level.DEBUG, "splice4j: the kernel gave pipes of " + c + " bytes, not the " + size
                    + " asked by " + SIZE_PROPERTY + " (fs.pipe-max-size or fs.pipe-user-pages-soft)");
        }
        created.incrementAndGet();
        return new Pipe(fds[0], fds[1], c);
    }

    private void destroy(Pipe p) {
        p.close();
        open.decrementAndGet();
    }

    private void refuse(String why) {
        refused.incrementAndGet();
        if (!loggedShort) {
            loggedShort = true;
            LOG.log(Level.INFO, "splice4j: no pipe for a splice chunk (" + why
                    + "); such chunks are copied through a buffer until pipes free up");
        }
    }
}
