package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.proxy.Demo.Received;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay command as a process: what its user sees on the wire, in its log and as exit code. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RelayCommandTest {

    static final Pattern STARTUP = Pattern.compile("splice-proxy relay listening on 127\\.0\\.0\\.1:(\\d+) -> "
            + "127\\.0\\.0\\.1:(\\d+) \\(backend nio\\) max-bytes=1M max-connections=10000 connect-timeout=5s drain=10s");

    /**
     * A 20 MiB download through {@code --max-bytes 1M} returns with exactly 1 MiB as soon as the
     * limit is reached (before, the client waited for its own timeout); SIGTERM then drains and
     * exits 0 after the summary.
     */
    @Test
    void relay_maxBytesDownload_endsPromptly_thenSigtermExitsZero() throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (ServerSocketChannel target = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = ((InetSocketAddress) target.getLocalAddress()).getPort();
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process p = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    SpliceProxy.class.getName(), "relay", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:" + port,
                    "--backend", "nio", "--max-bytes", "1M").redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String first = out.readLine();
                Matcher m = STARTUP.matcher(String.valueOf(first));
                assertTrue(m.matches(), first);
                try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))));
                        SocketChannel server = target.accept()) {
                    client.write(ByteBuffer.wrap("GET /20M\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                    pool.submit(() -> Demo.send(server, new long[] {20L << 20}, 1, false));
                    Received got = Demo.receive(client, -1);  // to end of stream: the relay closed it
                    assertEquals(1L << 20, got.count);
                }
                p.toHandle().destroy();  // SIGTERM; Process.destroy() would also close the streams we still read
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the relay did not stop within 30 s of SIGTERM");
                assertEquals(0, p.exitValue());
                List<String> rest = new ArrayList<>();
                for (String line; (line = out.readLine()) != null; ) {
                    rest.add(line);
                }
                assertTrue(rest.stream().anyMatch(l -> l.matches("\\S+ conn 1 127\\.0\\.0\\.1:\\d+ backend=nio "
                        + "up=12 UNSPLICED down=1048576 MAX_BYTES \\d+ms")), rest.toString());
                assertTrue(rest.get(rest.size() - 1).contains("splice-proxy relay stopped: 1 connection (0 could not "
                        + "connect, 0 ended with an error), 12 bytes up, 1048576 bytes down"), rest.toString());
            } finally {
                p.destroyForcibly();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code --stats 100ms} logs the library's snapshot: after one connection, it was counted with its bytes. */
    @Test
    void relay_stats_logsTheLibrarysCounts() throws Exception {
        try (ServerSocketChannel target = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = ((InetSocketAddress) target.getLocalAddress()).getPort();
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process p = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    SpliceProxy.class.getName(), "relay", "--listen", "127.0.0.1:0", "--connect", "127.0.0.1:" + port,
                    "--backend", "nio", "--stats", "100ms").redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String first = out.readLine();
                assertTrue(String.valueOf(first).endsWith(" stats=100ms"), first);
                int listen = Integer.parseInt(first.replaceAll(".* on 127\\.0\\.0\\.1:(\\d+) -> .*", "$1"));
                try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", listen));
                        SocketChannel server = target.accept()) {
                    client.write(ByteBuffer.wrap(new byte[5000]));
                    client.shutdownOutput();
                    ByteBuffer in = ByteBuffer.allocate(5000);
                    while (in.hasRemaining() && server.read(in) >= 0) {
                        // until the 5000 bytes are in
                    }
                    server.shutdownOutput();
                    assertEquals(-1, client.read(ByteBuffer.allocate(1)));
                }
                Pattern counted = Pattern.compile("\\S+ stats open=0 backend=nio running=0 started=1 finished=1 bytes=5000");
                List<String> seen = new ArrayList<>();
                for (String line; (line = out.readLine()) != null; ) {
                    seen.add(line);
                    if (counted.matcher(line).matches()) {
                        return;
                    }
                    assertTrue(seen.size() < 500, () -> "no stats line counting the connection: " + seen);
                }
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
