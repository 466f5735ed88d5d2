package io.github.splice4j.testkit;

/**
 * The engine's event-loop threads as a test sees them from outside: by their names
 * ({@code splice4j-loop-N}) and by the property that sets their number, so that leak checks need
 * no hook into the engine.
 */
public final class LoopThreads {

    private LoopThreads() {
    }

    /**
     * The number of loop threads the engine is configured for.
     *
     * @return {@code splice4j.threads}, else the processors (at most 256)
     */
    public static int configured() {
        String set = System.getProperty("splice4j.threads");
        return set == null || set.isBlank()
                ? Math.min(256, Runtime.getRuntime().availableProcessors())
                : Integer.parseInt(set.trim());
    }

    /**
     * The number of live loop threads.
     *
     * @return the live threads named {@code splice4j-loop-N}
     */
    public static long live() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("splice4j-loop-"))
                .count();
    }
}
