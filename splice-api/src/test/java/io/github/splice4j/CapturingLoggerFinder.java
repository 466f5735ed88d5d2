package io.github.splice4j;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * Records what splice4j logs through {@link System.Logger}, so tests can check the wording and
 * how often a line appears. Installed for splice-api's tests through
 * {@code META-INF/services/java.lang.System$LoggerFinder}; other loggers are dropped.
 */
public final class CapturingLoggerFinder extends System.LoggerFinder {

    private static final List<String> RECORDS = new ArrayList<>();

    /** For ServiceLoader. */
    public CapturingLoggerFinder() {
    }

    /** Forgets what was recorded. */
    static void clear() {
        synchronized (RECORDS) {
            RECORDS.clear();
        }
    }

    /** The messages logged at {@code level} since the last {@link #clear()}. */
    static List<String> messages(System.Logger.Level level) {
        String prefix = level.getName() + " ";
        List<String> out = new ArrayList<>();
        synchronized (RECORDS) {
            for (String r : RECORDS) {
                if (r.startsWith(prefix)) {
                    out.add(r.substring(prefix.length()));
                }
            }
        }
        return out;
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new Recorder(name);
    }

    private static final class Recorder implements System.Logger {
        private final String name;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return name.startsWith("io.github.splice4j");
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            record(level, msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            record(level, params == null || params.length == 0 ? format
                    : java.text.MessageFormat.format(format, params));
        }

        @Override
        public void log(Level level, Supplier<String> supplier) {
            if (isLoggable(level)) {
                record(level, supplier.get());
            }
        }

        private void record(Level level, String msg) {
            if (isLoggable(level)) {
                synchronized (RECORDS) {
                    RECORDS.add(level.getName() + " " + msg);
                }
            }
        }
    }
}
