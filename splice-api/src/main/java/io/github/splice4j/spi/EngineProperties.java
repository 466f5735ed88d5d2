package io.github.splice4j.spi;

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
    /** The backend forced by name. */
    static final String BACKEND = "splice4j.backend";
    /** More loops than this only cost memory and descriptors: a loop serves thousands of splices. */
    static final int MAX_THREADS = 256;
    static final int MIN_BYTES = 4096;
    static final int MAX_BYTES = 1 << 30;
    static final int DEFAULT_EVENT_BUDGET = 256 * 1024;

    final int threads;
    final int eventBudget;

    private EngineProperties(int threads, int eventBudget) {
        this.threads = threads;
        this.eventBudget = eventBudget;
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
                SystemProperties.integer(EVENT_BUDGET, DEFAULT_EVENT_BUDGET, MIN_BYTES, MAX_BYTES));
    }

    /** The backend forced by {@value #BACKEND}, or null if none is. */
    static String backend() {
        return SystemProperties.string(BACKEND);
    }
}
