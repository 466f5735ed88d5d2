package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceResult;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Instant;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.function.Consumer;

/** The command line's log lines, in the formats {@link CommandLine#USAGE} documents. */
final class RelayLog {

    private RelayLog() {
    }

    /** The per-connection line: a finished splice, or a client that could not be connected. */
    static String line(Relay.Finished f) {
        StringBuilder sb = new StringBuilder(160).append(timestamp()).append(" conn ").append(f.id()).append(' ')
                .append(format(f.client()));
        if (f.result().isEmpty()) {
            IllegalStateException none = new IllegalStateException("no failure");
            String why = CommandLine.describe(f.failure().orElseThrow(() -> none));
            return (f.connected() ? sb.append(" splice failed: ") : sb.append(" connect to ")
                    .append(format(f.target())).append(" failed: ")).append(why).toString();
        }
        SpliceResult r = f.result().get();
        sb.append(" backend=").append(f.backend())
                .append(" up=").append(r.bytes(Direction.FORWARD)).append(' ').append(r.end(Direction.FORWARD))
                .append(" down=").append(r.bytes(Direction.REVERSE)).append(' ').append(r.end(Direction.REVERSE))
                .append(' ').append(f.duration().toMillis()).append("ms");
        r.error(Direction.FORWARD).or(() -> r.error(Direction.REVERSE))
                .ifPresent(e -> sb.append(" error: ").append(CommandLine.describe(e)));
        return sb.toString();
    }

    /**
     * {@code host:port}, {@code [v6]:port} with the IPv6 address in its short form (RFC 5952:
     * {@code [::1]:8080}), {@code unix:PATH}; {@code ?} when unknown.
     */
    static String format(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            String path = ((UnixDomainSocketAddress) address).getPath().toString();
            return path.isEmpty() ? "unix" : "unix:" + path;
        }
        if (!(address instanceof InetSocketAddress)) {
            return "?";
        }
        InetSocketAddress a = (InetSocketAddress) address;
        InetAddress ip = a.getAddress();
        String host = ip instanceof Inet6Address ? shortV6((Inet6Address) ip) : a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The RFC 5952 text of {@code ip}: lower case, no leading zeros, the longest run of zero groups as ::. */
    static String shortV6(Inet6Address ip) {
        byte[] b = ip.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        }
        int bestStart = -1;
        int bestLen = 1;  // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        if (ip.getScopeId() != 0 || ip.getScopedInterface() != null) {
            sb.append('%').append(ip.getScopedInterface() != null ? ip.getScopedInterface().getName() : ip.getScopeId());
        }
        return sb.toString();
    }

    /**
     * The {@code --stats} line: {@code TIME stats open=N backend=NAME running=N started=N
     * finished=N bytes=N [RESOURCE=N ...]}, from {@link io.github.splice4j.Splice#stats()} for the
     * relay's backend ({@code open} is the relay's own count of open connections).
     */
    static String stats(int open, String backend) {
        StringBuilder b = new StringBuilder(timestamp()).append(" stats open=").append(open);
        for (io.github.splice4j.SpliceStats s : io.github.splice4j.Splice.stats()) {
            if (s.backend().equals(backend)) {
                b.append(" backend=").append(s.backend()).append(" running=").append(s.running())
                        .append(" started=").append(s.started()).append(" finished=").append(s.finished())
                        .append(" bytes=").append(s.bytes());
                new java.util.TreeMap<>(s.resources()).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            }
        }
        return b.toString();
    }

    /** The time at the start of each log line: ISO-8601 in UTC. */
    static String timestamp() {
        return Instant.now().toString();
    }

    /**
     * A java.util.logging handler (the default System.Logger backend) writing the library's and
     * the relay's own log records as one line each, {@code TIME LEVEL LOGGER: MESSAGE[: CAUSE]}.
     */
    static Handler handler(Consumer<String> log) {
        SimpleFormatter messages = new SimpleFormatter();
        return new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                StringBuilder sb = new StringBuilder(120).append(timestamp()).append(' ').append(r.getLevel().getName())
                        .append(' ').append(r.getLoggerName()).append(": ").append(messages.formatMessage(r));
                for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                    sb.append(": ").append(t);
                }
                log.accept(sb.toString().replace('\n', ' '));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }
}
