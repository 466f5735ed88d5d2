package io.github.splice4j.reliability;

import io.github.splice4j.reliability.RelayProcess.ConnLine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The soak's traffic: clients connecting to the relay and the target server behind it, every
 * socket of both on one selector thread of this JVM, so hundreds of connections cost no thread
 * each. Each connection follows a {@link Plan} drawn from the seed: sizes both ways and, for a
 * fraction of them, one misbehaving peer.
 *
 * <p>Protocol: the client sends its connection id (8 bytes) and then its payload; the server
 * reads the id, looks the plan up, and sends its own payload while reading the client's. Both
 * shut down their output after their last byte and close once they have read to the end of
 * stream. Payloads come from {@link Payload}, hashed (SHA-256) by the sender as written and by the
 * receiver as read.
 *
 * <p>Clients bind to addresses spread over 127.1.0.0/16, so the relay's log line (which names the
 * client's address and port) identifies the connection even when ports are reused.
 */
final class SoakTraffic implements AutoCloseable {

    /** Which peer of a connection misbehaves. */
    enum Side { CLIENT, SERVER }

    /** How it misbehaves. */
    enum Fault {
        /** Behaves. */
        NONE,
        /** SO_LINGER 0 and close after sending {@code faultAt} payload bytes: the relay gets a reset. */
        RESET,
        /** Shuts its output down after {@code faultAt} of its payload bytes, and reads on to the end. */
        HALF_CLOSE,
        /** Stops reading for {@code stallMillis} once it has read {@code faultAt} bytes: back-pressure. */
        STALL,
        /**
         * Goes away at once: a client closes right after its connect completes (with a reset for
         * some); a server closes right after reading the client's id, before sending anything.
         */
        VANISH
    }

    static final int HEADER = 8;
    /** Direction indexes of {@link Conn#moved}: client to server, server to client. */
    static final int UP = 0;
    static final int DOWN = 1;
    private static final int CHUNK = 64 * 1024;
    /** Chunks per peer per readiness event, so one bulk connection cannot starve the others. */
    private static final int ROUNDS = 8;
    private static final long KIB = 1024;
    private static final long MIB = 1024 * 1024;
    /** A turn of the loop waits at most 50 ms in select; one this long was held up. */
    private static final long LONG_TURN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** What one connection does, drawn before it starts. */
    record Plan(long id, long upSeed, long downSeed, long up, long down, Side faulty, Fault fault, long faultAt,
            long stallMillis, boolean vanishWithReset) {

        /** A label for counting: {@code clean}, {@code client RESET}, {@code server STALL>idle}, ... */
        String kind(long idleMillis) {
            if (fault == Fault.NONE) {
                return "clean";
            }
            String k = faulty.name().toLowerCase(Locale.ROOT) + " " + fault;
            if (fault == Fault.STALL) {
                k += stallMillis > idleMillis ? ">idle" : "<idle";
            }
            return k;
        }

        /** Bytes the faulty (or any) {@code side} plans to send, payload only. */
        long sends(Side side) {
            return side == Side.CLIENT ? up : down;
        }

        static Plan draw(long id, SplittableRandom rnd, double faultRate, long idleMillis) {
            long up = size(rnd);
            long down = size(rnd);
            long upSeed = rnd.nextLong();
            long downSeed = rnd.nextLong();
            if (rnd.nextDouble() >= faultRate) {
                return new Plan(id, upSeed, downSeed, up, down, null, Fault.NONE, 0, 0, false);
            }
            Side side = rnd.nextBoolean() ? Side.CLIENT : Side.SERVER;
            Fault fault = Fault.values()[1 + rnd.nextInt(Fault.values().length - 1)];
            long at = 0;
            long stall = 0;
            boolean reset = false;
            switch (fault) {
                case RESET:
                    at = rnd.nextLong((side == Side.CLIENT ? up : down) + 1);
                    break;
                case HALF_CLOSE:
                    // early means before its last byte: give it something to cut short
                    if (side == Side.CLIENT && up == 0) {
                        up = 1 + rnd.nextLong(64 * KIB);
                    } else if (side == Side.SERVER && down == 0) {
                        down = 1 + rnd.nextLong(64 * KIB);
                    }
                    at = rnd.nextLong(side == Side.CLIENT ? up : down);
                    break;
                case STALL:
                    // enough coming its way that the relay really backs up behind the stalled reader
                    long incoming = 2 * MIB + rnd.nextLong(22 * MIB);
                    if (side == Side.CLIENT) {
                        down = incoming;
                    } else {
                        up = incoming;
                    }
                    at = rnd.nextLong(incoming / 2);
                    stall = rnd.nextBoolean() ? 300 + rnd.nextLong(700)
                            : idleMillis + 1_000 + rnd.nextLong(1_500);
                    break;
                default:
                    reset = rnd.nextBoolean();
                    break;
            }
            return new Plan(id, upSeed, downSeed, up, down, side, fault, at, stall, reset);
        }

        /** 0 bytes to tens of MiB, mostly small, so a run of minutes stays bounded in bytes. */
        static long size(SplittableRandom rnd) {
            double u = rnd.nextDouble();
            if (u < 0.05) {
                return 0;
            } else if (u < 0.55) {
                return 1 + rnd.nextLong(4 * KIB);
            } else if (u < 0.80) {
                return 4 * KIB + rnd.nextLong(60 * KIB);
            } else if (u < 0.95) {
                return 64 * KIB + rnd.nextLong(MIB - 64 * KIB);
            } else if (u < 0.99) {
                return MIB + rnd.nextLong(7 * MIB);
            }
            return 8 * MIB + rnd.nextLong(24 * MIB);
        }
    }

    /** One connection: its plan, its two peers here and the relay's line about it. */
    static final class Conn {
        final Plan plan;
        final String client;
        final long startNanos;
        Peer clientPeer;
        volatile Peer serverPeer;
        volatile ConnLine line;
        volatile long lastActivity;
        /** How long after its peers last did anything the relay logged it (0 if they were still busy). */
        volatile long quietAtLineNanos = -1;
        volatile boolean flagged;
        /*
         * Per direction (UP, DOWN), what the relay had to move as this JVM saw it: bytes written by
         * the source (the id included, up), bytes read by the drain, whether the source has shut
         * down (or closed), and since when nothing was in flight while the source was still open
         * (-1 while something was). The relay may rightly time a direction out only after such a
         * stretch lasted the idle timeout: with bytes in flight or an end of stream to forward, it
         * had work.
         */
        private final long[] written = new long[2];
        private final long[] read = new long[2];
        private final boolean[] sourceDone = new boolean[2];
        private final long[] quietSince = new long[2];
        private final long[] longestQuiet = new long[2];
        /**
         * The most time the traffic loop was held up within any idle-timeout-long window while this
         * connection was open: that long no peer here read or wrote, and every stamp may be late.
         */
        volatile long longestLoopTurnNanos;

        Conn(Plan plan, String client, long now) {
            this.startNanos = now;
            this.plan = plan;
            this.client = client;
            this.lastActivity = now;
            this.quietSince[UP] = now;
            this.quietSince[DOWN] = now;
        }

        private void endQuiet(int d, long now) {
            if (quietSince[d] >= 0) {
                longestQuiet[d] = Math.max(longestQuiet[d], now - quietSince[d]);
                quietSince[d] = -1;
            }
        }

        /** The source of {@code d} wrote {@code n} bytes: the relay has them to move. */
        synchronized void sourceWrote(int d, long n, long now) {
            endQuiet(d, now);
            written[d] += n;
        }

        /** The drain of {@code d} read {@code n} bytes; with nothing left in flight, a quiet stretch may begin. */
        synchronized void drainRead(int d, long n, long now) {
            read[d] += n;
            if (read[d] >= written[d] && !sourceDone[d] && quietSince[d] < 0) {
                quietSince[d] = now;
            }
        }

        /**
         * The drain of {@code d} stopped reading on purpose (a STALL fault) for {@code millis}: the
         * relay may be blocked behind it that long, which counts as a quiet stretch.
         */
        synchronized void drainStalled(int d, long now, long millis) {
            longestQuiet[d] = Math.max(longestQuiet[d], TimeUnit.MILLISECONDS.toNanos(millis));
        }

        /** The source of {@code d} shut down or closed: the relay has an end to forward, never quiet again. */
        synchronized void sourceDone(int d, long now) {
            endQuiet(d, now);
            sourceDone[d] = true;
        }

        /** The relay's line for it was seen at {@code now}: a quiet stretch still open ends there. */
        synchronized void ended(long now) {
            endQuiet(UP, now);
            endQuiet(DOWN, now);
        }

        /**
         * Whether {@code direction} may have had nothing to move for {@code idleMillis}, as the
         * relay needs for an IDLE_TIMEOUT: its longest stretch with nothing in flight and the
         * source open, plus how late this JVM's loop may have stamped its ends (its longest turn,
         * a stall under load, during which bytes the relay delivered wait unread), reaches the
         * idle timeout. False proves the relay always had work within the idle timeout.
         */
        synchronized boolean mayHaveBeenQuiet(int direction, long idleMillis) {
            return longestQuiet[direction] + longestLoopTurnNanos >= TimeUnit.MILLISECONDS.toNanos(idleMillis);
        }

        /** The evidence behind {@link #mayHaveBeenQuiet}, for a problem's message. */
        synchronized String quietReport(int direction) {
            return "longest stretch with nothing in flight or the drain stalled " + (direction == UP ? "up " : "down ")
                    + TimeUnit.NANOSECONDS.toMillis(longestQuiet[direction]) + " ms, longest loop turn "
                    + TimeUnit.NANOSECONDS.toMillis(longestLoopTurnNanos) + " ms held up within one idle timeout";
        }

        boolean finished() {
            Peer s = serverPeer;
            return line != null && clientPeer.closed && (s == null || s.closed);
        }

        @Override
        public String toString() {
            Peer s = serverPeer;
            return "conn " + plan.id + " " + client + " " + plan + "; client " + clientPeer
                    + "; server " + (s == null ? "none" : s) + "; relay " + line;
        }
    }

    /** One of this JVM's sockets: a client, or the server's end of a relayed connection. */
    final class Peer {
        final boolean client;
        final SocketChannel channel;
        SelectionKey key;
        volatile Conn conn;
        final ByteBuffer header = ByteBuffer.allocate(HEADER);
        long seed;
        long limit;
        volatile long sent;
        volatile long received;
        private byte[] out;
        private int outPos;
        private int outEnd;
        final MessageDigest sentDigest = Payload.sha256();
        final MessageDigest receivedDigest = Payload.sha256();
        boolean connected;
        boolean sendDone;
        boolean recvDone;
        volatile boolean eof;
        volatile boolean stalled;
        volatile boolean closed;
        volatile IOException error;
        Fault fault = Fault.NONE;
        long faultAt;
        long stallMillis;
        boolean stallDone;

        Peer(boolean client, SocketChannel channel) {
            this.client = client;
            this.channel = channel;
        }

        void onKey(SelectionKey k) {
            try {
                if (k.isConnectable()) {
                    finishConnect();
                }
                if (!closed && k.isValid() && k.isReadable()) {
                    read();
                }
                if (!closed && k.isValid() && k.isWritable()) {
                    write();
                }
            } catch (CancelledKeyException e) {
                // closed meanwhile
            }
            settle();
        }

        private void finishConnect() {
            try {
                if (!channel.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                problem("client could not connect to the relay: " + e + " (" + conn.client + ")");
                failed(e);
                return;
            }
            connected = true;
            activity();
            Plan p = conn.plan;
            if (p.faulty == Side.CLIENT && p.fault == Fault.VANISH) {
                close(p.vanishWithReset);
                return;
            }
            header.putLong(p.id).flip();
            seed = p.upSeed;
            limit = p.up;
            if (p.faulty == Side.CLIENT) {
                fault = p.fault;
                faultAt = p.faultAt;
                stallMillis = p.stallMillis;
            }
        }

        /** The server's end learns which connection it is from the first 8 bytes. */
        private void attach() {
            long id = header.getLong(0);
            Conn c = conns.get(id);
            if (c == null) {
                problem("server read an unknown connection id " + id);
                close(false);
                return;
            }
            conn = c;
            c.serverPeer = this;
            activity();
            Plan p = c.plan;
            seed = p.downSeed;
            limit = p.down;
            if (p.faulty == Side.SERVER) {
                fault = p.fault;
                faultAt = p.faultAt;
                stallMillis = p.stallMillis;
                if (fault == Fault.VANISH) {
                    close(p.vanishWithReset);
                }
            }
        }

        private void read() {
            for (int r = 0; r < ROUNDS && !recvDone && !stalled && !closed; r++) {
                ByteBuffer buf;
                if (!client && conn == null) {
                    buf = header;
                } else {
                    if (fault == Fault.STALL && !stallDone && received >= faultAt) {
                        beginStall();
                        return;
                    }
                    buf = readBuffer;
                    buf.clear();
                    if (fault == Fault.STALL && !stallDone) {
                        buf.limit((int) Math.min(buf.capacity(), faultAt - received));
                    }
                }
                int n;
                try {
                    n = channel.read(buf);
                } catch (IOException e) {
                    failed(e);
                    return;
                }
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    eof = true;
                    recvDone = true;
                    activity();
                    if (conn == null) {
                        orphans++;
                        close(false);  // the client went away before its id got through
                    }
                    return;
                }
                if (buf == header) {
                    if (!header.hasRemaining()) {
                        attach();
                        Conn c = conn;
                        if (c != null) {
                            c.drainRead(UP, HEADER, System.nanoTime());
                        }
                    }
                    continue;
                }
                receivedDigest.update(readBuffer.array(), 0, n);
                received += n;
                activity();
                Conn c = conn;
                c.drainRead(client ? DOWN : UP, n, System.nanoTime());
            }
        }

        private void beginStall() {
            stalled = true;
            activity();
            conn.drainStalled(client ? DOWN : UP, System.nanoTime(), stallMillis);
            schedule(stallMillis, () -> {
                stalled = false;
                stallDone = true;
                if (!closed) {
                    activity();
                    read();
                    settle();
                }
            });
        }

        private void write() {
            if (client && header.hasRemaining()) {
                try {
                    channel.write(header);
                } catch (IOException e) {
                    failed(e);
                    return;
                }
                if (header.hasRemaining()) {
                    return;
                }
                activity();
                conn.sourceWrote(UP, HEADER, System.nanoTime());
            }
            for (int r = 0; r < ROUNDS && !sendDone && !closed; r++) {
                if (outPos == outEnd) {
                    long stop = fault == Fault.RESET || fault == Fault.HALF_CLOSE ? faultAt : limit;
                    if (sent >= stop) {
                        endSending();
                        return;
                    }
                    if (out == null) {
                        out = new byte[CHUNK];
                    }
                    int n = (int) Math.min(CHUNK, stop - sent);
                    Payload.fill(seed, sent, out, 0, n);
                    outPos = 0;
                    outEnd = n;
                }
                int w;
                try {
                    w = channel.write(ByteBuffer.wrap(out, outPos, outEnd - outPos));
                } catch (IOException e) {
                    error = error == null ? e : error;
                    sendDone = true;  // reading on tells what the relay delivered before it gave up
                    return;
                }
                if (w == 0) {
                    return;
                }
                sentDigest.update(out, outPos, w);
                outPos += w;
                sent += w;
                activity();
                conn.sourceWrote(client ? UP : DOWN, w, System.nanoTime());
            }
        }

        private void endSending() {
            if (fault == Fault.RESET) {
                close(true);
                return;
            }
            try {
                channel.shutdownOutput();  // the end of its payload, or for HALF_CLOSE an early end
            } catch (IOException e) {
                error = error == null ? e : error;
            }
            sendDone = true;
            out = null;
            activity();
            conn.sourceDone(client ? UP : DOWN, System.nanoTime());
        }

        private void failed(IOException e) {
            error = error == null ? e : error;
            recvDone = true;
            sendDone = true;
            if (conn == null && !client) {
                orphans++;
            }
            close(false);
        }

        /** After an event: closes when both sides are done, else asks for the events still wanted. */
        void settle() {
            if (closed) {
                return;
            }
            if (sendDone && recvDone) {
                close(false);
                return;
            }
            int ops;
            if (client && !connected) {
                ops = SelectionKey.OP_CONNECT;
            } else {
                ops = (!recvDone && !stalled ? SelectionKey.OP_READ : 0)
                        | (!sendDone && (client || conn != null) ? SelectionKey.OP_WRITE : 0);
            }
            if (key.isValid() && key.interestOps() != ops) {
                key.interestOps(ops);
            }
        }

        void close(boolean reset) {
            if (closed) {
                return;
            }
            closed = true;
            out = null;
            try {
                if (reset) {
                    channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
            } catch (IOException e) {
                // a socket the peer already reset: closing is all that matters
            }
            key.cancel();
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do with it
            }
            if (conn != null) {
                activity();
                conn.sourceDone(client ? UP : DOWN, System.nanoTime());
            }
            if (client) {
                open--;
            }
        }

        private void activity() {
            Conn c = conn;
            if (c != null) {
                c.lastActivity = System.nanoTime();
            }
        }



        @Override
        public String toString() {
            return "sent " + sent + (sendDone ? " done" : "") + ", received " + received + (eof ? " EOF" : "")
                    + (stalled ? " stalled" : "") + (closed ? " closed" : " open")
                    + (error != null ? " error " + error : "");
        }
    }

    /** One timed action on the loop. */
    private record Timer(long at, Runnable action) {
    }

    /** A run of traffic: its connections, in start order. */
    static final class Phase {
        final List<Conn> conns = new ArrayList<>();
        long startNanos;
        long endNanos;
    }

    private final SplittableRandom rnd;
    private final double faultRate;
    private final long idleMillis;
    private final long slackMillis;
    private final Selector selector;
    private final ServerSocketChannel target;
    private final Thread thread;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(CHUNK);
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>(Comparator.comparingLong(Timer::at));
    private final Map<Long, Conn> conns = new ConcurrentHashMap<>();
    private final Map<String, Deque<Conn>> byClient = new HashMap<>();
    private final Set<Peer> servers = Collections.newSetFromMap(new ConcurrentHashMap<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    /**
     * Turns of the loop longer than {@link #LONG_TURN_NANOS}, as {start, end}: while the loop is
     * held up (a loaded machine, a GC pause) no peer moves and every stamp it takes is late.
     */
    private final ConcurrentLinkedQueue<long[]> longTurns = new ConcurrentLinkedQueue<>();
    private volatile boolean closing;
    private long nextId;
    private int open;
    private int orphans;
    private Phase phase;
    private InetSocketAddress relay;
    private long deadline;
    private long maxConns;
    private int concurrency;
    private CompletableFuture<Void> generated;

    /**
     * Opens the target server and starts the loop thread.
     *
     * @param idleMillis the relay's idle timeout, for stall lengths and the quiet bound
     * @param slackMillis how long past the idle timeout the relay may take to end a quiet splice
     */
    SoakTraffic(long seed, double faultRate, long idleMillis, long slackMillis) throws IOException {
        this.rnd = new SplittableRandom(seed);
        this.faultRate = faultRate;
        this.idleMillis = idleMillis;
        this.slackMillis = slackMillis;
        this.selector = Selector.open();
        this.target = ServerSocketChannel.open();
        target.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 4096);
        target.configureBlocking(false);
        target.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::loop, "soak-traffic");
        thread.setDaemon(true);
        thread.start();
    }

    /** Where the relay connects to. */
    InetSocketAddress target() throws IOException {
        return (InetSocketAddress) target.getLocalAddress();
    }

    /** Problems seen while generating: unmatched log lines, failed connects, hangs. */
    List<String> problems() {
        synchronized (problems) {
            return new ArrayList<>(problems);
        }
    }

    /** Server ends whose client's id never arrived (the client reset or vanished first). */
    int orphans() {
        return onLoop(() -> orphans);
    }

    private void problem(String p) {
        problems.add(p);
    }

    /** A relay log line: matched to the oldest connection from that client address without one. */
    void onLine(ConnLine l) {
        Conn c;
        synchronized (byClient) {
            Deque<Conn> q = byClient.get(l.client());
            c = q == null ? null : q.pollFirst();
            if (q != null && q.isEmpty()) {
                byClient.remove(l.client());
            }
        }
        if (c == null) {
            problem("the relay logged a connection no client of this test made: " + l);
            return;
        }
        c.quietAtLineNanos = Math.max(0, l.seenNanos() - c.lastActivity);
        c.ended(l.seenNanos());
        c.longestLoopTurnNanos = heldUpWithin(c.startNanos, l.seenNanos(), TimeUnit.MILLISECONDS.toNanos(idleMillis));
        c.line = l;
    }

    /**
     * Runs traffic through {@code relay}: keeps {@code concurrency} connections open, starting new
     * ones for {@code millis} or until {@code max} were started, then waits until every connection
     * has finished (both peers closed, the relay's line read). A connection whose peers are quiet
     * for longer than the idle timeout plus the slack without the relay ending it is reported as
     * a problem; one still open {@code hangMillis} after the traffic stopped is closed and
     * reported.
     */
    Phase run(InetSocketAddress relay, long millis, long max, int concurrency, long hangMillis)
            throws InterruptedException {
        Phase p = new Phase();
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            this.relay = relay;
            this.phase = p;
            this.maxConns = max;
            this.concurrency = concurrency;
            p.startNanos = System.nanoTime();
            this.deadline = p.startNanos + TimeUnit.MILLISECONDS.toNanos(millis);
            this.generated = done;
        });
        while (true) {
            try {
                done.get(200, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                watch(p, System.nanoTime());
            } catch (ExecutionException e) {
                throw new AssertionError(e.getCause());
            }
        }
        long stopAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(hangMillis);
        while (true) {
            List<Conn> live = onLoop(() -> unfinished(p));
            boolean serversOpen = servers.stream().anyMatch(s -> !s.closed);
            if (live.isEmpty() && !serversOpen) {
                break;
            }
            long now = System.nanoTime();
            if (now - stopAt > 0) {
                for (Conn c : live) {
                    problem("still open " + hangMillis + " ms after the traffic stopped: " + c);
                }
                execute(this::closeEverything);
                onLoop(() -> null);
                break;
            }
            watch(p, now);
            Thread.sleep(100);
        }
        p.endNanos = System.nanoTime();
        onLoop(() -> null);  // everything the loop wrote is visible to the caller from here on
        return p;
    }

    private List<Conn> unfinished(Phase p) {
        List<Conn> live = new ArrayList<>();
        for (Conn c : p.conns) {
            if (!c.finished()) {
                live.add(c);
            }
        }
        return live;
    }

    /** Reports connections the relay keeps although their peers have gone quiet. */
    private void watch(Phase p, long now) {
        long bound = TimeUnit.MILLISECONDS.toNanos(idleMillis + slackMillis);
        List<Conn> snapshot = onLoop(() -> new ArrayList<>(p.conns));
        for (Conn c : snapshot) {
            if (c.line == null && !c.flagged && now - c.lastActivity > bound) {
                c.flagged = true;
                problem("the relay kept a connection open " + TimeUnit.NANOSECONDS.toMillis(now - c.lastActivity)
                        + " ms after its peers went quiet (idle timeout " + idleMillis + " ms): " + c);
            }
        }
    }

    private void closeEverything() {
        for (Conn c : phase.conns) {
            if (c.clientPeer != null) {
                c.clientPeer.close(true);
            }
        }
        for (Peer s : servers) {
            s.close(true);
        }
    }

    private void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        execute(() -> {
            try {
                f.complete(task.call());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the traffic loop did not answer", e);
        }
    }

    private void schedule(long millis, Runnable action) {
        timers.add(new Timer(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis), action));
    }

    /**
     * The most time the loop spent in long turns (over {@link #LONG_TURN_NANOS}) within any window
     * of {@code window} nanoseconds inside {@code [from, to]}, and at least that bound: turns
     * shorter than it are not recorded.
     */
    private long heldUpWithin(long from, long to, long window) {
        List<long[]> turns = new ArrayList<>();
        for (long[] t : longTurns) {
            // t = {start, end}
            if (t[1] - from >= 0 && to - t[0] >= 0) {
                turns.add(t);
            }
        }
        turns.sort(Comparator.comparingLong(t -> t[0]));
        long most = LONG_TURN_NANOS;
        for (int i = 0; i < turns.size(); i++) {
            long windowEnd = turns.get(i)[0] + window;
            long sum = 0;
            for (int j = i; j < turns.size() && turns.get(j)[0] - windowEnd < 0; j++) {
                sum += Math.min(turns.get(j)[1], windowEnd) - turns.get(j)[0];
            }
            most = Math.max(most, sum);
        }
        return most;
    }

    private void loop() {
        long turnStart = System.nanoTime();
        while (!closing) {
            long now0 = System.nanoTime();
            if (now0 - turnStart > LONG_TURN_NANOS) {
                longTurns.add(new long[] {turnStart, now0});
            }
            turnStart = now0;
            try {
                Runnable t;
                while ((t = tasks.poll()) != null) {
                    t.run();
                }
                long now = System.nanoTime();
                Timer timer;
                while ((timer = timers.peek()) != null && timer.at - now <= 0) {
                    timers.poll();
                    timer.action.run();
                }
                startConnections(now);
                long wait = 50;
                if (timer != null) {
                    wait = Math.max(1, Math.min(wait, TimeUnit.NANOSECONDS.toMillis(timer.at - now) + 1));
                }
                selector.select(this::onKey, wait);
            } catch (Throwable e) {
                problem("the traffic loop failed: " + e);
                e.printStackTrace();
            }
        }
    }

    private void onKey(SelectionKey k) {
        if (k.channel() == target) {
            accept();
            return;
        }
        ((Peer) k.attachment()).onKey(k);
    }

    private void accept() {
        while (true) {
            SocketChannel s;
            try {
                s = target.accept();
            } catch (IOException e) {
                problem("target accept failed: " + e);
                return;
            }
            if (s == null) {
                return;
            }
            try {
                s.configureBlocking(false);
                Peer p = new Peer(false, s);
                p.key = s.register(selector, SelectionKey.OP_READ, p);
                servers.add(p);
            } catch (IOException e) {
                problem("cannot set up an accepted target connection: " + e);
            }
        }
    }

    private void startConnections(long now) {
        CompletableFuture<Void> g = generated;
        if (g == null) {
            return;
        }
        while (open < concurrency && phase.conns.size() < maxConns && now - deadline < 0) {
            startOne(now);
        }
        if (phase.conns.size() >= maxConns || now - deadline >= 0) {
            generated = null;
            g.complete(null);
        }
    }

    private void startOne(long now) {
        long id = ++nextId;
        Plan plan = Plan.draw(id, rnd, faultRate, idleMillis);
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            // 62,500 addresses: a client's (address, port) is not reused while the relay may still log it
            InetAddress local = InetAddress.getByAddress(new byte[] {127, 1, (byte) ((id / 250) % 250),
                    (byte) (id % 250 + 1)});
            ch.bind(new InetSocketAddress(local, 0));
            boolean connected = ch.connect(relay);
            InetSocketAddress bound = (InetSocketAddress) ch.getLocalAddress();
            Conn c = new Conn(plan, bound.getAddress().getHostAddress() + ":" + bound.getPort(), now);
            synchronized (byClient) {
                byClient.computeIfAbsent(c.client, k -> new ArrayDeque<>()).addLast(c);
            }
            conns.put(id, c);
            phase.conns.add(c);
            Peer p = new Peer(true, ch);
            p.conn = c;
            c.clientPeer = p;
            p.key = ch.register(selector, SelectionKey.OP_CONNECT, p);
            open++;
            if (connected) {
                p.finishConnect();
                p.settle();
            }
        } catch (IOException e) {
            problem("cannot start connection " + id + ": " + e);
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // it never carried anything
                }
            }
            // without this the generator would spin on a machine out of ports or descriptors
            generated.complete(null);
            generated = null;
        }
    }

    /** Stops the loop and closes every socket it still has. */
    @Override
    public void close() throws IOException {
        if (phase != null) {
            try {
                onLoop(() -> {
                    closeEverything();
                    return null;
                });
            } catch (AssertionError e) {
                // the loop is stuck; the sockets go with the selector below
            }
        }
        closing = true;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        target.close();
        selector.close();
    }
}
