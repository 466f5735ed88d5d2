package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.proxy.CommandLine.RelayConfig;
import io.github.splice4j.proxy.Demo.Received;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay on loopback: real sockets, real splices, the log lines a user reads. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RelayTest {

    /** The per-connection line of {@link CommandLine#USAGE}. */
    static final Pattern LINE = Pattern.compile("(\\S+) conn (\\d+) (\\S+) backend=(\\S+) up=(\\d+) ([A-Z_]+) "
            + "down=(\\d+) ([A-Z_]+) (\\d+)ms( error: .+)?");
    static final Pattern STARTUP = Pattern.compile(
            "splice-proxy relay listening on 127\\.0\\.0\\.1:(\\d+) -> 127\\.0\\.0\\.1:(\\d+) \\(backend nio\\)");

    private final BlockingQueue<String> log = new LinkedBlockingQueue<>();
    private final List<SocketChannel> opened = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private ServerSocketChannel target;
    private Relay relay;

    @BeforeEach
    void openTarget() throws IOException {
        target = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void closeAll() throws IOException {
        if (relay != null) {
            relay.close();
        }
        pool.shutdownNow();
        for (SocketChannel c : opened) {
            c.close();
        }
        target.close();
    }

    private Relay start(SpliceOptions options) throws IOException {
        return start(options, (InetSocketAddress) target.getLocalAddress());
    }

    private Relay start(SpliceOptions options, InetSocketAddress connect) throws IOException {
        RelayConfig config = new RelayConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                connect, Splice.using("nio"), options, 0);
        relay = Relay.start(config, log::add);
        return relay;
    }

    /** A client connected through the relay, and the target's end of the relay's upstream connection. */
    private SocketChannel[] connect() throws IOException {
        SocketChannel client = SocketChannel.open(relay.localAddress());
        opened.add(client);
        SocketChannel server = target.accept();
        opened.add(server);
        return new SocketChannel[] {client, server};
    }

    private String nextLine() throws InterruptedException {
        String line = log.poll(20, TimeUnit.SECONDS);
        assertNotNull(line, "no log line within 20 s");
        return line;
    }

    private Matcher connectionLine() throws InterruptedException {
        String line = nextLine();
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), line);
        Instant.parse(m.group(1));  // the time is ISO-8601, or this throws
        return m;
    }

    @Test
    void start_logsStartupLine() throws Exception {
        start(SpliceOptions.defaults());
        Matcher m = STARTUP.matcher(nextLine());
        assertTrue(m.matches());
        assertEquals(relay.localAddress().getPort(), Integer.parseInt(m.group(1)));
        assertEquals(((InetSocketAddress) target.getLocalAddress()).getPort(), Integer.parseInt(m.group(2)));
    }

    @Test
    void relay_concurrentConnections_deliverEveryByteBothWaysAndLogEach() throws Exception {
        start(SpliceOptions.defaults());
        nextLine();
        int connections = 3;
        Set<String> expected = new HashSet<>();
        List<Future<?>> checks = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            SocketChannel[] c = connect();
            int seed = i;
            long up = (4L << 20) + i;
            long down = (1L << 20) + 7 * i;
            expected.add(((InetSocketAddress) c[0].getLocalAddress()).getPort() + " " + up + " " + down);
            Future<byte[][]> sentUp = pool.submit(() -> Demo.send(c[0], new long[] {up}, 10 + seed, true));
            Future<Received> gotUp = pool.submit(() -> Demo.receive(c[1], -1));
            Future<byte[][]> sentDown = pool.submit(() -> Demo.send(c[1], new long[] {down}, 20 + seed, true));
            Future<Received> gotDown = pool.submit(() -> Demo.receive(c[0], -1));
            checks.add(pool.submit(() -> {
                Received u = gotUp.get();
                Received d = gotDown.get();
                assertEquals(up, u.count);
                assertEquals(down, d.count);
                assertArrayEquals(sentUp.get()[0], u.digest);
                assertArrayEquals(sentDown.get()[0], d.digest);
                return null;
            }));
        }
        for (Future<?> f : checks) {
            f.get(60, TimeUnit.SECONDS);
        }
        Set<String> logged = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            Matcher m = connectionLine();
            assertTrue(m.group(3).startsWith("127.0.0.1:"), m.group());
            assertEquals("nio", m.group(4));
            assertEquals("EOF", m.group(6));
            assertEquals("EOF", m.group(8));
            assertEquals(null, m.group(10));
            logged.add(m.group(3).substring("127.0.0.1:".length()) + " " + m.group(5) + " " + m.group(7));
        }
        assertEquals(expected, logged);
    }

    @Test
    void relay_targetRefuses_closesClientAndLogsFailure() throws Exception {
        InetSocketAddress closed = (InetSocketAddress) target.getLocalAddress();
        int port = closed.getPort();
        target.close();  // nothing listens there now: connecting is refused
        start(SpliceOptions.defaults(), closed);
        nextLine();
        SocketChannel client = SocketChannel.open(relay.localAddress());
        opened.add(client);
        assertEquals(-1, readOrReset(client));
        String line = nextLine();
        assertTrue(Pattern.matches("\\S+ conn 1 127\\.0\\.0\\.1:\\d+ connect to 127\\.0\\.0\\.1:" + port
                + " failed: Connection refused", line), line);
    }

    @Test
    void relay_idleOption_endsSilentConnection() throws Exception {
        start(SpliceOptions.builder().idleTimeout(Duration.ofMillis(200)).build());
        nextLine();
        SocketChannel[] c = connect();
        long t0 = System.nanoTime();
        assertEquals(-1, readOrReset(c[0]));
        assertEquals(-1, readOrReset(c[1]));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150));
        Matcher m = connectionLine();
        assertEquals("0 IDLE_TIMEOUT 0 IDLE_TIMEOUT", m.group(5) + " " + m.group(6) + " " + m.group(7) + " " + m.group(8));
    }

    @Test
    void relay_maxBytesOption_deliversExactlyTheLimit() throws Exception {
        start(SpliceOptions.builder().maxBytes(1000).build());
        nextLine();
        SocketChannel[] c = connect();
        Future<byte[][]> sent = pool.submit(() -> Demo.send(c[0], new long[] {1000, 4000}, 5, false));
        Received got = Demo.receive(c[1], 1000);
        c[1].shutdownOutput();  // ends the other direction, so the connection finishes
        assertEquals(-1, readOrReset(c[1]));
        assertArrayEquals(sent.get(20, TimeUnit.SECONDS)[0], got.digest);
        Matcher m = connectionLine();
        assertEquals("1000 MAX_BYTES 0 EOF", m.group(5) + " " + m.group(6) + " " + m.group(7) + " " + m.group(8));
    }

    @Test
    void close_endsOpenConnectionsThenLogsSummary() throws Exception {
        start(SpliceOptions.defaults());
        nextLine();
        SocketChannel[] c = connect();
        c[0].write(ByteBuffer.wrap(new byte[] {42}));
        assertEquals(1, Demo.receive(c[1], 1).count);  // spliced: the byte went through
        relay.close();
        assertEquals(-1, readOrReset(c[0]));
        Matcher m = connectionLine();
        assertEquals("1 UNSPLICED 0 UNSPLICED", m.group(5) + " " + m.group(6) + " " + m.group(7) + " " + m.group(8));
        String summary = nextLine();
        assertTrue(Pattern.matches("\\S+ splice-proxy relay stopped: 1 connections \\(0 could not connect, "
                + "0 ended with an error\\), 1 bytes up, 0 bytes down, ran \\d+ ms", summary), summary);
        assertEquals(0, relay.activeConnections());
        assertThrows(ConnectException.class, () -> SocketChannel.open(relay.localAddress()).close());
    }

    /**
     * The relay as a process: SIGTERM (what {@code kill} and {@link ProcessHandle#destroy()} send) stops
     * it with exit code 0, after logging the connection and the summary.
     */
    @Test
    void main_sigterm_exitsZeroAfterSummary() throws Exception {
        int port = ((InetSocketAddress) target.getLocalAddress()).getPort();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                SpliceProxy.class.getName(), "relay", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:" + port,
                "--backend", "nio").redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            Matcher m = STARTUP.matcher(String.valueOf(first));
            assertTrue(m.matches(), first);
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))));
                    SocketChannel server = target.accept()) {
                client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                assertEquals(4, Demo.receive(server, 4).count);
            }
            p.toHandle().destroy();  // SIGTERM; Process.destroy() would also close the streams we still read
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the relay did not stop within 30 s of SIGTERM");
            assertEquals(0, p.exitValue());
            List<String> rest = new ArrayList<>();
            for (String line; (line = out.readLine()) != null; ) {
                rest.add(line);
            }
            assertTrue(rest.stream().anyMatch(l -> LINE.matcher(l).matches() && l.contains(" up=4 ")), rest.toString());
            assertTrue(rest.get(rest.size() - 1).contains("splice-proxy relay stopped: 1 connections"), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    /** Reads to end of stream (a reset counts as the end): -1 if no byte came before it, else the bytes read. */
    private static int readOrReset(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        int total = 0;
        try {
            for (int n; (n = c.read(b)) >= 0; b.clear()) {
                total += n;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) {
                throw e;
            }
        }
        return total == 0 ? -1 : total;
    }
}
