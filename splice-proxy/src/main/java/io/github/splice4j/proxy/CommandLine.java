package io.github.splice4j.proxy;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceOptions;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Parses the command line into a {@link Command}, or says in a {@link UsageException} what is
 * wrong with it. Nothing here prints or exits, so every rule is testable.
 */
final class CommandLine {

    /** The text printed for {@code --help} and after every usage error. */
    static final String USAGE = String.join("\n",
            "Usage: java -jar splice-proxy.jar COMMAND [OPTIONS]",
            "",
            "  relay --listen ADDRESS --connect ADDRESS [--backend NAME] [--max-bytes N] [--idle DURATION]",
            "        [--max-connections N] [--connect-timeout DURATION] [--drain DURATION] [--stats DURATION]",
            "        [--warmup N]",
            "      Accepts connections on --listen and splices each one to a new connection to --connect.",
            "      ADDRESS is HOST:PORT, [IPV6]:PORT or unix:PATH (a UNIX-domain socket). A --connect host",
            "      name is resolved again for each connection, so DNS changes are seen.",
            "      --backend NAME       linux, bsd or nio (default: the best available one, or -Dsplice4j.backend)",
            "      --max-bytes N        end a connection once one direction moved N bytes (suffix k, m or g,",
            "                           any case, for KiB, MiB, GiB; default 0: unlimited)",
            "      --idle DURATION      end a connection once no byte moved either way for DURATION: 500ms,",
            "                           30s, 2m, 1h, or ISO-8601 like PT30S (default 0: never)",
            "      --max-connections N  open connections at most; past it the relay stops accepting until one",
            "                           finishes, and new clients wait in the kernel's listen backlog",
            "                           (default 10000)",
            "      --connect-timeout DURATION",
            "                           close the client if the target has not answered by then (default 5s)",
            "      --drain DURATION     on SIGINT or SIGTERM, stop accepting and let open connections finish",
            "                           for DURATION, then close them (default 10s)",
            "      --stats DURATION     every DURATION, log one line of the library's state (Splice.stats():",
            "                           splices running, started, finished, bytes, pipes; default 0: never)",
            "      --warmup N           before listening, splice N bytes each way, 20000 small round trips and",
            "                           10000 short connections (8 at a time, some ending with a reset)",
            "                           through a relay on loopback, then rounds of up to 256 MiB each way,",
            "                           8 streams at once with slow readers and 2000 connections, until the",
            "                           JIT settles, so the splice and connection paths are compiled before",
            "                           the first client (suffix k, m or g; default 0: no warm-up)",
            "      A direction reaching end of stream is half-closed; one ending otherwise (max bytes, idle,",
            "      error) closes the connection both ways after delivering what the relay holds.",
            "      Logs one line per finished connection:",
            "        TIME conn ID CLIENT backend=NAME up=BYTES END down=BYTES END MILLISms [error: MESSAGE]",
            "      (up: client to target, down: target to client), and one per client it could not connect:",
            "        TIME conn ID CLIENT connect to TARGET failed: MESSAGE",
            "      SIGINT or SIGTERM stops it (exit 0).",
            "",
            "  demo [--bytes N]",
            "      Relays random data (N bytes one way, default 256M) through every available backend on",
            "      loopback, checks it with SHA-256 at both ends, and prints a table. Exit 0 if every check",
            "      passed, else 1.",
            "",
            "  --version",
            "      Prints the version.",
            "",
            "  --help",
            "      Prints this text.",
            "",
            "Exit codes: 0 success, 1 failure, 2 bad arguments.",
            "");

    /** The bytes the demo sends one way unless {@code --bytes} says otherwise. */
    static final long DEFAULT_DEMO_BYTES = 256L << 20;

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(-?\\d+)([kmgKMG]?)");
    /** IPv4 literals (IPv6 ones hold a colon): such a --connect host needs no resolving per connection. */
    private static final Pattern IPV4 = Pattern.compile("[0-9.]+");
    private static final String UNIX = "unix:";
    private static final Set<String> RELAY_FLAGS = Set.of("--listen", "--connect", "--backend", "--max-bytes", "--idle",
            "--warmup", "--max-connections", "--connect-timeout", "--drain", "--stats");
    /** The default of --drain. */
    static final Duration DEFAULT_DRAIN = Duration.ofSeconds(10);
    private static final Set<String> DEMO_FLAGS = Set.of("--bytes");

    private CommandLine() {
    }

    /** What the command line asks for. */
    sealed interface Command permits Help, Version, RelayConfig, DemoConfig {
    }

    /** {@code --version}: print the version line, exit 0. */
    record Version() implements Command {
    }

    /** {@code --help}: print {@link #USAGE}, exit 0. */
    record Help() implements Command {
    }

    /**
     * {@code relay}: every value checked, the backend resolved and available. {@code connect} is
     * an unresolved InetSocketAddress when given by host name (the relay resolves it for each
     * connection), {@code text} the start line's echo of the options.
     */
    record RelayConfig(SocketAddress listen, SocketAddress connect, SpliceBackend backend,
            SpliceOptions options, long warmupBytes, int maxConnections, Duration connectTimeout, Duration drain,
            Duration stats, String text) implements Command {
    }

    /** {@code demo}: {@code bytes} one way per backend, more than zero. */
    record DemoConfig(long bytes) implements Command {
    }

    /** A command line that cannot be run; the message says why in one line. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Parses {@code args}. {@code --help} (or {@code -h}) anywhere wins over everything else.
     *
     * @throws UsageException if the command, a flag or a value is missing, unknown, repeated or
     *     malformed, or the backend asked for is unknown or unavailable
     */
    static Command parse(String... args) throws UsageException {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return new Help();
            }
        }
        if (args.length == 1 && args[0].equals("--version")) {
            return new Version();
        }
        if (args.length == 0) {
            throw new UsageException("no command given");
        }
        List<String> rest = List.of(args).subList(1, args.length);
        switch (args[0]) {
            case "relay":
                return relay(flags("relay", rest, RELAY_FLAGS));
            case "demo":
                return demo(flags("demo", rest, DEMO_FLAGS));
            default:
                throw new UsageException("unknown command: " + args[0]);
        }
    }

    private static RelayConfig relay(Map<String, String> flags) throws UsageException {
        String listen = required(flags, "--listen");
        String connect = required(flags, "--connect");
        SpliceOptions.Builder options = SpliceOptions.builder();
        StringBuilder text = new StringBuilder();
        if (flags.containsKey("--max-bytes")) {
            options.maxBytes(size("--max-bytes", flags.get("--max-bytes")));
            text.append(" max-bytes=").append(flags.get("--max-bytes"));
        }
        if (flags.containsKey("--idle")) {
            Duration idle = duration("--idle", flags.get("--idle"));
            try {
                // the tunnel form: a connection ends when neither direction moved (docs/spec.md, "Idle timeouts")
                options.tunnelIdleTimeout(idle).build();
            } catch (IllegalArgumentException e) {
                throw new UsageException("bad --idle " + flags.get("--idle") + ": " + e.getMessage());
            }
            text.append(" idle=").append(flags.get("--idle"));
        }
        int maxConnections = Relay.DEFAULT_MAX_CONNECTIONS;
        if (flags.containsKey("--max-connections")) {
            long n = size("--max-connections", flags.get("--max-connections"));
            if (n < 1 || n > Integer.MAX_VALUE) {
                throw new UsageException("bad --max-connections " + flags.get("--max-connections")
                        + ": must be from 1 to " + Integer.MAX_VALUE);
            }
            maxConnections = (int) n;
        }
        Duration connectTimeout = Relay.DEFAULT_CONNECT_TIMEOUT;
        if (flags.containsKey("--connect-timeout")) {
            connectTimeout = duration("--connect-timeout", flags.get("--connect-timeout"));
            if (connectTimeout.isZero()) {
                throw new UsageException("bad --connect-timeout " + flags.get("--connect-timeout")
                        + ": must be more than 0");
            }
        }
        Duration drain = flags.containsKey("--drain") ? duration("--drain", flags.get("--drain")) : DEFAULT_DRAIN;
        Duration stats = flags.containsKey("--stats") ? duration("--stats", flags.get("--stats")) : Duration.ZERO;
        SpliceOptions built;
        try {
            built = options.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        SocketAddress listenAddress = address("--listen", listen, true);
        SocketAddress connectAddress = address("--connect", connect, false);
        long warmup = flags.containsKey("--warmup") ? size("--warmup", flags.get("--warmup")) : 0;
        if (warmup > 0) {
            text.append(" warmup=").append(flags.get("--warmup"));
        }
        text.append(" max-connections=").append(maxConnections).append(" connect-timeout=")
                .append(flags.getOrDefault("--connect-timeout", "5s")).append(" drain=")
                .append(flags.getOrDefault("--drain", "10s"));
        if (!stats.isZero()) {
            text.append(" stats=").append(flags.get("--stats"));
        }
        return new RelayConfig(listenAddress, connectAddress, backend(flags.get("--backend")), built, warmup,
                maxConnections, connectTimeout, drain, stats, text.toString().trim());
    }

    /**
     * {@code unix:PATH}, or {@code HOST:PORT} as {@link #hostPort}. A --connect host name is
     * checked now, so a typo fails at start, and handed on unresolved, to be resolved for each
     * connection.
     */
    static SocketAddress address(String flag, String value, boolean listen) throws UsageException {
        if (value.startsWith(UNIX)) {
            String path = value.substring(UNIX.length());
            if (path.isEmpty()) {
                throw new UsageException("bad " + flag + " " + value + ": the path is missing");
            }
            try {
                return UnixDomainSocketAddress.of(path);
            } catch (RuntimeException e) {
                throw new UsageException("bad " + flag + " " + value + ": " + describe(e));
            }
        }
        InetSocketAddress a = hostPort(flag, value, listen);
        String host = a.getHostString();
        if (listen || IPV4.matcher(host).matches() || host.indexOf(':') >= 0) {
            return a;
        }
        return InetSocketAddress.createUnresolved(host, a.getPort());
    }

    private static DemoConfig demo(Map<String, String> flags) throws UsageException {
        long bytes = flags.containsKey("--bytes") ? size("--bytes", flags.get("--bytes")) : DEFAULT_DEMO_BYTES;
        if (bytes == 0) {
            throw new UsageException("--bytes must be more than 0");
        }
        return new DemoConfig(bytes);
    }

    /** Splits {@code --flag value} and {@code --flag=value} pairs, rejecting unknown and repeated flags. */
    private static Map<String, String> flags(String command, List<String> args, Set<String> known)
            throws UsageException {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!known.contains(flag)) {
                throw new UsageException(arg.startsWith("-") ? "unknown option for " + command + ": " + flag
                        : "unexpected argument: " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(flag + " needs a value");
                }
                value = args.get(++i);
            }
            if (flags.put(flag, value) != null) {
                throw new UsageException(flag + " given twice");
            }
        }
        return flags;
    }

    private static String required(Map<String, String> flags, String flag) throws UsageException {
        String v = flags.get(flag);
        if (v == null) {
            throw new UsageException(flag + " ADDRESS is required");
        }
        return v;
    }

    /**
     * {@code HOST:PORT}, {@code [IPv6]:PORT}; port 0 (any free port) only where {@code zeroPortOk}.
     * The host must resolve now, so a typo fails at start rather than on every connection.
     */
    static InetSocketAddress hostPort(String flag, String value, boolean zeroPortOk) throws UsageException {
        String host;
        String port;
        if (value.startsWith("[")) {
            int close = value.indexOf("]:");
            if (close < 0) {
                throw new UsageException("bad " + flag + " " + value + ": expected [IPV6]:PORT");
            }
            host = value.substring(1, close);
            port = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0) {
                throw new UsageException("bad " + flag + " " + value + ": expected HOST:PORT");
            }
            host = value.substring(0, colon);
            port = value.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new UsageException("bad " + flag + " " + value + ": write an IPv6 address as [ADDRESS]:PORT");
            }
        }
        if (host.isEmpty()) {
            throw new UsageException("bad " + flag + " " + value + ": the host is missing");
        }
        int p;
        try {
            p = port.chars().allMatch(Character::isDigit) && !port.isEmpty() && port.length() <= 5
                    ? Integer.parseInt(port) : -1;
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < (zeroPortOk ? 0 : 1) || p > 65535) {
            throw new UsageException("bad " + flag + " " + value + ": the port must be a number from "
                    + (zeroPortOk ? 0 : 1) + " to 65535");
        }
        InetSocketAddress address = new InetSocketAddress(host, p);
        if (address.isUnresolved()) {
            throw new UsageException("bad " + flag + " " + value + ": cannot resolve host " + host);
        }
        return address;
    }

    /** A whole number of bytes, with an optional binary suffix k, m or g in either case; never negative. */
    static long size(String flag, String value) throws UsageException {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw new UsageException("bad " + flag + " " + value + ": expected a whole number of bytes, "
                    + "optionally with k, m or g (0 or more)");
        }
        if (m.group(1).startsWith("-")) {
            throw new UsageException("bad " + flag + " " + value + ": must not be negative");
        }
        String unit = m.group(2).toUpperCase(java.util.Locale.ROOT);
        int shift = unit.isEmpty() ? 0 : unit.equals("K") ? 10 : unit.equals("M") ? 20 : 30;
        try {
            long n = Long.parseLong(m.group(1));
            if (n > Long.MAX_VALUE >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new UsageException("bad " + flag + " " + value + ": too large");
        }
    }

    /**
     * {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, ISO-8601 ({@code PT30S}), or a bare
     * {@code 0}; never negative.
     */
    static Duration duration(String flag, String value) throws UsageException {
        Duration d;
        try {
            if (value.equals("0")) {
                d = Duration.ZERO;
            } else if (value.startsWith("P") || value.startsWith("p")) {
                d = Duration.parse(value);
            } else {
                Matcher m = DURATION.matcher(value);
                if (!m.matches()) {
                    throw new UsageException("bad " + flag + " " + value
                            + ": expected a duration like 500ms, 30s, 2m, 1h or PT30S");
                }
                long n = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "ms":
                        d = Duration.ofMillis(n);
                        break;
                    case "s":
                        d = Duration.ofSeconds(n);
                        break;
                    case "m":
                        d = Duration.ofMinutes(n);
                        break;
                    default:
                        d = Duration.ofHours(n);
                        break;
                }
            }
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new UsageException("bad " + flag + " " + value + ": not a duration like 500ms, 30s, 2m, 1h or PT30S");
        }
        if (d.isNegative()) {
            throw new UsageException("bad " + flag + " " + value + ": must not be negative");
        }
        return d;
    }

    /**
     * The backend {@code name}, or the one {@link Splice} would choose; it must be available, so a
     * relay never starts only to fail every connection.
     */
    private static SpliceBackend backend(String name) throws UsageException {
        List<SpliceBackend> all;
        String wanted;
        try {
            all = Splice.backends();
            wanted = name != null ? name : Splice.backend();
        } catch (IllegalStateException e) {
            throw new UsageException(e.getMessage());
        }
        for (SpliceBackend b : all) {
            if (b.name().equals(wanted)) {
                if (!b.isAvailable()) {
                    throw new UsageException("backend " + wanted + " is unavailable: "
                            + b.unavailabilityCause().map(CommandLine::describe).orElse("unknown cause"));
                }
                return b;
            }
        }
        String found = all.stream().map(SpliceBackend::name).collect(Collectors.joining(", "));
        throw new UsageException("unknown backend " + wanted + (name == null ? " (from -Dsplice4j.backend)" : "")
                + "; found: " + (found.isEmpty() ? "none" : found));
    }

    /** A throwable's message, or its class name when it has none. */
    static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getName() : t.getMessage();
    }
}
