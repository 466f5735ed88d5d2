package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.proxy.CommandLine.RelayConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * A TCP relay: every connection accepted on the listen address is spliced, both ways, to a new
 * connection to the target.
 *
 * <p>Threads: one acceptor, a few connector threads, and the library's event loops, which do all
 * the byte moving; no thread per connection. Connecting to the target is a blocking connect with
 * a {@value #CONNECT_TIMEOUT_MILLIS} ms timeout on a small bounded pool rather than on the
 * acceptor, so one slow or unreachable target does not stop every other client from being
 * accepted. When the pool and its queue are full, the acceptor connects itself: accepting slows
 * down and new clients wait in the kernel's listen backlog instead of in an unbounded queue.
 *
 * <p>Each finished connection is logged as one line (see {@link CommandLine#USAGE}), after both
 * sockets are closed.
 */
final class Relay implements AutoCloseable {

    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int BACKLOG = 4096;
    private static final int CONNECT_QUEUE = 1024;

    private final RelayConfig config;
    private final Consumer<String> log;
    private final ServerSocketChannel server;
    private final InetSocketAddress local;
    private final Thread acceptor;
    private final ThreadPoolExecutor connector;
    private final Map<Long, Connection> active = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long started = System.nanoTime();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder bytesUp = new LongAdder();
    private final LongAdder bytesDown = new LongAdder();
    private long nextId;

    /** One client connection from accept until both sockets are closed. */
    private static final class Connection {
        final long id;
        final SocketChannel client;
        /** Kept from accept: a closed socket no longer tells its peer's address. */
        final SocketAddress remote;
        final long start = System.nanoTime();
        volatile SocketChannel upstream;
        volatile SpliceHandle handle;
        volatile CompletableFuture<Void> logged;

        Connection(long id, SocketChannel client) {
            this.id = id;
            this.client = client;
            this.remote = remoteAddress(client);
        }
    }

    private Relay(RelayConfig config, Consumer<String> log, ServerSocketChannel server) throws IOException {
        this.config = config;
        this.log = log;
        this.server = server;
        this.local = (InetSocketAddress) server.getLocalAddress();
        int threads = Math.max(2, Math.min(8, 2 * Runtime.getRuntime().availableProcessors()));
        AtomicInteger n = new AtomicInteger();
        this.connector = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(CONNECT_QUEUE), r -> {
                    Thread t = new Thread(r, "splice-proxy-connect-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, connectInCallerOrDrop());
        connector.allowCoreThreadTimeOut(true);
        this.acceptor = new Thread(this::acceptLoop, "splice-proxy-accept");
    }

    /**
     * Binds the listen address, logs the startup line and starts accepting.
     *
     * @param log receives every line the relay logs; called from several threads
     * @throws IOException if the listen address cannot be bound
     */
    static Relay start(RelayConfig config, Consumer<String> log) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(config.listen(), BACKLOG);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        Relay relay = new Relay(config, log, server);
        log.accept("splice-proxy relay listening on " + format(relay.local) + " -> " + format(config.connect())
                + " (backend " + config.backend().name() + ")");
        relay.acceptor.start();
        return relay;
    }

    /** The address the relay listens on (with the real port if port 0 was asked for). */
    InetSocketAddress localAddress() {
        return local;
    }

    /** Connections accepted and not yet finished. */
    int activeConnections() {
        return active.size();
    }

    /** Waits until the relay stops accepting: after {@link #close()}, or if accepting failed for good. */
    void awaitClosed() throws InterruptedException {
        acceptor.join();
    }

    /**
     * Stops accepting, closes every connection still open (each is logged), then logs the summary
     * line. Calling it again has no effect.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(server);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // interrupting a connector closes the channel it is connecting (InterruptibleChannel)
        connector.shutdownNow();
        try {
            connector.awaitTermination(CONNECT_TIMEOUT_MILLIS + 1_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection c : active.values()) {
            SpliceHandle h = c.handle;
            if (h != null) {
                h.close();
                awaitLogged(c);
            } else {
                closeQuietly(c.client);
                closeQuietly(c.upstream);
                active.remove(c.id);
            }
        }
        log.accept(timestamp() + " splice-proxy relay stopped: " + accepted.sum() + " connections ("
                + connectFailures.sum() + " could not connect, " + failed.sum() + " ended with an error), "
                + bytesUp.sum() + " bytes up, " + bytesDown.sum() + " bytes down, ran "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
    }

    private static void awaitLogged(Connection c) {
        CompletableFuture<Void> f = c.logged;
        if (f != null) {
            try {
                f.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // its line is missing from the log; the connection itself is closed
            }
        }
    }

    private void acceptLoop() {
        while (!closed.get()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                break;  // close(): AsynchronousCloseException is one of these
            } catch (IOException e) {
                // typically EMFILE: the client waits in the backlog; pausing keeps this from spinning
                log.accept(timestamp() + " accept failed: " + e.getMessage());
                sleep(100);
                continue;
            }
            accepted.increment();
            Connection c = new Connection(++nextId, client);
            active.put(c.id, c);
            if (closed.get()) {
                closeQuietly(client);
                active.remove(c.id);
                break;
            }
            connector.execute(new Connect(c));
        }
    }

    /** The connector task; a class so the rejection handler can reach the connection. */
    private final class Connect implements Runnable {
        final Connection connection;

        Connect(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void run() {
            connect(connection);
        }
    }

    private RejectedExecutionHandler connectInCallerOrDrop() {
        return (task, pool) -> {
            Connection c = ((Connect) task).connection;
            if (pool.isShutdown()) {
                closeQuietly(c.client);
                active.remove(c.id);
            } else {
                task.run();
            }
        };
    }

    private void connect(Connection c) {
        SocketChannel upstream = null;
        try {
            // small request/response traffic must not wait for Nagle; the C reference relay does the same
            c.client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            upstream = SocketChannel.open();
            c.upstream = upstream;
            upstream.setOption(StandardSocketOptions.TCP_NODELAY, true);
            upstream.socket().connect(config.connect(), CONNECT_TIMEOUT_MILLIS);
        } catch (IOException | RuntimeException e) {
            connectFailures.increment();
            closeQuietly(c.client);
            closeQuietly(upstream);
            log.accept(timestamp() + " conn " + c.id + " " + remote(c) + " connect to "
                    + format(config.connect()) + " failed: " + CommandLine.describe(e));
            active.remove(c.id);
            return;
        }
        SpliceHandle h;
        try {
            h = config.backend().bidirectional(c.client, upstream, config.options());
        } catch (IOException | RuntimeException e) {
            failed.increment();
            closeQuietly(c.client);
            closeQuietly(upstream);
            log.accept(timestamp() + " conn " + c.id + " " + remote(c) + " splice failed: "
                    + CommandLine.describe(e));
            active.remove(c.id);
            return;
        }
        c.handle = h;
        c.logged = h.completion().thenAccept(r -> finished(c, r));
        if (closed.get()) {
            h.close();  // the relay is closing (and may have given up waiting for this thread): end it now
        }
    }

    /**
     * Runs on an event-loop thread: keeps to closing two sockets and queueing one line. The
     * connection leaves {@link #active} last, so {@link #close()} either waits for its line or
     * finds it gone with its line already queued: the summary always comes after it.
     */
    private void finished(Connection c, SpliceResult r) {
        closeQuietly(c.client);
        closeQuietly(c.upstream);
        long up = r.bytes(Direction.FORWARD);
        long down = r.bytes(Direction.REVERSE);
        bytesUp.add(up);
        bytesDown.add(down);
        Optional<IOException> error = r.error(Direction.FORWARD).or(() -> r.error(Direction.REVERSE));
        if (error.isPresent()) {
            failed.increment();
        }
        log.accept(line(c.id, remote(c), c.handle.backend(), r,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c.start)));
        active.remove(c.id);
    }

    /** The per-connection line; its format is documented in {@link CommandLine#USAGE}. */
    static String line(long id, String client, String backend, SpliceResult r, long millis) {
        StringBuilder sb = new StringBuilder(160).append(timestamp()).append(" conn ").append(id).append(' ')
                .append(client).append(" backend=").append(backend)
                .append(" up=").append(r.bytes(Direction.FORWARD)).append(' ').append(r.end(Direction.FORWARD))
                .append(" down=").append(r.bytes(Direction.REVERSE)).append(' ').append(r.end(Direction.REVERSE))
                .append(' ').append(millis).append("ms");
        r.error(Direction.FORWARD).or(() -> r.error(Direction.REVERSE))
                .ifPresent(e -> sb.append(" error: ").append(CommandLine.describe(e)));
        return sb.toString();
    }

    private static SocketAddress remoteAddress(SocketChannel channel) {
        try {
            return channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    private static String remote(Connection c) {
        return c.remote instanceof InetSocketAddress ? format((InetSocketAddress) c.remote) : "?";
    }

    /** {@code host:port}, {@code [v6]:port} for IPv6 literals. */
    static String format(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The time at the start of each log line: ISO-8601 in UTC. */
    static String timestamp() {
        return Instant.now().toString();
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing is all that is left to do with it
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
