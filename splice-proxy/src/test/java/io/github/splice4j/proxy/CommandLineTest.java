package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.proxy.CommandLine.DemoConfig;
import io.github.splice4j.proxy.CommandLine.Help;
import io.github.splice4j.proxy.CommandLine.RelayConfig;
import io.github.splice4j.proxy.CommandLine.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CommandLineTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return SpliceProxy.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String[] relay(String... more) {
        return Stream.concat(Stream.of("relay", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:9"), Stream.of(more))
                .toArray(String[]::new);
    }

    /** Every command line that must be refused, and a part of the message that says why. */
    static Stream<Arguments> badArguments() {
        return Stream.of(
                Arguments.of(new String[] {}, "no command given"),
                Arguments.of(new String[] {"serve"}, "unknown command: serve"),
                Arguments.of(new String[] {"relay", "--connect", "127.0.0.1:9"}, "--listen ADDRESS is required"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1:0"}, "--connect ADDRESS is required"),
                Arguments.of(relay("--verbose"), "unknown option for relay: --verbose"),
                Arguments.of(relay("extra"), "unexpected argument: extra"),
                Arguments.of(relay("--idle"), "--idle needs a value"),
                Arguments.of(relay("--listen", "127.0.0.1:1"), "--listen given twice"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1", "--connect", "127.0.0.1:9"},
                        "expected HOST:PORT"),
                Arguments.of(new String[] {"relay", "--listen", ":80", "--connect", "127.0.0.1:9"}, "host is missing"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1:65536", "--connect", "127.0.0.1:9"},
                        "port must be a number from 0 to 65535"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1:http", "--connect", "127.0.0.1:9"},
                        "port must be a number"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1:-1", "--connect", "127.0.0.1:9"},
                        "port must be a number"),
                Arguments.of(new String[] {"relay", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:0"},
                        "port must be a number from 1 to 65535"),
                Arguments.of(new String[] {"relay", "--listen", "::1:80", "--connect", "127.0.0.1:9"}, "[ADDRESS]:PORT"),
                Arguments.of(new String[] {"relay", "--listen", "[::1]80", "--connect", "127.0.0.1:9"}, "[IPV6]:PORT"),
                Arguments.of(relay("--max-bytes", "-1"), "bad --max-bytes -1: must not be negative"),
                Arguments.of(relay("--max-bytes", "lots"), "bad --max-bytes lots"),
                Arguments.of(relay("--max-bytes", "99999999999999999999"), "too large"),
                Arguments.of(relay("--max-bytes", "9000000000G"), "too large"),
                Arguments.of(relay("--warmup", "-1M"), "bad --warmup -1M: must not be negative"),
                Arguments.of(relay("--warmup", "much"), "bad --warmup much"),
                Arguments.of(relay("--idle", "30"), "bad --idle 30"),
                Arguments.of(relay("--idle", "-5s"), "bad --idle -5s"),
                Arguments.of(relay("--idle", "5 s"), "bad --idle 5 s"),
                Arguments.of(relay("--idle", "PT-5S"), "must not be negative"),
                Arguments.of(relay("--idle", "PTxS"), "bad --idle PTxS"),
                Arguments.of(relay("--idle", "9999999999999999h"), "bad --idle"),
                Arguments.of(relay("--idle", "PT2562048H"), "bad --idle PT2562048H: tunnelIdleTimeout is too large"),
                Arguments.of(relay("--max-connections", "0"), "bad --max-connections 0: must be from 1"),
                Arguments.of(relay("--max-connections", "3000000000"), "bad --max-connections 3000000000"),
                Arguments.of(relay("--connect-timeout", "0s"), "bad --connect-timeout 0s: must be more than 0"),
                Arguments.of(relay("--drain", "soon"), "bad --drain soon"),
                Arguments.of(new String[] {"relay", "--listen", "unix:", "--connect", "127.0.0.1:9"},
                        "bad --listen unix:: the path is missing"),
                Arguments.of(relay("--backend", "nosuch"), "unknown backend nosuch; found: "),
                Arguments.of(relay("--backend", "broken"), "backend broken is unavailable: " + BrokenTestProvider.CAUSE),
                Arguments.of(new String[] {"demo", "--bytes", "0"}, "--bytes must be more than 0"),
                Arguments.of(new String[] {"demo", "--bytes", "-3"}, "must not be negative"),
                Arguments.of(new String[] {"demo", "--listen", "127.0.0.1:1"}, "unknown option for demo: --listen"));
    }

    @ParameterizedTest
    @MethodSource("badArguments")
    void run_badArgument_printsUsageAndExits2(String[] args, String why) {
        assertEquals(2, run(args));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("splice-proxy: ") && text.contains(why), text);
        assertTrue(text.contains(CommandLine.USAGE), text);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void run_help_printsUsageAndExits0() {
        assertEquals(0, run("--help"));
        assertEquals(CommandLine.USAGE, out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void parse_helpAfterBadArguments_winsOverThem() throws Exception {
        assertInstanceOf(Help.class, CommandLine.parse("relay", "--bogus", "-h"));
    }

    @Test
    void parse_relay_resolvesEveryValue() throws Exception {
        RelayConfig c = (RelayConfig) CommandLine.parse("relay", "--listen", "127.0.0.1:0", "--connect=localhost:5201",
                "--backend", "nio", "--max-bytes", "4K", "--idle", "PT1.5S", "--warmup", "64M");
        assertEquals(new InetSocketAddress("127.0.0.1", 0), c.listen());
        assertEquals(InetSocketAddress.createUnresolved("localhost", 5201), c.connect());
        assertEquals("nio", c.backend().name());
        assertEquals(4096, c.options().maxBytes());
        assertEquals(Duration.ofMillis(1500), c.options().tunnelIdleTimeout());
        assertEquals(Duration.ZERO, c.options().idleTimeout());
        assertEquals(64L << 20, c.warmupBytes());
        assertEquals("max-bytes=4K idle=PT1.5S warmup=64M max-connections=10000 connect-timeout=5s drain=10s", c.text());
    }

    @Test
    void parse_relayWithoutOptions_usesDefaults() throws Exception {
        RelayConfig c = (RelayConfig) CommandLine.parse(relay());
        assertEquals(io.github.splice4j.SpliceOptions.defaults(), c.options());
        assertEquals(io.github.splice4j.Splice.backend(), c.backend().name());
        assertEquals(0, c.warmupBytes());
        assertEquals(10_000, c.maxConnections());
        assertEquals(Duration.ofSeconds(5), c.connectTimeout());
        assertEquals(Duration.ofSeconds(10), c.drain());
    }

    @Test
    void idle_zero_meansNever() throws Exception {
        RelayConfig c = (RelayConfig) CommandLine.parse(relay("--idle", "0"));
        assertEquals(Duration.ZERO, c.options().tunnelIdleTimeout());
    }

    @Test
    void maxBytes_lowerCaseSuffix_isAccepted() throws Exception {
        assertEquals(1024, ((RelayConfig) CommandLine.parse(relay("--max-bytes", "1k"))).options().maxBytes());
        assertEquals(1024, ((RelayConfig) CommandLine.parse(relay("--max-bytes", "1K"))).options().maxBytes());
    }

    @Test
    void connect_ipLiteral_isResolvedOnce() throws Exception {
        RelayConfig c = (RelayConfig) CommandLine.parse(relay());
        assertFalse(((InetSocketAddress) c.connect()).isUnresolved());
    }

    @Test
    void listenAndConnect_unixPaths() throws Exception {
        RelayConfig c = (RelayConfig) CommandLine.parse("relay", "--listen", "unix:/tmp/in.sock", "--connect",
                "unix:/tmp/out.sock", "--max-connections", "5", "--connect-timeout", "250ms", "--drain", "0");
        assertEquals(UnixDomainSocketAddress.of("/tmp/in.sock"), c.listen());
        assertEquals(UnixDomainSocketAddress.of("/tmp/out.sock"), c.connect());
        assertEquals(5, c.maxConnections());
        assertEquals(Duration.ofMillis(250), c.connectTimeout());
        assertEquals(Duration.ZERO, c.drain());
    }

    @Test
    void run_version_printsTheBuildVersion() {
        assertEquals(0, run("--version"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.matches("splice-proxy \\d+\\.\\d+\\.\\d+\\S*\\R"), text);
    }

    @Test
    void usage_listsEveryRelayOption() {
        for (String flag : new String[] {"--listen", "--connect", "--backend", "--max-bytes", "--idle", "--warmup",
                "--max-connections", "--connect-timeout", "--drain", "--version", "--help"}) {
            assertTrue(CommandLine.USAGE.contains(flag + " ") || CommandLine.USAGE.contains(flag + "\n"), flag);
        }
    }

    @Test
    void format_ipv6_isShort() {
        assertEquals("[::1]:8080", RelayLog.format(new InetSocketAddress("::1", 8080)));
        assertEquals("[2001:db8::1:0:0:1]:80", RelayLog.format(new InetSocketAddress("2001:db8:0:0:1:0:0:1", 80)));
        assertEquals("[fe80:0:1::]:80", RelayLog.format(new InetSocketAddress("fe80:0:1:0:0:0:0:0", 80)));
        assertEquals("127.0.0.1:80", RelayLog.format(new InetSocketAddress("127.0.0.1", 80)));
        assertEquals("unix:/tmp/a.sock", RelayLog.format(UnixDomainSocketAddress.of("/tmp/a.sock")));
    }

    @Test
    void summary_oneConnection_isSingular() {
        SpliceProxy.Summary s = new SpliceProxy.Summary();
        s.add(new Relay.Finished(1, null, null, "nio", false, java.util.Optional.empty(),
                java.util.Optional.of(new java.io.IOException("refused")), Duration.ZERO));
        assertTrue(s.line().contains(" stopped: 1 connection (1 could not connect, "), s.line());
    }

    @Test
    void libraryLogRecord_isOneLineInTheRelayFormat() {
        java.util.List<String> lines = new java.util.ArrayList<>();
        java.util.logging.LogRecord r = new java.util.logging.LogRecord(java.util.logging.Level.WARNING, "pipe {0} lost");
        r.setParameters(new Object[] {7});
        r.setLoggerName("io.github.splice4j");
        r.setThrown(new java.io.IOException("boom"));
        RelayLog.handler(lines::add).publish(r);
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).matches("\\S+Z WARNING io\\.github\\.splice4j: pipe 7 lost: java\\.io\\.IOException: boom"),
                lines.get(0));
    }

    @Test
    void parse_ipv6Listen_isBracketed() throws Exception {
        InetSocketAddress a = CommandLine.hostPort("--listen", "[::1]:8080", true);
        assertEquals(8080, a.getPort());
        assertEquals("[::1]:8080", RelayLog.format(a));
    }

    @Test
    void duration_units() throws Exception {
        assertEquals(Duration.ofMillis(500), CommandLine.duration("--idle", "500ms"));
        assertEquals(Duration.ofSeconds(30), CommandLine.duration("--idle", "30s"));
        assertEquals(Duration.ofMinutes(2), CommandLine.duration("--idle", "2m"));
        assertEquals(Duration.ofHours(1), CommandLine.duration("--idle", "1h"));
        assertEquals(Duration.ofSeconds(30), CommandLine.duration("--idle", "PT30S"));
        assertEquals(Duration.ZERO, CommandLine.duration("--idle", "0s"));
    }

    @Test
    void size_suffixes() throws Exception {
        assertEquals(0, CommandLine.size("--max-bytes", "0"));
        assertEquals(1234, CommandLine.size("--max-bytes", "1234"));
        assertEquals(3L << 20, CommandLine.size("--max-bytes", "3M"));
        assertEquals(2L << 30, CommandLine.size("--max-bytes", "2G"));
        assertEquals(3L << 20, CommandLine.size("--max-bytes", "3m"));
        assertEquals(2L << 30, CommandLine.size("--max-bytes", "2g"));
        assertThrows(UsageException.class, () -> CommandLine.size("--max-bytes", "2T"));
    }

    @Test
    void parse_demo_defaultsTo256MiB() throws Exception {
        assertEquals(256L << 20, ((DemoConfig) CommandLine.parse("demo")).bytes());
        assertEquals(8L << 20, ((DemoConfig) CommandLine.parse("demo", "--bytes", "8M")).bytes());
    }
}
