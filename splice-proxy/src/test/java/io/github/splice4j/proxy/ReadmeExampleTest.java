package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's example runs: an echo server behind it answers through it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeExampleTest {

    @Test
    void readmeExample_againstEchoServer_echoes() throws Exception {
        try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (java.io.IOException e) {
                    // the test's assertions report what went wrong
                }
            });
            t.setDaemon(true);
            t.start();
            int free;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                free = probe.getLocalPort();
            }
            Relay relay = ReadmeExample.start(free, "localhost", echo.getLocalPort());
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress("127.0.0.1", free));
                byte[] hello = "hello through the relay".getBytes(StandardCharsets.US_ASCII);
                client.getOutputStream().write(hello);
                client.shutdownOutput();
                assertArrayEquals(hello, client.getInputStream().readAllBytes());
            } finally {
                relay.close();
            }
            assertEquals(0, relay.activeConnections());
        }
    }

    @Test
    void readme_showsTheExampleVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/github/splice4j/proxy/ReadmeExample.java"));
        String begin = "// ---- README example: begin ----\n";
        String example = source.substring(source.indexOf(begin) + begin.length(),
                source.indexOf("        // ---- README example: end ----"));
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains(example.replaceAll("(?m)^        ", "")), "splice-proxy/README.md differs from ReadmeExample");
    }
}
