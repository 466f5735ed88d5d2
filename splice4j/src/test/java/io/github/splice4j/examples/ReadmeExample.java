package io.github.splice4j.examples;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The README's usage example, compiled and tested by the build (ReadmeExampleTest): a TCP relay
 * that splices every accepted client to a new connection to one target. The README shows
 * {@link #relay} from {@code while} to its end; keep the two the same.
 */
public final class ReadmeExample {

    private static final System.Logger LOG = System.getLogger(ReadmeExample.class.getName());

    private ReadmeExample() {
    }

    /**
     * Accepts clients on {@code server} and splices each one to a new connection to
     * {@code target}, until {@code server} is closed. A client whose upstream connection fails is
     * closed, and the relay goes on with the next one.
     *
     * @param server the bound listening channel, blocking
     * @param target where every client is relayed to
     * @throws IOException if accepting fails, or (as {@link java.nio.channels.ClosedChannelException})
     *     once {@code server} is closed
     */
    static void relay(ServerSocketChannel server, InetSocketAddress target) throws IOException {
        SpliceOptions options = SpliceOptions.builder().tunnelIdleTimeout(Duration.ofMinutes(5)).build();
        while (true) {
            SocketChannel client = server.accept();
            SocketChannel upstream;
            try {
                upstream = SocketChannel.open(target);
            } catch (IOException e) {
                LOG.log(WARNING, "cannot connect to {0}: {1}", target, e.toString());
                client.close();
                continue;
            }
            try {
                SpliceHandle h = Splice.bidirectional(client, upstream, options);
                h.completion().thenAccept(r -> {
                    LOG.log(INFO, "{0} B up ({1}), {2} B down ({3})",
                            r.bytes(FORWARD), r.end(FORWARD), r.bytes(REVERSE), r.end(REVERSE));
                    h.close(); // the splice is over: this closes both channels
                });
            } catch (IOException | RuntimeException e) {
                LOG.log(WARNING, "cannot splice: {0}", e.toString());
                client.close();
                upstream.close();
            }
        }
    }

    /**
     * Relays 127.0.0.1:8080 to 127.0.0.1:9000 until the process is stopped.
     *
     * @param args ignored
     * @throws IOException if the listening port cannot be bound
     */
    public static void main(String[] args) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 8080))) {
            relay(server, new InetSocketAddress("127.0.0.1", 9000));
        }
    }
}
