package io.github.splice4j;

import io.github.splice4j.spi.SpliceProvider;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds the backends and chooses one: the facade {@link io.github.splice4j.Splice} delegates
 * here. Discovery runs once, through {@link ServiceLoader} on both the class path and the module
 * path; a provider that fails to load is logged and skipped. The choice is deterministic: the
 * backend forced by {@value #PROPERTY}, or else the available backend of highest priority (ties
 * by name), never the order of the class path.
 */
final class Backends {

    /** The system property that forces a backend by name. */
    static final String PROPERTY = EngineProperties.BACKEND;

    /** The message when no backend is on the path at all. */
    static final String NONE_FOUND = "No splice4j backend found on the class path or module path: "
            + "add the dependency io.github.splice4j:splice4j (all backends), "
            + "or one of io.github.splice4j:splice-linux, splice-bsd, splice-fallback";

    static final System.Logger LOG = System.getLogger("io.github.splice4j");

    private static volatile List<Backend> found;
    private static volatile String loggedChoice;
    private static volatile ClassLoader discoveryLoader = Backends.class.getClassLoader();

    private Backends() {
    }

    /**
     * Test hook: forgets the backends found and the choice logged; the next use discovers them
     * again through {@code classLoader}.
     */
    static synchronized void reset(ClassLoader classLoader) {
        discoveryLoader = classLoader;
        found = null;
        loggedChoice = null;
    }

    /** Every backend found, highest priority first. */
    static List<SpliceBackend> all() {
        List<Backend> list = new ArrayList<>(load());
        // what can be used first: on Linux, linux before the unavailable bsd of the same priority
        list.sort(Comparator.comparing((Backend b) -> !b.isAvailable()));
        return Collections.unmodifiableList(new ArrayList<>(list));
    }

    /**
     * The backend named {@code name}, available or not.
     *
     * @throws IllegalArgumentException if none has that name
     */
    static SpliceBackend named(String name) {
        java.util.Objects.requireNonNull(name, "name");
        for (Backend b : load()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("no splice4j backend named '" + name + "'; found: " + names(load()));
    }

    /**
     * The backend new splices use.
     *
     * @throws IllegalStateException if no backend is on the path
     */
    static SpliceBackend selected() {
        List<Backend> all = load();
        String name = EngineProperties.backend();
        if (name != null) {
            for (Backend b : all) {
                if (b.name().equals(name)) {
                    if (b.isAvailable()) {
                        logChoice(b, "forced by -D" + PROPERTY + "=" + name, all);
                    }
                    return b;
                }
            }
            return Backend.missing(name, new IllegalStateException("splice4j backend '" + name
                    + "' was forced by -D" + PROPERTY + " but is not on the path; found: " + names(all)));
        }
        if (all.isEmpty()) {
            throw new IllegalStateException(NONE_FOUND);
        }
        for (Backend b : all) {
            if (b.isAvailable()) {
                logChoice(b, null, all);
                return b;
            }
        }
        // nothing works: the highest one reports its cause on use
        return all.get(0);
    }

    /** The line logged, once, when a choice is made; exposed for tests of its wording. */
    static String choiceMessage(Backend chosen, String why, List<Backend> all) {
        StringBuilder sb = new StringBuilder("splice4j: using backend ").append(chosen.name());
        if (why != null) {
            sb.append(" (").append(why).append(')');
        }
        List<String> skipped = new ArrayList<>();
        for (Backend b : all) {
            if (b != chosen && b.priority() > chosen.priority() && !b.isAvailable()) {
                skipped.add(b.name() + " unavailable: " + b.unavailabilityCause().map(Backends::describe).orElse("?"));
            }
        }
        if (!skipped.isEmpty()) {
            sb.append("; skipped ").append(String.join("; ", skipped));
        }
        return sb.toString();
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getName() : m;
    }

    private static void logChoice(Backend chosen, String why, List<Backend> all) {
        String message = choiceMessage(chosen, why, all);
        if (!message.equals(loggedChoice)) {
            loggedChoice = message;
            boolean skippedNative = message.contains("; skipped ");
            LOG.log(skippedNative ? Level.INFO : Level.DEBUG, message);
        }
    }

    private static String names(List<Backend> all) {
        return all.isEmpty() ? "none" : all.stream().map(Backend::name).collect(Collectors.joining(", "));
    }

    private static List<Backend> load() {
        List<Backend> result = found;
        if (result == null) {
            synchronized (Backends.class) {
                result = found;
                if (result == null) {
                    result = discover();
                    found = result;
                }
            }
        }
        return result;
    }

    private static List<Backend> discover() {
        List<Backend> list = new ArrayList<>();
        ServiceLoader<SpliceProvider> loader = ServiceLoader.load(SpliceProvider.class, discoveryLoader);
        Iterator<SpliceProvider> it = loader.iterator();
        while (true) {
            SpliceProvider p;
            try {
                if (!it.hasNext()) {
                    break;
                }
                p = it.next();
            } catch (ServiceConfigurationError e) {
                LOG.log(Level.WARNING, "splice4j: a backend failed to load and is skipped: " + describe(e), e);
                continue;
            }
            String name = p.name();
            if (list.stream().anyMatch(b -> b.name().equals(name))) {
                LOG.log(Level.WARNING, "splice4j: backend '" + name + "' found twice; keeping the first of "
                        + "priority " + p.priority());
                continue;
            }
            list.add(new Backend(p));
        }
        list.sort(Comparator.comparingInt(Backend::priority).reversed().thenComparing(Backend::name));
        return Collections.unmodifiableList(list);
    }
}
