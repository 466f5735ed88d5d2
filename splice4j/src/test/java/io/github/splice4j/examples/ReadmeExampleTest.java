package io.github.splice4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the README's example relay against a real echo server on loopback, with the target port
 * closed for the first client: that client is closed, and the relay serves the next ones.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadmeExampleTest {

    private static final long WAIT_SECONDS = 30;
    /**
     * A thread for each blocking task (relay, echo server, writer): the common pool may have a
     * single thread on a small machine, and these tasks wait on one another.
     */
    private static final Executor THREADS = task -> {
        Thread t = new Thread(task, "readme-example-test");
        t.setDaemon(true);
        t.start();
    };

    @Test
    void relay_refusedUpstreamThenEchoServer_closesFirstClientAndRelaysTheNext() throws Exception {
        InetSocketAddress target = closedPort();
        try (ServerSocketChannel front = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            InetSocketAddress relayAddress = (InetSocketAddress) front.getLocalAddress();
            CompletableFuture<Void> relay = CompletableFuture.runAsync(() -> {
                try {
                    ReadmeExample.relay(front, target);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, THREADS);

            // nothing listens on the target yet: the relay closes this client without a byte
            try (SocketChannel refused = SocketChannel.open(relayAddress)) {
                assertEquals(-1, refused.read(ByteBuffer.allocate(1)), "the client of a refused upstream is closed");
            }

            try (ServerSocketChannel echo = ServerSocketChannel.open()) {
                echo.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                echo.bind(target);
                CompletableFuture<Void> echoing = CompletableFuture.runAsync(() -> echo(echo, 2), THREADS);
                for (int i = 0; i < 2; i++) {
                    byte[] sent = new byte[(1 << 20) + i];
                    new Random(i).nextBytes(sent);
                    assertArrayEquals(sent, roundTrip(relayAddress, sent), "client " + i);
                }
                echoing.get(WAIT_SECONDS, TimeUnit.SECONDS);
            }

            front.close();
            ExecutionException stopped = assertThrows(ExecutionException.class,
                    () -> relay.get(WAIT_SECONDS, TimeUnit.SECONDS));
            assertInstanceOf(ClosedChannelException.class, stopped.getCause().getCause(),
                    "the relay ends when its listening channel is closed");
        }
    }

    /** An address on loopback where nothing listens: a port just bound and released. */
    private static InetSocketAddress closedPort() throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return (InetSocketAddress) s.getLocalAddress();
        }
    }

    /** Accepts {@code connections} connections one after another and echoes each until its end of stream. */
    private static void echo(ServerSocketChannel server, int connections) {
        try {
            for (int i = 0; i < connections; i++) {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocate(64 << 10);
                    while (c.read(buf) >= 0) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            c.write(buf);
                        }
                        buf.clear();
                    }
                    c.shutdownOutput();
                }
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Sends {@code data} through the relay, half-closes, and returns every byte read back until end of stream. */
    private static byte[] roundTrip(InetSocketAddress relay, byte[] data) throws Exception {
        try (SocketChannel c = SocketChannel.open(relay)) {
            // written on its own thread: echo and relay buffers together hold less than a megabyte
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    ByteBuffer out = ByteBuffer.wrap(data);
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                    c.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }, THREADS);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 << 10);
            while (c.read(buf) >= 0) {
                got.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            writer.get(WAIT_SECONDS, TimeUnit.SECONDS);
            return got.toByteArray();
        }
    }
}
