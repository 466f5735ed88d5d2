package io.github.splice4j.proxy;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A relay: every connection accepted on a listen address is spliced, both ways, to a new
 * connection to a target chosen for that client. TCP and UNIX-domain sockets work on either side.
 *
 * <pre>{@code
 * try (Relay relay = Relay.builder()
 *         .listen(new InetSocketAddress("0.0.0.0", 8080))
 *         .target(client -> InetSocketAddress.createUnresolved("backend.internal", 80))
 *         .options(SpliceOptions.builder().tunnelIdleTimeout(Duration.ofMinutes(5)).build())
 *         .onFinished(f -> System.out.println(f.client() + " " + f.result()))
 *         .start()) {
 *     relay.awaitClosed();
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> One relay thread accepts, opens each upstream connection with a
 * non-blocking connect and starts the splice when it completes; the library's event loops move
 * the bytes. There is no thread per connection and no blocking connect. An unresolved
 * {@link InetSocketAddress} target is resolved on the relay thread for each connection (through
 * the JVM's name cache, {@code networkaddress.cache.ttl}), so a DNS change is seen by the next
 * connections; a slow resolver delays accepting while it answers.
 *
 * <p><b>How a connection ends.</b> A direction that reaches end of stream is half-closed, as TCP
 * does, and the other direction keeps running. A direction that ends any other way (maximum
 * bytes, idle timeout, error) ends the connection: the other direction is unspliced, which
 * delivers the bytes already taken from its source, and both sockets are closed, so neither peer
 * waits for bytes that will never come. Bytes a peer sent after that are not read: closing a TCP
 * socket with unread bytes makes the kernel reset the connection, and a reset discards what was
 * still queued towards that peer, so a peer that keeps sending past the end may miss the last
 * bytes sent to it (a client that stops sending, as an HTTP client waiting for its response does,
 * gets them all).
 *
 * <p><b>Limits.</b> While {@link Builder#maxConnections(int)} connections are open (connecting or
 * spliced), the relay stops accepting; new clients wait in the kernel's listen backlog (and are
 * refused by the kernel when it is full), and accepting resumes when a connection finishes. So
 * the relay holds at most two descriptors per allowed connection. A target that refuses or does
 * not answer within {@link Builder#connectTimeout(Duration)} has the client closed at once.
 *
 * <p>Each finished connection, spliced or not, is reported once to
 * {@link Builder#onFinished(Consumer)} after both its sockets are closed. Thread-safe.
 */
public final class Relay implements AutoCloseable {

    /** The default of {@link Builder#maxConnections(int)}. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /** The default of {@link Builder#connectTimeout(Duration)}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private static final System.Logger LOG = System.getLogger(Relay.class.getName());
    private static final int BACKLOG = 4096;
    private static final long ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Function<SocketAddress, SocketAddress> target;
    private final SpliceBackend backend;
    private final SpliceOptions options;
    private final int maxConnections;
    private final long connectTimeoutNanos;
    private final Consumer<? super Finished> onFinished;
    private final ServerSocketChannel server;
    private final SocketAddress local;
    private final Selector selector;
    private final SelectionKey serverKey;
    private final Thread thread;
    /** Connects in progress, oldest first; all share one timeout, so the head is due first. */
    private final ArrayDeque<Connection> connecting = new ArrayDeque<>();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicInteger active = new AtomicInteger();
    private final Object lock = new Object();
    /** Set once by drain(): no connection is accepted after it. */
    private volatile boolean draining;
    /** Set once drain()'s grace is over: a splice started after it is closed at once. */
    private volatile boolean closing;
    /** Set once the relay thread should exit. */
    private volatile boolean stopped;
    /** Relay thread only: accepting is paused (limit reached, or accept failed). */
    private boolean paused;
    private long acceptRetryAt;
    private long nextId;

    /** One client from accept until both its sockets are closed. */
    private static final class Connection {
        final long id;
        final SocketChannel client;
        final SocketAddress clientAddress;
        final long start = System.nanoTime();
        SocketAddress targetAddress;
        SocketChannel upstream;
        SelectionKey key;
        long deadline;
        boolean connected;
        volatile SpliceHandle handle;

        Connection(long id, SocketChannel client, SocketAddress clientAddress) {
            this.id = id;
            this.client = client;
            this.clientAddress = clientAddress;
        }
    }

    /**
     * What became of one connection, reported once to {@link Builder#onFinished(Consumer)} after
     * both its sockets are closed.
     *
     * @param id the connection's number, from 1 in the order of acceptance
     * @param client the client's address (for a UNIX-domain client usually unnamed)
     * @param target the target chosen for it; null if choosing failed
     * @param backend the name of the backend that spliced it, or of the one that would have
     * @param connected whether the connection to the target was established
     * @param result the splice's result; empty if it never started (see {@code failure})
     * @param failure why it was never spliced (choosing, connecting or starting the splice failed);
     *     empty if it was
     * @param duration from accept to both sockets closed
     */
    public record Finished(long id, SocketAddress client, SocketAddress target, String backend, boolean connected,
            Optional<SpliceResult> result, Optional<IOException> failure, Duration duration) {
    }

    /**
     * Returns a builder with every setting at its default; {@code listen} and {@code target} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** The settings of a {@link Relay}; {@link #start()} validates them and starts it. Not thread-safe. */
    public static final class Builder {
        private SocketAddress listen;
        private Function<SocketAddress, SocketAddress> target;
        private SpliceBackend backend;
        private SpliceOptions options = SpliceOptions.defaults();
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Consumer<? super Finished> onFinished = f -> { };

        private Builder() {
        }

        /**
         * The address to accept on: an {@link InetSocketAddress} (port 0: any free port, see
         * {@link Relay#localAddress()}) or a {@link UnixDomainSocketAddress}, whose file must not
         * exist yet and is deleted when the relay closes. Required.
         *
         * @param listen the address
         * @return this builder
         */
        public Builder listen(SocketAddress listen) {
            this.listen = Objects.requireNonNull(listen, "listen");
            return this;
        }

        /**
         * The same target for every client; see {@link #target(Function)}. Required (this or that).
         *
         * @param target where every client is relayed to
         * @return this builder
         */
        public Builder target(SocketAddress target) {
            Objects.requireNonNull(target, "target");
            return target(client -> target);
        }

        /**
         * Chooses the target for each client, from the client's address, on the relay thread: it
         * must be quick and must not block. An {@link InetSocketAddress} or a
         * {@link UnixDomainSocketAddress}; an unresolved InetSocketAddress is resolved for this
         * connection. If it throws or returns null, the client is closed and reported with the
         * failure.
         *
         * @param chooser the target of a client, from its address
         * @return this builder
         */
        public Builder target(Function<SocketAddress, SocketAddress> chooser) {
            this.target = Objects.requireNonNull(chooser, "target");
            return this;
        }

        /**
         * The backend that splices; by default the one {@link Splice} chooses.
         *
         * @param backend the backend, such as {@code Splice.using("nio")}
         * @return this builder
         */
        public Builder backend(SpliceBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * The options of every splice; by default {@link SpliceOptions#defaults()}.
         *
         * @param options the options
         * @return this builder
         */
        public Builder options(SpliceOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Connections open at once (connecting or spliced) past which the relay stops accepting
         * until one finishes; default {@value #DEFAULT_MAX_CONNECTIONS}.
         *
         * @param max the most connections open at once
         * @return this builder
         * @throws IllegalArgumentException if {@code max} is less than 1
         */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1: " + max);
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * How long a connect to the target may take before the client is closed; default 5 s.
         *
         * @param timeout the longest connect
         * @return this builder
         * @throws IllegalArgumentException if {@code timeout} is zero or negative
         */
        public Builder connectTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "connectTimeout");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("connectTimeout must be positive: " + timeout);
            }
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Called once per finished connection, on a library event-loop thread or the relay
         * thread: keep it short and non-blocking (queue a log line, add to counters). An
         * exception it throws is logged and otherwise ignored.
         *
         * @param onFinished the callback
         * @return this builder
         */
        public Builder onFinished(Consumer<? super Finished> onFinished) {
            this.onFinished = Objects.requireNonNull(onFinished, "onFinished");
            return this;
        }

        /**
         * Binds the listen address and starts accepting.
         *
         * @return the running relay
         * @throws IllegalStateException if {@code listen} or {@code target} was not set
         * @throws IOException if the listen address cannot be bound
         */
        public Relay start() throws IOException {
            if (listen == null || target == null) {
                throw new IllegalStateException(listen == null ? "listen address not set" : "target not set");
            }
            Relay relay = new Relay(this);
            relay.thread.start();
            return relay;
        }
    }

    private Relay(Builder b) throws IOException {
        this.target = b.target;
        this.backend = b.backend;
        this.options = b.options;
        this.maxConnections = b.maxConnections;
        this.connectTimeoutNanos = Math.min(b.connectTimeout.toNanos(), Long.MAX_VALUE / 4);
        this.onFinished = b.onFinished;
        boolean unix = b.listen instanceof UnixDomainSocketAddress;
        ProtocolFamily family = family(b.listen);
        ServerSocketChannel s = family != null ? ServerSocketChannel.open(family) : ServerSocketChannel.open();
        Selector sel = null;
        try {
            if (!unix) {
                s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            s.bind(b.listen, BACKLOG);
            s.configureBlocking(false);
            sel = Selector.open();
            this.serverKey = s.register(sel, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            s.close();
            if (sel != null) {
                sel.close();
            }
            throw e;
        }
        this.server = s;
        this.selector = sel;
        this.local = s.getLocalAddress();
        this.thread = new Thread(this::run, "splice-proxy-relay");
        thread.setDaemon(true);
    }

    /**
     * The address the relay accepts on (with the real port if port 0 was asked for).
     *
     * @return the bound address
     */
    public SocketAddress localAddress() {
        return local;
    }

    /**
     * Connections accepted and not yet finished (connecting or spliced).
     *
     * @return the number open now
     */
    public int activeConnections() {
        return active.get();
    }

    /**
     * Waits until the relay has stopped: after {@link #close()} or {@link #drain(Duration)} returned.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void awaitClosed() throws InterruptedException {
        thread.join();
    }

    /**
     * Stops accepting at once (new clients are refused by the kernel), lets the open connections
     * finish on their own for up to {@code grace}, then unsplices and closes those still open;
     * returns when every connection was reported. Calling it again, or after {@link #close()},
     * only waits for the first call's end.
     *
     * @param grace how long open connections may go on
     * @throws NullPointerException if {@code grace} is null
     */
    public void drain(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        synchronized (lock) {
            if (draining) {
                waitFor(() -> stopped, Long.MAX_VALUE);
                return;
            }
            draining = true;
        }
        execute(this::stopAccepting);
        waitFor(() -> active.get() == 0, Math.min(grace.toNanos(), Long.MAX_VALUE / 4));
        closing = true;
        execute(this::closeConnecting);
        for (Connection c : open) {
            SpliceHandle h = c.handle;
            if (h != null) {
                h.close();  // unsplices, delivers what was taken, closes both sockets
            }
        }
        // each close above returned after its splice completed; its report runs on the loop, so wait for it
        waitFor(() -> active.get() == 0, TimeUnit.SECONDS.toNanos(5));
        synchronized (lock) {
            stopped = true;
            lock.notifyAll();
        }
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@link #drain(Duration) drain(Duration.ZERO)}: stops accepting and closes every connection now. */
    @Override
    public void close() {
        drain(Duration.ZERO);
    }

    private void waitFor(java.util.function.BooleanSupplier condition, long nanos) {
        long end = System.nanoTime() + nanos;
        synchronized (lock) {
            try {
                for (long left = nanos; !condition.getAsBoolean() && left > 0; left = end - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    // ---- the relay thread ----

    private void run() {
        try {
            while (!stopped) {
                for (Runnable t; (t = tasks.poll()) != null; ) {
                    t.run();
                }
                long now = System.nanoTime();
                expireConnects(now);
                long wake = Long.MAX_VALUE;
                if (!connecting.isEmpty()) {
                    wake = connecting.peekFirst().deadline;
                }
                if (paused && acceptRetryAt != 0) {
                    wake = Math.min(wake, acceptRetryAt);
                }
                if (wake == Long.MAX_VALUE) {
                    selector.select(this::onKey);
                } else {
                    selector.select(this::onKey, Math.max(1, TimeUnit.NANOSECONDS.toMillis(wake - now + 999_999)));
                }
                if (paused && acceptRetryAt != 0 && System.nanoTime() - acceptRetryAt >= 0) {
                    acceptRetryAt = 0;
                    resumeAccepting();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "splice-proxy relay thread failed; the relay stops accepting", e);
        } finally {
            closeConnecting();
            closeServer();
            try {
                selector.close();
            } catch (IOException e) {
                // nothing is registered that matters any more
            }
        }
    }

    private void onKey(SelectionKey key) {
        if (key == serverKey) {
            acceptAll();
        } else {
            Connection c = (Connection) key.attachment();
            if (key.isValid() && key.isConnectable()) {
                finishConnect(c);
            }
        }
    }

    private void acceptAll() {
        while (!draining && active.get() < maxConnections) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                // typically EMFILE: the client waits in the backlog; a pause keeps this from spinning
                LOG.log(Level.WARNING, "splice-proxy: accept failed: " + e.getMessage());
                pauseAccepting();
                acceptRetryAt = System.nanoTime() + ACCEPT_RETRY_NANOS;
                return;
            }
            if (client == null) {
                return;
            }
            active.incrementAndGet();
            connect(new Connection(++nextId, client, remoteAddress(client)));
        }
        if (!draining) {
            pauseAccepting();
            // a connection may have finished between the count and the pause: look again
            if (active.get() < maxConnections) {
                resumeAccepting();
            }
        }
    }

    private void pauseAccepting() {
        if (!paused && serverKey.isValid()) {
            paused = true;
            serverKey.interestOps(0);
        }
    }

    /** On the relay thread, when a connection finished while accepting was paused. */
    private void resumeAccepting() {
        if (paused && !draining && serverKey.isValid() && acceptRetryAt == 0) {
            paused = false;
            serverKey.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    private void stopAccepting() {
        closeServer();
    }

    private void closeServer() {
        serverKey.cancel();
        try {
            server.close();
        } catch (IOException e) {
            // not accepting is all that was wanted
        }
        if (local instanceof UnixDomainSocketAddress) {
            try {
                Files.deleteIfExists(((UnixDomainSocketAddress) local).getPath());
            } catch (IOException e) {
                LOG.log(Level.WARNING, "splice-proxy: could not delete " + local + ": " + e.getMessage());
            }
        }
    }

    private void connect(Connection c) {
        try {
            SocketAddress t = target.apply(c.clientAddress);
            if (t == null) {
                throw new IOException("the target chooser returned null");
            }
            if (t instanceof InetSocketAddress && ((InetSocketAddress) t).isUnresolved()) {
                InetSocketAddress u = (InetSocketAddress) t;
                t = new InetSocketAddress(u.getHostString(), u.getPort());
                if (((InetSocketAddress) t).isUnresolved()) {
                    throw new java.net.UnknownHostException("cannot resolve " + u.getHostString());
                }
            }
            c.targetAddress = t;
            boolean unix = t instanceof UnixDomainSocketAddress;
            ProtocolFamily family = family(t);
            SocketChannel up = family != null ? SocketChannel.open(family) : SocketChannel.open();
            c.upstream = up;
            up.configureBlocking(false);
            if (!unix) {
                // small request/response traffic must not wait for Nagle; the C reference relay does the same
                up.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            if (!(c.clientAddress instanceof UnixDomainSocketAddress) && c.clientAddress != null) {
                c.client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            // accepted channels are blocking: made non-blocking here, the splice has nothing to switch
            // and nothing to restore at its end (two fcntl calls fewer per connection)
            c.client.configureBlocking(false);
            // a target on this host (or a fast network) has often answered before connect returns:
            // asking at once saves registering for OP_CONNECT and the select that reports it
            if (up.connect(t) || up.finishConnect()) {
                c.connected = true;
                splice(c);
                return;
            }
            c.key = up.register(selector, SelectionKey.OP_CONNECT, c);
            c.deadline = System.nanoTime() + connectTimeoutNanos;
            connecting.addLast(c);
        } catch (IOException | RuntimeException e) {
            failed(c, e);
        }
    }

    private void finishConnect(Connection c) {
        try {
            if (!c.upstream.finishConnect()) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            c.key.cancel();
            connecting.remove(c);
            failed(c, e);
            return;
        }
        c.key.cancel();
        connecting.remove(c);  // usually the head: connects finish roughly in the order they start
        c.connected = true;
        splice(c);
    }

    private void expireConnects(long now) {
        for (Connection c; (c = connecting.peekFirst()) != null && now - c.deadline >= 0; ) {
            connecting.pollFirst();
            c.key.cancel();
            failed(c, new SocketTimeoutException("connect timed out after "
                    + TimeUnit.NANOSECONDS.toMillis(connectTimeoutNanos) + " ms"));
        }
    }

    private void closeConnecting() {
        for (Connection c; (c = connecting.pollFirst()) != null; ) {
            c.key.cancel();
            failed(c, new IOException("the relay closed before the target answered"));
        }
    }

    private void splice(Connection c) {
        SpliceHandle h;
        try {
            h = backend != null ? backend.bidirectional(c.client, c.upstream, options)
                    : Splice.bidirectional(c.client, c.upstream, options);
        } catch (IOException | RuntimeException e) {
            failed(c, e);
            return;
        }
        c.handle = h;
        open.add(c);
        // a direction that ends other than by end of stream ends the connection (see the class comment)
        h.ended(Direction.FORWARD).thenAccept(e -> {
            if (e != SpliceEnd.EOF) {
                h.unsplice();
            }
        });
        h.ended(Direction.REVERSE).thenAccept(e -> {
            if (e != SpliceEnd.EOF) {
                h.unsplice();
            }
        });
        h.completion().thenAccept(r -> finished(c, r));
        // added to open before this check, so drain() closes it or this does (both is harmless)
        if (closing) {
            h.close();
        }
    }

    private void failed(Connection c, Throwable e) {
        closeQuietly(c.client);
        closeQuietly(c.upstream);
        IOException io = e instanceof IOException ? (IOException) e
                : new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        report(c, Optional.empty(), Optional.of(io));
    }

    /** On a library event loop: closes both sockets, then reports. */
    private void finished(Connection c, SpliceResult r) {
        closeQuietly(c.client);
        closeQuietly(c.upstream);
        open.remove(c);
        report(c, Optional.of(r), Optional.empty());
    }

    private void report(Connection c, Optional<SpliceResult> r, Optional<IOException> failure) {
        SpliceHandle h = c.handle;
        String name = h != null ? h.backend() : backend != null ? backend.name() : Splice.backend();
        try {
            onFinished.accept(new Finished(c.id, c.clientAddress, c.targetAddress, name, c.connected, r, failure,
                    Duration.ofNanos(System.nanoTime() - c.start)));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "splice-proxy: the onFinished callback failed", e);
        }
        // the count drops after the report, so drain() returns only after the last one
        if (active.getAndDecrement() == maxConnections && !draining) {
            execute(this::resumeAccepting);
        }
        if (draining) {
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    /**
     * The socket family for {@code address}: UNIX, or INET for an IPv4 address (the JDK's default
     * dual-stack IPv6 socket costs a setsockopt per connection and carries IPv4 as mapped
     * addresses); null (the JDK's default) for anything else.
     */
    private static ProtocolFamily family(SocketAddress address) {
        if (address instanceof UnixDomainSocketAddress) {
            return StandardProtocolFamily.UNIX;
        }
        if (address instanceof InetSocketAddress && ((InetSocketAddress) address).getAddress() instanceof Inet4Address) {
            return StandardProtocolFamily.INET;
        }
        return null;
    }

    private static SocketAddress remoteAddress(SocketChannel channel) {
        try {
            return channel.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
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
}
