package io.github.splice4j.proxy;

import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/** The usage example of splice-proxy/README.md, word for word, so the build compiles it. */
final class ReadmeExample {

    private ReadmeExample() {
    }

    static Relay start(int port, String backendHost, int backendPort) throws IOException {
        // ---- README example: begin ----
        Relay relay = Relay.builder()
                .listen(new InetSocketAddress("127.0.0.1", port))
                .target(client -> InetSocketAddress.createUnresolved(backendHost, backendPort))
                .options(SpliceOptions.builder().tunnelIdleTimeout(Duration.ofMinutes(5)).build())
                .maxConnections(10_000)
                .connectTimeout(Duration.ofSeconds(5))
                .onFinished(f -> System.out.println(f.client() + " -> " + f.target() + ": " + f.result()))
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> relay.drain(Duration.ofSeconds(10))));
        // ---- README example: end ----
        return relay;
    }
}
