package io.github.splice4j;

import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of what one backend is doing in this JVM, from {@link Splice#stats()}: splices
 * running now, splices started and finished since the JVM started, the bytes the finished ones
 * moved, and the backend's own resources (the linux backend: its pipes). Taking one costs a few
 * counter reads: it never waits for an event loop, so a monitoring thread may take one as often
 * as it likes. The figures are read one after another, not at one instant: under load,
 * {@code running()} may lag {@code started() - finished()} by a splice or two.
 *
 * <p>The same splices are reported to JDK Flight Recorder, one {@code io.github.splice4j.Splice}
 * event per finished splice (docs/observability.md).
 */
public final class SpliceStats {
    private final String backend;
    private final long running;
    private final long started;
    private final long finished;
    private final long bytes;
    private final Map<String, Long> resources;

    SpliceStats(String backend, long running, long started, long finished, long bytes, Map<String, Long> resources) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.running = running;
        this.started = started;
        this.finished = finished;
        this.bytes = bytes;
        this.resources = Map.copyOf(resources);
    }

    /**
     * The backend's name, as {@link SpliceBackend#name()} gives it.
     *
     * @return the name, e.g. {@code "linux"}
     */
    public String backend() {
        return backend;
    }

    /**
     * Splices of this backend that have started and not yet completed.
     *
     * @return the number running
     */
    public long running() {
        return running;
    }

    /**
     * Splices of this backend started since the JVM started.
     *
     * @return the number started
     */
    public long started() {
        return started;
    }

    /**
     * Splices of this backend completed since the JVM started.
     *
     * @return the number completed
     */
    public long finished() {
        return finished;
    }

    /**
     * Bytes delivered by the completed splices of this backend, all directions together. Bytes of
     * splices still running are counted when they complete (read those live with
     * {@link SpliceHandle#bytesSpliced()}).
     *
     * @return the bytes, 0 if none completed
     */
    public long bytes() {
        return bytes;
    }

    /**
     * What the backend holds, by name; empty where it holds nothing worth counting. The linux
     * backend reports {@code pipesOpen} (pipes open, pooled or in use) and {@code pipesInUse}
     * (pipes holding or about to hold a chunk in flight).
     *
     * @return counts by name, unmodifiable; empty if none
     */
    public Map<String, Long> resources() {
        return resources;
    }

    @Override
    public String toString() {
        return "SpliceStats{" + backend + ": running=" + running + ", started=" + started
                + ", finished=" + finished + ", bytes=" + bytes + (resources.isEmpty() ? "" : ", " + resources) + '}';
    }
}
