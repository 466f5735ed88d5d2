package io.github.splice4j;

import io.github.splice4j.spi.Errors;
import io.github.splice4j.spi.KernelTransfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One splice: two channels and one or two {@link Flow}s (FORWARD, then REVERSE if bidirectional),
 * all owned by one {@link EventLoop}.
 * Public methods are thread-safe; everything else runs on the loop.
 *
 * <h2>The descriptor guard</h2>
 *
 * Backends make raw system calls on the channels' descriptors (splice(2), setsockopt). The
 * application may close a channel at any moment, on any thread, and the number of a closed
 * descriptor is handed to the next socket or pipe the process opens. What keeps a call from
 * reaching such a newcomer (docs/spec.md, "No stray bytes"):
 * <ol>
 *   <li>The JDK does not close the descriptor of a channel registered with a selector when the
 *       application closes it: it cancels the channel's keys and closes the descriptor once the
 *       last of them is deregistered, which happens inside a select of that key's selector.
 *   <li>Each channel has a second key in its loop's pin selector ({@code EventLoop#pins}), which
 *       is selected only after this session cancelled its keys at hand-back. So the descriptor is
 *       the channel's socket for the session's whole life, whatever the application closes.
 *   <li>The application's close is still honoured: it invalidates the keys, and
 *       {@link #enter()}, which every event, timer and task (unsplice, close, counts) calls
 *       first, then ends the splice: ERROR with an EBADF-named exception, bytes held written
 *       nowhere (a pipe holding them is destroyed, not pooled), a kernel splice stopped with its
 *       exact count, and no descriptor touched after that.
 *   <li>{@link #enter()} also records the loop's select count ({@link EventLoop#epoch()}); every
 *       descriptor use in a flow ({@link CopyFlow}, {@link KernelFlow}) first calls
 *       {@link #checkEntered()}, which fails loudly if the check was not made in this loop
 *       iteration or the caller is not the loop thread. So
 *       even without the pins, no select (the only place a key is dropped) can come between the
 *       check and the call.
 * </ol>
 */
final class Session implements SpliceHandle, EventLoop.Timed {

    private static final int RUNNING = 0;
    private static final int UNSPLICING = 1;
    private static final int CLOSING = 2;
    /** Timeouts are capped here (about 73 years) so deadline arithmetic cannot overflow. */
    static final long MAX_TIMEOUT_NANOS = Long.MAX_VALUE / 4;

    final Backend backend;
    final EventLoop loop;
    final SocketChannel a;
    final SocketChannel b;
    final SpliceOptions options;
    private final boolean bidirectional;
    /** Per direction, completed when it ends (SpliceHandle#ended); exist before the flows do. */
    private final CompletableFuture<SpliceEnd> forwardEnd = new CompletableFuture<>();
    private final CompletableFuture<SpliceEnd> reverseEnd = new CompletableFuture<>();
    /**
     * The directions, FORWARD first. Created on the loop once the channels are registered (a
     * transfer is made inside the guard), so empty before; written on the loop only, read by
     * {@link #bytesSpliced(Direction)} from any thread.
     */
    private volatile Flow[] flows = new Flow[0];
    /** The tunnel idle timeout (SpliceOptions#tunnelIdleTimeout) in nanoseconds; 0 for none. */
    final long tunnelNanos;
    private final CompletableFuture<SpliceResult> done = new CompletableFuture<>();
    private final AtomicInteger stop = new AtomicInteger(RUNNING);
    /** Whether a refresh of the kernel counts is queued on the loop (see #refreshKernelCounts). */
    private final AtomicBoolean refreshQueued = new AtomicBoolean();
    private boolean aWasBlocking;
    private boolean bWasBlocking;
    private SelectionKey ka;
    private SelectionKey kb;
    /** The pin keys (EventLoop#pins): the channels' descriptors stay theirs while these are registered. */
    private SelectionKey pa;
    private SelectionKey pb;
    private boolean registered;
    private boolean finishing;
    /** False once a channel was found closed by the application: no descriptor is touched again. */
    private boolean usable = true;
    /** {@link EventLoop#epoch()} at the last successful {@link #enter()}; -1 before. */
    private long enteredEpoch = -1;
    private EventLoop.Timer tunnelTimer;
    /** When the splice started, for its JFR event; written before the loop first sees the session. */
    private long startedNanos;

    Session(Backend backend, EventLoop loop, SocketChannel a, SocketChannel b, boolean bidirectional,
            SpliceOptions options) {
        this.backend = backend;
        this.loop = loop;
        this.a = a;
        this.b = b;
        this.options = options;
        this.tunnelNanos = Math.min(options.tunnelIdleTimeout().toNanos(), MAX_TIMEOUT_NANOS);
        this.bidirectional = bidirectional;
    }

    @Override
    public Session session() {
        return this;
    }

    /** On the caller's thread, once the splice is sure to run: counts it (docs/observability.md). */
    void started() {
        startedNanos = Telemetry.started(backend.name());
    }

    /** On the caller's thread: switches both channels to non-blocking, undoing it on failure. */
    void takeOver() throws IOException {
        aWasBlocking = a.isBlocking();
        bWasBlocking = b.isBlocking();
        a.configureBlocking(false);
        try {
            b.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            if (aWasBlocking) {
                a.configureBlocking(true);
            }
            throw e;
        }
    }

    // ---- the guard ----

    /**
     * On the loop: the check before any descriptor use (see the class comment). True if both
     * channels are still the splice's; false if the splice is over, or a channel was found
     * closed, which ends it.
     */
    boolean enter() {
        if (finishing || !registered) {
            return false;
        }
        if (!ka.isValid() || !kb.isValid()) {
            closedByApplication();
            return false;
        }
        enteredEpoch = loop.epoch();
        return true;
    }

    /**
     * Called by every descriptor use: throws if {@link #enter()} did not succeed since the loop's
     * last select, or if this is not the loop thread. A bug caught here ends the splice (its
     * exception is logged) instead of reaching a descriptor that may belong to another socket.
     */
    void checkEntered() {
        if (enteredEpoch != loop.epoch() || !loop.inLoop() || !usable) {
            throw new IllegalStateException("splice4j: a descriptor use without the open-channel check in this loop"
                    + " iteration (docs/spec.md, \"No stray bytes\")");
        }
    }

    /** Whether descriptors may still be used (no channel was found closed). */
    boolean usable() {
        return usable;
    }

    /** On the loop: ends the splice if the application closed one of its channels. */
    void checkClosed() {
        if (!finishing && registered && (!ka.isValid() || !kb.isValid())) {
            closedByApplication();
        }
    }

    /**
     * A channel was closed by the application. Its descriptor is still pinned, so a kernel
     * splice can still be stopped and its exact count read; then nothing touches the descriptors
     * again, and bytes held by a copy are dropped with it.
     */
    private void closedByApplication() {
        String which = !ka.isValid() ? (bidirectional ? "a" : "source") : (bidirectional ? "b" : "drain");
        IOException e = new IOException("splice ended: channel " + which + " was closed by the application (EBADF)");
        enteredEpoch = loop.epoch();
        for (Flow f : flowsOrUnopened()) {
            f.stopMoving();
        }
        usable = false;
        failAll(e);
    }

    // ---- loop entry points: each enters first ----

    /** On the loop: registers the channels, sets up each direction and moves what is waiting. */
    void register() {
        loop.add(this);
        try {
            SelectionKey[] k = loop.register(a, this);
            ka = k[0];
            pa = k[1];
            k = loop.register(b, this);
            kb = k[0];
            pb = k[1];
            registered = true;
        } catch (ClosedChannelException e) {
            // closed by the application before the loop got to it: nothing was touched
            usable = false;
            failAll(new IOException("splice ended: a channel was closed by the application before the splice"
                    + " started (EBADF)", e));
            return;
        } catch (IOException | RuntimeException e) {
            usable = false;
            failAll(Errors.named("register", SpliceEngine.asIOException(e)));
            return;
        }
        if (!enter()) {
            return;
        }
        Flow[] opened = new Flow[bidirectional ? 2 : 1];
        try {
            opened[0] = Flow.create(this, Direction.FORWARD, a, b);
            if (bidirectional) {
                opened[1] = Flow.create(this, Direction.REVERSE, b, a);
            }
        } catch (IOException | RuntimeException e) {
            if (opened[0] != null) {
                flows = new Flow[] {opened[0], Flow.unopened(this, Direction.REVERSE, b, a)};
            }
            failAll(Errors.named("splice setup", SpliceEngine.asIOException(e)));
            return;
        }
        flows = opened;
        for (Flow f : opened) {
            f.start();
        }
        if (tunnelNanos > 0 && !finishing) {
            tunnelTimer = loop.schedule(this, System.nanoTime() + tunnelNanos);
        }
        for (Flow f : opened) {
            f.moveWaiting();
        }
        if (stop.get() != RUNNING) {
            stopDirections();
        }
        updateInterest();
    }

    /** On the loop: a key of this session is ready. */
    void onReady(SelectionKey key) {
        if (!enter()) {
            return;
        }
        SocketChannel channel = key == ka ? a : b;
        for (Flow f : flows) {
            f.onReady(channel, key.readyOps());
        }
        updateInterest();
    }

    /** On the loop: the tunnel idle timer. Ends every running direction once none moved for the timeout. */
    @Override
    public void onTimer(long now) {
        tunnelTimer = null;
        if (!enter()) {
            return;
        }
        long last = Long.MIN_VALUE;
        for (Flow f : flows) {
            f.refresh();
            last = last == Long.MIN_VALUE ? f.lastActivity() : Math.max(last, f.lastActivity());
        }
        long due = last + tunnelNanos;
        if (due - now > 0) {
            tunnelTimer = loop.schedule(this, due);
            return;
        }
        for (Flow f : flows) {
            f.endIdle();
        }
        updateInterest();
    }

    /** On the loop: a transfer reported its source readable (KernelTransfer#reportsReadable). */
    void onReported(Flow f) {
        if (enter()) {
            f.onReadable();
            updateInterest();
        }
    }

    /** On the loop: an unexpected exception from a backend; ends the splice rather than the loop. */
    void crash(Throwable t) {
        Backends.LOG.log(Level.ERROR, "splice4j: backend " + backend.name() + " failed unexpectedly", t);
        failAll(new IOException("splice4j backend " + backend.name() + " failed: " + t, t));
    }

    private void failAll(IOException e) {
        for (Flow f : flowsOrUnopened()) {
            f.fail(e, false);
        }
    }

    /**
     * The directions; if they were never set up (a channel was closed, or registering failed,
     * before), directions that move nothing, so that every failure ends every direction.
     */
    private Flow[] flowsOrUnopened() {
        if (flows.length == 0) {
            flows = bidirectional
                    ? new Flow[] {Flow.unopened(this, Direction.FORWARD, a, b), Flow.unopened(this, Direction.REVERSE, b, a)}
                    : new Flow[] {Flow.unopened(this, Direction.FORWARD, a, b)};
        }
        return flows;
    }

    /**
     * On the loop, inside the guard: the kernel let go of {@code from}'s direction before its end,
     * with bytes still in the source. The engine's copy carries it on in its place, with the same
     * count, limit and idle timer, and moves what waits now.
     */
    void continueByCopy(Flow from, TransferUnsupportedException why) {
        CopyFlow next = new CopyFlow(this, from.direction, from.source, from.drain,
                loop.newCopy(from.source, from.drain), false, from.delivered());
        from.handOver(next);
        Flow[] replaced = flows.clone();
        replaced[from.direction.ordinal()] = next;
        flows = replaced;
        CopyFlow.reportFallback(this, why, from.source, from.drain);
        next.start();
        if (bidirectional && replaced[1 - from.direction.ordinal()].ended()) {
            next.otherEnded();
        }
        next.moveWaiting();
    }

    /** Whether the splice has one direction only: no other direction reads its drain. */
    boolean isUnidirectional() {
        return !bidirectional;
    }

    /** On the loop: {@code failed} failed with {@code e}; every other direction ends with it too. */
    void peerFailed(Flow failed, IOException e) {
        for (Flow f : flows) {
            if (f != failed) {
                f.peerFailed(e);
            }
        }
    }

    void updateInterest() {
        if (finishing || !registered) {
            return;
        }
        int ia = 0;
        int ib = 0;
        for (Flow f : flows) {
            ia |= f.interest(a);
            ib |= f.interest(b);
        }
        try {
            if (ka.interestOps() != ia) {
                ka.interestOps(ia);
            }
            if (kb.interestOps() != ib) {
                kb.interestOps(ib);
            }
        } catch (CancelledKeyException e) {
            // the application closed a channel just now, on another thread: the splice ends with ERROR
            checkClosed();
        }
    }

    /** On the loop, from a flow that ended. */
    void flowEnded(Flow f) {
        if (finishing) {
            return;
        }
        boolean allEnded = true;
        for (Flow other : flows) {
            if (other != f && !other.ended()) {
                allEnded = false;
                other.otherEnded();
            }
        }
        if (allEnded) {
            finishing = true;
            loop.cancel(tunnelTimer);
            tunnelTimer = null;
            loop.finishing(this);
        }
    }

    /** Cancels the keys and pins; returns how many selected keys there were, for the loop's key count. */
    int cancelKeys() {
        int n = 0;
        for (SelectionKey k : new SelectionKey[] {ka, kb}) {
            if (k != null) {
                k.cancel();
                n++;
            }
        }
        for (SelectionKey k : new SelectionKey[] {pa, pb}) {
            if (k != null) {
                k.cancel();
            }
        }
        return n;
    }

    /** On the loop, after the keys were deregistered: gives the channels back and completes. */
    void handBack() {
        if (stop.get() == CLOSING) {
            closeQuietly(a);
            closeQuietly(b);
        } else {
            restore(a, aWasBlocking);
            restore(b, bWasBlocking);
        }
        SpliceEngine.release(a, this);
        SpliceEngine.release(b, this);
        SpliceResult r = result();
        // counted before completion, so that whoever sees the completion sees the counts too
        Telemetry.finished(backend.name(), startedNanos, r);
        done.complete(r);
    }

    private static void restore(SocketChannel c, boolean blocking) {
        if (blocking && c.isOpen()) {
            try {
                c.configureBlocking(true);
            } catch (IOException | IllegalBlockingModeException e) {
                // closed meanwhile, or registered elsewhere by the application: leave it as it is
                Backends.LOG.log(Level.DEBUG, "splice4j: could not restore blocking mode of " + c, e);
            }
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            Backends.LOG.log(Level.DEBUG, "splice4j: close failed for " + c, e);
        }
    }

    private SpliceResult result() {
        Map<Direction, SpliceEnd> ends = new EnumMap<>(Direction.class);
        Map<Direction, Long> bytes = new EnumMap<>(Direction.class);
        Map<Direction, IOException> errors = new EnumMap<>(Direction.class);
        Map<Direction, ByteBuffer> undelivered = new EnumMap<>(Direction.class);
        for (Flow f : flows) {
            f.report(ends, bytes, errors, undelivered);
        }
        return SpliceResult.of(ends, bytes, errors, undelivered);
    }

    /** On the loop: the application asked to unsplice or close. */
    private void stopOnLoop() {
        if (enter()) {
            stopDirections();
            updateInterest();
        }
    }

    private void stopDirections() {
        boolean closing = stop.get() == CLOSING;
        for (Flow f : flows) {
            f.unsplice(closing);
        }
    }

    // ---- SpliceHandle ----

    @Override
    public String backend() {
        return backend.name();
    }

    @Override
    public Set<Direction> directions() {
        return bidirectional ? EnumSet.allOf(Direction.class) : EnumSet.of(Direction.FORWARD);
    }

    @Override
    public long bytesSpliced() {
        return bytesSpliced(Direction.FORWARD) + (bidirectional ? bytesSpliced(Direction.REVERSE) : 0);
    }

    @Override
    public long bytesSpliced(Direction direction) {
        check(direction);
        Flow[] fs = flows;
        if (fs.length == 0) {
            return 0;  // not started on the loop yet
        }
        Flow f = fs[direction.ordinal()];
        if (f.countedElsewhere() && !done.isDone()) {
            refreshKernelCounts();
        }
        return f.delivered();
    }

    /**
     * A kernel's count is read on the loop only (a system call on the descriptors, inside the
     * guard). On the loop it is read now; from another thread a refresh is queued, at most one at
     * a time, and the caller gets the last count the loop saw without waiting: a true lower bound,
     * and the next call sees the refreshed one (docs/spec.md, "Resources").
     */
    private void refreshKernelCounts() {
        if (loop.inLoop()) {
            refreshOnLoop();
        } else if (refreshQueued.compareAndSet(false, true)) {
            loop.execute(() -> {
                refreshQueued.set(false);
                refreshOnLoop();
            });
        }
    }

    private void refreshOnLoop() {
        if (enter()) {
            for (Flow f : flows) {
                f.refresh();
            }
            updateInterest();
        }
    }

    /** The future {@link #ended} copies for {@code direction}. */
    CompletableFuture<SpliceEnd> endFuture(Direction direction) {
        return direction == Direction.FORWARD ? forwardEnd : reverseEnd;
    }

    private void check(Direction direction) {
        if (direction == null) {
            throw new NullPointerException("direction");
        }
        if (direction == Direction.REVERSE && !bidirectional) {
            throw new IllegalArgumentException("a unidirectional splice has no " + direction + " direction");
        }
    }

    @Override
    public CompletableFuture<SpliceResult> completion() {
        return done.copy();
    }

    @Override
    public CompletableFuture<SpliceEnd> ended(Direction direction) {
        check(direction);
        return endFuture(direction).copy();
    }

    @Override
    public boolean isDone() {
        return done.isDone();
    }

    @Override
    public void unsplice() {
        if (!done.isDone() && stop.compareAndSet(RUNNING, UNSPLICING)) {
            loop.execute(this::stopOnLoop);
        }
    }

    @Override
    public void close() {
        if (!done.isDone() && stop.getAndSet(CLOSING) != CLOSING) {
            loop.execute(this::stopOnLoop);
        }
        // The loop closes the channels when it hands back a CLOSING splice, but the splice may
        // complete just before it sees the request, or may have completed long ago: closing here
        // too keeps the promise that close() leaves both channels closed either way.
        CompletableFuture<Void> closed = done.thenRun(() -> {
            closeQuietly(a);
            closeQuietly(b);
        });
        if (!SpliceEngine.isLoopThread()) {
            closed.join();
        }
    }

    @Override
    public String toString() {
        return "SpliceHandle{" + backend.name() + ", " + (bidirectional ? a + " <-> " + b : a + " -> " + b)
                + (done.isDone() ? ", " + done.join() : ", running") + '}';
    }
}
