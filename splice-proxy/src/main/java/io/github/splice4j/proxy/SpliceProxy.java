package io.github.splice4j.proxy;

import io.github.splice4j.proxy.CommandLine.Command;
import io.github.splice4j.proxy.CommandLine.DemoConfig;
import io.github.splice4j.proxy.CommandLine.Help;
import io.github.splice4j.proxy.CommandLine.RelayConfig;
import io.github.splice4j.proxy.CommandLine.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

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

    private SpliceProxy() {
    }

    /**
     * Runs the command line {@code args} and exits with its exit code; {@code relay} runs until
     * the process is stopped.
     */
    public static void main(String[] args) {
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
        if (command instanceof DemoConfig) {
            return Demo.run((DemoConfig) command, out);
        }
        return serve((RelayConfig) command, out, err);
    }

    /**
     * Runs the relay until SIGINT or SIGTERM. The JVM would exit with 130 or 143 after its
     * shutdown hooks; a relay asked to stop has done nothing wrong, so the hook closes the relay,
     * writes the summary and halts with 0.
     */
    private static int serve(RelayConfig config, PrintStream out, PrintStream err) {
        LogWriter log = new LogWriter(out);
        Relay relay;
        if (config.warmupBytes() > 0) {
            try {
                log.accept(Warmup.run(config.backend(), config.warmupBytes()));
            } catch (IOException e) {
                log.close();
                err.println("splice-proxy: " + CommandLine.describe(e));
                return FAILED;
            }
        }
        try {
            relay = Relay.start(config, log);
        } catch (IOException e) {
            log.close();
            err.println("splice-proxy: cannot listen on " + Relay.format(config.listen()) + ": "
                    + CommandLine.describe(e));
            return FAILED;
        }
        AtomicBoolean exiting = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (exiting.compareAndSet(false, true)) {
                relay.close();
                log.close();
                Runtime.getRuntime().halt(OK);
            }
        }, "splice-proxy-shutdown"));
        try {
            relay.awaitClosed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // the acceptor died without close(): a bug; the shutdown hook halts before this otherwise
        if (exiting.compareAndSet(false, true)) {
            relay.close();
            log.close();
            return FAILED;
        }
        return OK;
    }
}
