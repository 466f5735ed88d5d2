package io.github.splice4j.proxy;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Writes log lines to a stream from a thread of its own. Connection lines are produced on the
 * library's event-loop threads, which serve thousands of splices each: a write to a slow or
 * blocked stdout must not stall them, so {@link #accept} only queues the line. Lines queued
 * together are written and flushed as one batch. If the queue is full (stdout stuck), lines are
 * dropped and their number is reported once output moves again.
 *
 * <p>After each batch the writer waits {@link #BATCH_NANOS} before it looks again, so a relay
 * that finishes thousands of connections a second writes a few dozen batches, not a line per
 * wake-up: while the writer is not waiting on the queue, queueing a line wakes no thread (a
 * wake-up per line cost the relay about 20 us of CPU per short connection). A line that comes
 * while the writer is idle is written at once.
 */
final class LogWriter implements Consumer<String>, AutoCloseable {

    private static final int CAPACITY = 65_536;
    /** The pause after a batch; lines queued meanwhile are written together. */
    static final long BATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final String STOP = new String("stop");  // identity marks the end; no line equals it by ==

    private final PrintStream out;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;

    LogWriter(PrintStream out) {
        this.out = out;
        this.thread = new Thread(this::run, "splice-proxy-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code line}; never blocks. */
    @Override
    public void accept(String line) {
        if (!queue.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /** Writes every line queued so far, then stops the writer thread; waits at most 5 seconds. */
    @Override
    public void close() {
        try {
            queue.offer(STOP, 5, TimeUnit.SECONDS);
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<String> batch = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        boolean stopping = false;
        while (!stopping) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch);
            for (String line : batch) {
                if (line == STOP) {
                    stopping = true;
                    break;
                }
                text.append(line).append(System.lineSeparator());
            }
            long lost = dropped.getAndSet(0);
            if (lost > 0) {
                text.append(RelayLog.timestamp()).append(" log: ").append(lost)
                        .append(" lines dropped, output too slow").append(System.lineSeparator());
            }
            out.print(text);
            out.flush();
            batch.clear();
            text.setLength(0);
            if (!stopping) {
                LockSupport.parkNanos(this, BATCH_NANOS);
                if (Thread.interrupted()) {
                    return;
                }
            }
        }
    }
}
