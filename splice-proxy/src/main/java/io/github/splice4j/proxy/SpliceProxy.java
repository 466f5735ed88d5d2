package io.github.splice4j.proxy;

import io.github.splice4j.proxy.CommandLine.Command;
import io.github.splice4j.proxy.CommandLine.DemoConfig;
import io.github.splice4j.proxy.CommandLine.Help;
import io.github.splice4j.proxy.CommandLine.RelayConfig;
import io.github.splice4j.proxy.CommandLine.UsageException;
import io.github.splice4j.proxy.CommandLine.Version;
import io.github.splice4j.Direction;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Handler;

/**
 * The {@code splice-proxy} command: a TCP relay built on splice4j ({@code relay}), and a
 * self-check of every backend on this machine ({@code demo}). Run {@code --help} for the usage.
 *
 * <p>Exit codes: 0 success (also when the relay is stopped by SIGINT or SIGTERM), 1 failure
 * (the relay could not listen, or a demo check failed), 2 bad arguments.
 */
public final class SpliceProxy {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** Library log lines from before the relay's log started (see {@link #main}). */
    private static final java.util.Queue<String> EARLY_LINES = new java.util.concurrent.ConcurrentLinkedQueue<>();

    private SpliceProxy() {
    }

    /**
     * Runs the command line {@code args} and exits with its exit code; {@code relay} runs until
     * the process is stopped.
     *
     * @param args the command line, as {@code --help} describes it
     */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("relay")) {
            // the library logs while the backend is chosen, before the relay's log exists: those lines
            // are kept and written after the start line, which stays the first line of the output
            routeLibraryLogging(EARLY_LINES::add);
        }
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs {@code args} and returns the exit code instead of exiting, printing to {@code out} and
     * {@code err}. {@code relay} blocks until the relay stops; it is meant for {@link #main}.
     */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Command command;
        try {
            command = CommandLine.parse(args);
        } catch (UsageException e) {
            err.println("splice-proxy: " + e.getMessage());
            err.println();
            err.print(CommandLine.USAGE);
            err.flush();
            return USAGE;
        }
        if (command instanceof Help) {
            out.print(CommandLine.USAGE);
            out.flush();
            return OK;
        }
        if (command instanceof Version) {
            out.println("splice-proxy " + version());
            out.flush();
            return OK;
        }
        if (command instanceof DemoConfig) {
            return Demo.run((DemoConfig) command, out);
        }
        return serve((RelayConfig) command, out, err);
    }

    /**
     * Runs the relay until SIGINT or SIGTERM. The JVM would exit with 130 or 143 after its
     * shutdown hooks; a relay asked to stop has done nothing wrong, so the hook drains the relay
     * (docs/spec.md is silent on the CLI; see {@link CommandLine#USAGE}), writes the summary and
     * halts with 0.
     */
    private static int serve(RelayConfig config, PrintStream out, PrintStream err) {
        LogWriter log = new LogWriter(out);
        if (config.warmupBytes() > 0) {
            try {
                log.accept(Warmup.run(config.backend(), config.warmupBytes()));
            } catch (IOException e) {
                log.close();
                err.println("splice-proxy: " + CommandLine.describe(e));
                return FAILED;
            }
        }
        Summary summary = new Summary();
        Relay relay;
        try {
            relay = Relay.builder().listen(config.listen()).target(config.connect()).backend(config.backend())
                    .options(config.options()).maxConnections(config.maxConnections())
                    .connectTimeout(config.connectTimeout())
                    .onFinished(f -> {
                        summary.add(f);
                        log.accept(RelayLog.line(f));
                    })
                    .start();
        } catch (IOException e) {
            log.close();
            err.println("splice-proxy: cannot listen on " + RelayLog.format(config.listen()) + ": "
                    + CommandLine.describe(e));
            return FAILED;
        }
        log.accept("splice-proxy relay listening on " + RelayLog.format(relay.localAddress()) + " -> "
                + RelayLog.format(config.connect()) + " (backend " + config.backend().name() + ") " + config.text());
        routeLibraryLogging(log);
        for (String line; (line = EARLY_LINES.poll()) != null; ) {
            log.accept(line);
        }
        if (!config.stats().isZero()) {
            long every = config.stats().toMillis();
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(every);
                        log.accept(RelayLog.stats(relay.activeConnections(), config.backend().name()));
                    }
                } catch (InterruptedException e) {
                    // the JVM is going away
                }
            }, "splice-proxy-stats");
            t.setDaemon(true);
            t.start();
        }
        AtomicBoolean exiting = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (exiting.compareAndSet(false, true)) {
                log.accept(RelayLog.timestamp() + " splice-proxy relay draining: " + relay.activeConnections()
                        + " open, up to " + config.drain().toMillis() + " ms");
                relay.drain(config.drain());
                log.accept(summary.line());
                log.close();
                Runtime.getRuntime().halt(OK);
            }
        }, "splice-proxy-shutdown"));
        try {
            relay.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the relay thread died without drain(): a bug; the shutdown hook halts before this otherwise
        if (exiting.compareAndSet(false, true)) {
            relay.close();
            log.accept(summary.line());
            log.close();
            return FAILED;
        }
        return OK;
    }

    /**
     * The library logs through System.Logger, whose default backend is java.util.logging with a
     * two-line format on stderr: the relay's log gets those records as its own one-line format.
     */
    static void routeLibraryLogging(Consumer<String> log) {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(RelayLog.handler(log));
    }

    /** The counts of the stop line; fed from the relay's callbacks, on any thread. */
    static final class Summary {
        private final long started = System.nanoTime();
        private final LongAdder connections = new LongAdder();
        private final LongAdder connectFailures = new LongAdder();
        private final LongAdder failed = new LongAdder();
        private final LongAdder up = new LongAdder();
        private final LongAdder down = new LongAdder();

        void add(Relay.Finished f) {
            connections.increment();
            if (f.result().isEmpty()) {
                (f.connected() ? failed : connectFailures).increment();
                return;
            }
            SpliceResult r = f.result().get();
            up.add(r.bytes(Direction.FORWARD));
            down.add(r.bytes(Direction.REVERSE));
            if (r.error(Direction.FORWARD).isPresent() || r.error(Direction.REVERSE).isPresent()) {
                failed.increment();
            }
        }

        String line() {
            long n = connections.sum();
            return RelayLog.timestamp() + " splice-proxy relay stopped: " + n + (n == 1 ? " connection (" : " connections (")
                    + connectFailures.sum() + " could not connect, " + failed.sum() + " ended with an error), "
                    + up.sum() + " bytes up, " + down.sum() + " bytes down, ran "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms";
        }
    }

    /** The version of this build, from the resource Maven filters; "unknown" outside a Maven build. */
    static String version() {
        Properties p = new Properties();
        try (InputStream in = SpliceProxy.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // reported as unknown below
        }
        return p.getProperty("version", "unknown");
    }
}
