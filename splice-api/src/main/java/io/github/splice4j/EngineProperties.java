package io.github.splice4j;

import io.github.splice4j.spi.SystemProperties;
/**
 * The engine's configuration, read from the system properties once, when the first splice starts
 * the event loops (docs/spec.md, "Properties"). A bad value makes that splice, and every later
 * one until the value is fixed, throw the {@link IllegalArgumentException} of
 * {@link SystemProperties#integer}; nothing is started meanwhile.
 */
final class EngineProperties {

    /** The number of event-loop threads. */
    static final String THREADS = "splice4j.threads";
    /** Bytes one direction moves per readiness event before yielding to the other splices of its loop. */
    static final String EVENT_BUDGET = "splice4j.eventBudget";
    /** The size of a copy buffer (the nio backend, and directions a native backend cannot splice). */
    static final String NIO_BUFFER_SIZE = "splice4j.nio.bufferSize";
    /** The backend forced by name. */
    static final String BACKEND = "splice4j.backend";
    /** More loops than this only cost memory and descriptors: a loop serves thousands of splices. */
    static final int MAX_THREADS = 256;
    static final int MIN_BYTES = 4096;
    static final int MAX_BYTES = 1 << 30;
    static final int DEFAULT_EVENT_BUDGET = 256 * 1024;
    /** 256 KiB, the size the C reference relay uses. */
    static final int DEFAULT_NIO_BUFFER_SIZE = 256 * 1024;

    final int threads;
    final int eventBudget;
    final int nioBufferSize;

    private EngineProperties(int threads, int eventBudget, int nioBufferSize) {
        this.threads = threads;
        this.eventBudget = eventBudget;
        this.nioBufferSize = nioBufferSize;
    }

    /**
     * Reads and checks every engine property.
     *
     * @throws IllegalArgumentException naming the first property whose value is not allowed
     */
    static EngineProperties read() {
        int processors = Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        return new EngineProperties(
                SystemProperties.integer(THREADS, processors, 1, MAX_THREADS),
                SystemProperties.integer(EVENT_BUDGET, DEFAULT_EVENT_BUDGET, MIN_BYTES, MAX_BYTES),
                SystemProperties.integer(NIO_BUFFER_SIZE, DEFAULT_NIO_BUFFER_SIZE, MIN_BYTES, MAX_BYTES));
    }

    /** The backend forced by {@value #BACKEND}, or null if none is. */
    static String backend() {
        return SystemProperties.string(BACKEND);
    }
}
