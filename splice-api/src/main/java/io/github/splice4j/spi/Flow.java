package io.github.splice4j.spi;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One direction of a splice: the state machine every backend shares. Confined to the loop thread
 * but for {@link #delivered}, which any thread may read.
 *
 * <p>Every use of the transfer that may reach a descriptor goes through {@link #copy()} or
 * {@link #kernel()}, which check that the session entered the descriptor guard in this loop
 * iteration ({@link Session#checkEntered()}).
 *
 * <p>For a {@link CopyTransfer} the pump alternates: flush what is pending, and only when
 * nothing is pending take at most the bytes left under the limit. So a direction never holds
 * more than one fill, never reads past its limit, and stops reading while its drain is full
 * (back-pressure reaches the source's peer through TCP).
 */
final class Flow implements EventLoop.Timed {

    /**
     * Bytes one direction takes per readiness event before it yields to the other splices on its
     * loop (level-triggered, the selector comes straight back). Bounded in bytes, not in reads: a
     * bulk transfer must not hold the loop for megabytes while a small request waits behind it.
     * System property {@code splice4j.eventBudget} (bytes, at least 4096; default 256 KiB).
     */
    static final long BUDGET = Math.max(4096, Long.getLong("splice4j.eventBudget", 256 * 1024));
    /** How often a drain that nothing else watches is asked whether it failed (Transfer#drainFailure). */
    static final long DRAIN_CHECK_NANOS = 1_000_000_000L;

    private static volatile boolean loggedFallback;

    private final Session session;
    private final Direction direction;
    private final SocketChannel source;
    private final SocketChannel drain;
    private final long max;
    private final long idleNanos;
    /** Whether moved bytes are timestamped: some idle timer (this direction's or the tunnel's) needs it. */
    private final boolean timed;
    /** Runs the drain checks (a second timer of this direction). */
    private final EventLoop.Timed drainCheck = new EventLoop.Timed() {
        @Override
        public void onTimer(long now) {
            checkDrain();
        }

        @Override
        public Session session() {
            return session;
        }
    };

    private CopyTransfer copy;
    private KernelTransfer kernel;
    private long taken;
    private volatile long delivered;
    private long lastActivity;
    private EventLoop.Timer timer;
    private EventLoop.Timer drainTimer;
    /** Whether the engine keeps the idle timer (the kernel does not). */
    private boolean engineIdle;
    /** A kernel transfer's polling interval (see KernelTransfer#pollNanos); 0 = not polled. */
    private long pollNanos;
    /** Why the direction will end once nothing is pending; null while it runs. */
    private SpliceEnd stopping;
    private SpliceEnd end;
    /** Completed with {@link #end} once it is set (SpliceHandle#ended). */
    final CompletableFuture<SpliceEnd> endFuture = new CompletableFuture<>();
    private IOException error;
    /** Bytes taken but never delivered, handed to the application at an idle timeout; else null. */
    private ByteBuffer undelivered;
    private boolean wantRead;
    private boolean wantWrite;

    Flow(Session session, Direction direction, SocketChannel source, SocketChannel drain) {
        this.session = session;
        this.direction = direction;
        this.source = source;
        this.drain = drain;
        this.max = session.options.maxBytes();
        this.idleNanos = Math.min(session.options.idleTimeout().toNanos(), Session.MAX_TIMEOUT_NANOS);
        this.timed = idleNanos > 0 || session.tunnelNanos > 0;
    }

    @Override
    public Session session() {
        return session;
    }

    boolean isKernel() {
        return kernel != null;
    }

    boolean ended() {
        return end != null;
    }

    boolean wantRead() {
        return wantRead;
    }

    boolean wantWrite() {
        return wantWrite;
    }

    long delivered() {
        return delivered;
    }

    long lastActivity() {
        return lastActivity;
    }

    /** The copy transfer, for a use that may reach a descriptor: only inside the guard. */
    private CopyTransfer copy() {
        session.checkEntered();
        return copy;
    }

    /** The kernel transfer, for a use that may reach a descriptor: only inside the guard. */
    private KernelTransfer kernel() {
        session.checkEntered();
        return kernel;
    }

    /** On the loop, after registration, inside the guard: creates the transfer and arms the timers. */
    void open() throws IOException {
        session.checkEntered();
        if (inputShutDown(source)) {
            // the application shut the source for input: Java's read says end of stream, and so does
            // every backend (a kernel would move bytes still queued on Linux, none on the BSDs)
            finish(SpliceEnd.EOF);
            return;
        }
        Transfer t = session.backend.provider().newTransfer(source, drain, session.options);
        long now = System.nanoTime();
        lastActivity = now;
        if (t instanceof KernelTransfer) {
            kernel = (KernelTransfer) t;
            // the source turns readable when the kernel ends the splice, unless the transfer says so itself
            wantRead = !kernel.reportsReadable(() -> session.loop.execute(() -> session.onReported(this)));
            pollNanos = Math.max(0, kernel.pollNanos());
        } else {
            copy = (CopyTransfer) t;
        }
        engineIdle = idleNanos > 0 && (kernel == null || !kernel.kernelIdle());
        if (engineIdle || pollNanos > 0) {
            timer = session.loop.schedule(this, nextCheck(now));
        }
        if (session.other(this) == null) {
            watchDrain();
        }
    }

    private static boolean inputShutDown(SocketChannel c) {
        try {
            return c.socket().isInputShutdown();
        } catch (UnsupportedOperationException e) {
            return false;  // a UNIX-domain channel has no socket adaptor; its reads tell
        }
    }

    /** The next timer deadline: the idle deadline, or the next poll if that comes first. */
    private long nextCheck(long now) {
        long due = lastActivity + idleNanos;
        return pollNanos > 0 && (!engineIdle || due - (now + pollNanos) > 0) ? now + pollNanos : due;
    }

    void onReadable() {
        if (kernel != null) {
            pollKernel(false);
        } else {
            pump();
        }
    }

    /** Moves bytes until the source is empty, the drain is full, or the byte budget is spent. */
    void pump() {
        if (end != null || copy == null) {
            return;
        }
        boolean moved = false;
        try {
            long budget = BUDGET;
            while (true) {
                if (copy.pending() > 0) {
                    long w = copy().flush();
                    if (w > 0) {
                        delivered += w;
                        moved = true;
                    }
                    if (copy.pending() > 0) {
                        wantWrite = true;
                        wantRead = false;
                        break;
                    }
                }
                wantWrite = false;
                if (stopping != null) {
                    finish(stopping);
                    break;
                }
                long room = max == 0 ? Long.MAX_VALUE : max - taken;
                if (room == 0) {
                    finish(SpliceEnd.MAX_BYTES);
                    break;
                }
                if (budget <= 0) {
                    wantRead = true;  // level-triggered: the selector comes straight back
                    break;
                }
                long r;
                try {
                    // never more than the budget at once: a linux pipe holds 1 MiB
                    r = copy().fill(Math.min(room, budget));
                } catch (TransferUnsupportedException e) {
                    if (taken != 0 || !fallBack(e)) {
                        throw e;
                    }
                    continue;
                }
                if (r < 0) {
                    stopping = SpliceEnd.EOF;
                    wantRead = false;
                } else if (r == 0) {
                    wantRead = true;
                    break;
                } else {
                    taken += r;
                    budget -= r;
                    moved = true;
                }
            }
        } catch (IOException e) {
            fail(e, true);
        }
        if (moved && timed) {
            lastActivity = System.nanoTime();
        }
    }

    private boolean fallBack(TransferUnsupportedException why) throws IOException {
        CopyTransfer nio = Backends.fallbackTransfer(source, drain, session.options);
        if (nio == null) {
            return false;
        }
        copy.release();
        copy = nio;
        if (!loggedFallback) {
            loggedFallback = true;
            Backends.LOG.log(Level.INFO, "splice4j: backend " + session.backend.name()
                    + " cannot splice these sockets (" + why.getMessage() + "); copying them with nio instead");
        }
        return true;
    }

    /** Inside the guard: asks the kernel transfer whether it ended (or, polled, ended unseen). */
    void pollKernel(boolean polled) {
        if (end != null || kernel == null) {
            return;
        }
        try {
            SpliceEnd why = polled ? kernel().polled() : kernel().ended();
            if (why != null) {
                delivered = kernel().transferred();
                finish(why);
            }
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /** Inside the guard: updates the live count of a kernel transfer. */
    void refresh() {
        if (kernel != null && end == null) {
            try {
                long n = kernel().transferred();
                if (n != delivered) {
                    delivered = n;
                    lastActivity = System.nanoTime();
                }
            } catch (IOException e) {
                // the end will be seen through readability; the old count stands until then
            }
        }
    }

    /** This direction's idle or poll timer: re-arm if bytes moved since, else end. */
    @Override
    public void onTimer(long now) {
        timer = null;
        if (end != null || !session.enter()) {
            return;
        }
        refresh();
        if (pollNanos > 0) {
            pollKernel(true);
            if (end != null) {
                session.updateInterest();
                return;
            }
            pollNanos = Math.max(0, kernel.pollNanos());
        }
        long due = lastActivity + idleNanos;
        if (!engineIdle || due - now > 0) {
            if (engineIdle || pollNanos > 0) {
                timer = session.loop.schedule(this, nextCheck(now));
            }
            return;
        }
        endIdle();
        session.updateInterest();
    }

    /**
     * Inside the guard: ends the direction IDLE_TIMEOUT. Bytes already taken get a last chance to
     * go; those the drain does not take go to the application (SpliceResult#undelivered) rather
     * than being dropped.
     */
    void endIdle() {
        if (end != null) {
            return;
        }
        try {
            if (kernel != null) {
                kernel().stop();
                delivered = kernel().transferred();
            } else if (copy.pending() > 0) {
                delivered += copy().flush();
                if (copy.pending() > 0) {
                    undelivered = copy().takePending();
                }
            }
            finish(SpliceEnd.IDLE_TIMEOUT);
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /** Inside the guard: stops taking bytes; pending ones are still delivered unless the splice is being closed. */
    void unsplice(boolean closing) {
        if (end != null) {
            return;
        }
        try {
            if (kernel != null) {
                kernel().stop();
                delivered = kernel().transferred();
                finish(SpliceEnd.UNSPLICED);
            } else if (closing) {
                if (copy.pending() > 0) {
                    delivered += copy().flush();
                }
                finish(SpliceEnd.UNSPLICED);
            } else {
                stopping = SpliceEnd.UNSPLICED;
                pump();
            }
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /**
     * The application closed a channel (Session#closedByApplication): a kernel splice is stopped
     * and its exact count read while the descriptors are still pinned. Copies hold nothing the
     * kernel could still move.
     */
    void stopKernel() {
        if (end == null && kernel != null) {
            try {
                kernel().stop();
            } catch (IOException | RuntimeException e) {
                // an error the kernel recorded: the splice ends with the application's close anyway
            }
            try {
                delivered = kernel().transferred();
            } catch (IOException | RuntimeException e) {
                // the count stays the last one seen
            }
        }
    }

    /** The other direction ended: this one's drain may now be unwatched. */
    void otherEnded() {
        watchDrain();
    }

    /**
     * Arms the drain check if this direction runs, its transfer can tell a failed drain, and no
     * event would: a unidirectional splice, or a bidirectional one whose other direction ended
     * (while it runs, its reads see the drain's reset).
     */
    private void watchDrain() {
        Transfer t = kernel != null ? kernel : copy;
        if (end == null && drainTimer == null && t != null && t.detectsDrainFailure()) {
            drainTimer = session.loop.schedule(drainCheck, System.nanoTime() + DRAIN_CHECK_NANOS);
        }
    }

    /** The drain check: asks the transfer whether the drain died, unless a pending write will tell. */
    private void checkDrain() {
        drainTimer = null;
        if (end != null || !session.enter()) {
            return;
        }
        if (!wantWrite) {
            Transfer t = kernel != null ? kernel() : copy();
            IOException e = t.drainFailure();
            if (e != null) {
                fail(e, true);
                session.updateInterest();
                return;
            }
        }
        watchDrain();
    }

    /**
     * Ends this direction with ERROR; with {@code spread}, the other direction too. After the
     * application closed a channel ({@link Session#usable()} false) no descriptor is touched:
     * the count stays the last one known and bytes held are dropped with the transfer.
     */
    void fail(IOException e, boolean spread) {
        if (end != null) {
            return;
        }
        error = Errors.named(direction == Direction.FORWARD ? "splice forward" : "splice reverse", e);
        if (session.usable()) {
            stopKernel();  // already failing: the kernel's own error, if any, adds nothing
        }
        end(SpliceEnd.ERROR);
        Flow other = session.other(this);
        if (spread && other != null && other.end == null) {
            other.peerFailed(error);
        }
    }

    /** The other direction failed: deliver what can go without waiting, then end with its error. */
    private void peerFailed(IOException e) {
        try {
            if (copy != null && copy.pending() > 0 && session.usable()) {
                delivered += copy().flush();
            }
        } catch (IOException | RuntimeException ignored) {
            // the connection is going down anyway
        }
        fail(e, false);
    }

    /** Ends a direction that ran to a normal end: forwards EOF if asked, then releases. */
    private void finish(SpliceEnd why) {
        if (why == SpliceEnd.EOF && session.options.shutdownOnEof()) {
            try {
                drain.shutdownOutput();
            } catch (IOException e) {
                fail(e, true);
                return;
            }
        }
        end(why);
    }

    private void end(SpliceEnd why) {
        end = why;
        wantRead = false;
        wantWrite = false;
        session.loop.cancel(timer);
        session.loop.cancel(drainTimer);
        timer = null;
        drainTimer = null;
        Transfer t = kernel != null ? kernel : copy;
        if (t != null) {
            try {
                t.release();
            } catch (RuntimeException e) {
                Backends.LOG.log(Level.WARNING, "splice4j: release failed", e);
            }
        }
        session.flowEnded(this);
        endFuture.complete(why);
    }

    /** Adds this direction's end to the result being built. */
    void report(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes, Map<Direction, IOException> errors,
            Map<Direction, ByteBuffer> undeliveredBytes) {
        ends.put(direction, end);
        bytes.put(direction, delivered);
        if (error != null) {
            errors.put(direction, error);
        }
        if (undelivered != null) {
            undeliveredBytes.put(direction, undelivered);
        }
    }
}
