package io.github.splice4j;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.KernelTransfer;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * One direction of a splice: what every direction has, whoever moves its bytes (the count, the
 * end and its error, the idle timer, the drain check, EOF forwarding). Confined to the loop thread
 * but for {@link #delivered()}, which any thread may read. Two kinds extend it: a
 * {@link CopyFlow}, which the engine pumps, and a {@link KernelFlow}, which the kernel moves by
 * itself; each keeps its own transfer and its own state.
 *
 * <p>Every use of a transfer that may reach a descriptor first calls
 * {@link Session#checkEntered()}, which checks that the session entered the descriptor guard in
 * this loop iteration (docs/spec.md, "No stray bytes").
 */
abstract class Flow implements EventLoop.Timed {

    /** How often a drain that nothing else watches is asked whether it failed (Transfer#drainFailure). */
    static final long DRAIN_CHECK_NANOS = 1_000_000_000L;

    final Session session;
    final Direction direction;
    final SocketChannel source;
    final SocketChannel drain;
    /** The idle timeout in nanoseconds; 0 for none. */
    final long idleNanos;
    /** Whether moved bytes are timestamped: some idle timer (this direction's or the tunnel's) needs it. */
    final boolean timed;
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

    private volatile long delivered;
    private long lastActivity;
    private EventLoop.Timer timer;
    private EventLoop.Timer drainTimer;
    /** Whether the engine keeps the idle timer (the kernel does not). */
    private boolean engineIdle;
    private SpliceEnd end;
    /** Another flow carries this direction on (#handOver): this one does nothing more. */
    private boolean handedOver;
    private IOException error;
    private boolean wantRead;
    private boolean wantWrite;

    Flow(Session session, Direction direction, SocketChannel source, SocketChannel drain) {
        this.session = session;
        this.direction = direction;
        this.source = source;
        this.drain = drain;
        this.idleNanos = Math.min(session.options.idleTimeout().toNanos(), Session.MAX_TIMEOUT_NANOS);
        this.timed = idleNanos > 0 || session.tunnelNanos > 0;
        this.lastActivity = System.nanoTime();
    }

    /**
     * On the loop, after registration, inside the guard: creates the direction with its transfer.
     * A source already shut for input ends at EOF when started, with no transfer of the backend's
     * (Java's read says end of stream, and so does every backend; a kernel would move bytes still
     * queued on Linux, none on the BSDs).
     */
    static Flow create(Session session, Direction direction, SocketChannel source, SocketChannel drain)
            throws IOException {
        session.checkEntered();
        if (inputShutDown(source)) {
            return new CopyFlow(session, direction, source, drain, session.loop.newCopy(source, drain), true);
        }
        SpliceProvider provider = session.backend.provider();
        Transfer t;
        try {
            t = provider.newTransfer(source, drain, session.options);
        } catch (io.github.splice4j.spi.TransferUnsupportedException e) {
            // the backend knows at once that its kernel cannot take these sockets (the BSDs refuse
            // anything but TCP): the engine's copy moves the direction
            CopyFlow.reportFallback(session, e, source, drain);
            return new CopyFlow(session, direction, source, drain, session.loop.newCopy(source, drain), false);
        }
        if (t instanceof KernelTransfer) {
            return new KernelFlow(session, direction, source, drain, (KernelTransfer) t);
        }
        CopyTransfer copy = t == Transfer.copiedByEngine() ? session.loop.newCopy(source, drain) : (CopyTransfer) t;
        return new CopyFlow(session, direction, source, drain, copy, false);
    }

    /** For a direction that could not be set up: an engine copy that never moves a byte, only ends. */
    static Flow unopened(Session session, Direction direction, SocketChannel source, SocketChannel drain) {
        return new CopyFlow(session, direction, source, drain, session.loop.newCopy(source, drain), false);
    }

    private static boolean inputShutDown(SocketChannel c) {
        try {
            return c.socket().isInputShutdown();
        } catch (UnsupportedOperationException e) {
            return false;  // a UNIX-domain channel has no socket adaptor; its reads tell
        }
    }

    // ---- what each kind does its own way ----

    /** The transfer; a use that may reach a descriptor goes through {@link #guarded()}. */
    abstract Transfer transfer();

    /** Whether this kind keeps its idle timeout itself (a kernel that restarts it on every transfer). */
    abstract boolean keepsIdleItself();

    /** How long until this kind wants its timer for a check of its own; 0 for never. */
    abstract long pollNanos();

    /** Inside the guard, on the timer: this kind's own check; true if it ended the direction. */
    abstract boolean poll() throws IOException;

    /** Inside the guard: the source is readable. */
    abstract void onReadable();

    /** Inside the guard: the drain is writable. */
    abstract void onWritable();

    /** Inside the guard: moves what is waiting now, right after the splice started. */
    abstract void moveWaiting();

    /** Whether the live count lives elsewhere (a kernel) and {@link #refresh()} brings it here. */
    abstract boolean countedElsewhere();

    /** Inside the guard: brings the live count up to date, where it lives elsewhere (a kernel). */
    abstract void refresh();

    /** Inside the guard: stops for an idle timeout, keeping for the result what the drain did not take. */
    abstract void stopIdle() throws IOException;

    /** Inside the guard: stops taking bytes; pending ones are still delivered unless the splice is being closed. */
    abstract void unsplice(boolean closing);

    /**
     * Stops what moves bytes on its own (a kernel splice) and reads its exact count, while the
     * descriptors are still pinned; nothing for a copy, which moves nothing by itself.
     */
    abstract void stopMoving();

    /** The other direction failed: delivers what can go without waiting. */
    abstract void deliverWhatCan();

    /** Adds bytes taken but undelivered to the result being built, if any. */
    abstract void reportUndelivered(Map<Direction, ByteBuffer> undelivered);

    // ---- shared ----

    /** The transfer, for a use that may reach a descriptor: only inside the guard. */
    final Transfer guarded() {
        session.checkEntered();
        return transfer();
    }

    /** On the loop, inside the guard, once every direction of the session exists: arms the timers. */
    void start() {
        engineIdle = idleNanos > 0 && !keepsIdleItself();
        if (engineIdle || pollNanos() > 0) {
            timer = session.loop.schedule(this, nextCheck(System.nanoTime()));
        }
        if (session.isUnidirectional()) {
            watchDrain();
        }
    }

    @Override
    public Session session() {
        return session;
    }

    /** Whether this flow is done: the direction ended, or another flow carries it on. */
    final boolean ended() {
        return end != null || handedOver;
    }

    /**
     * Inside the guard, while this direction runs: {@code next} carries it on from here, with this
     * one's count and idle timer. This one stops its timers, releases its transfer and ends
     * nothing; the session puts {@code next} in its place.
     */
    final void handOver(Flow next) {
        next.delivered = delivered;
        next.lastActivity = lastActivity;
        handedOver = true;
        stop();
    }

    final long delivered() {
        return delivered;
    }

    final long lastActivity() {
        return lastActivity;
    }

    /** Counts {@code n} more bytes delivered. */
    final void delivered(long n) {
        delivered += n;  // n >= 0, as CopyTransfer.flush returns it: no branch (see CopyFlow.pump)
    }

    /** Sets the count to what the kernel says; a change is activity. */
    final void deliveredTotal(long n) {
        if (n != delivered) {
            delivered = n;
            if (timed) {
                lastActivity = System.nanoTime();
            }
        }
    }

    /** Bytes moved just now: restarts the idle timers. */
    final void moved() {
        if (timed) {
            lastActivity = System.nanoTime();
        }
    }

    final void want(boolean read, boolean write) {
        wantRead = read;
        wantWrite = write;
    }

    final boolean wantsRead() {
        return wantRead;
    }

    final boolean wantsWrite() {
        return wantWrite;
    }

    /** The interest ops this direction wants on {@code channel}, one of the session's two. */
    final int interest(SocketChannel channel) {
        return (channel == source && wantRead ? SelectionKey.OP_READ : 0)
                | (channel == drain && wantWrite ? SelectionKey.OP_WRITE : 0);
    }

    /** Inside the guard: {@code channel}'s key is ready with {@code ready} ops. */
    final void onReady(SocketChannel channel, int ready) {
        if (end != null) {
            return;
        }
        if (channel == source && (ready & SelectionKey.OP_READ) != 0) {
            onReadable();
        }
        if (channel == drain && (ready & SelectionKey.OP_WRITE) != 0) {
            onWritable();
        }
    }

    /** The next timer deadline: the idle deadline, or the next poll if that comes first. */
    private long nextCheck(long now) {
        long due = lastActivity + idleNanos;
        long poll = pollNanos();
        return poll > 0 && (!engineIdle || due - (now + poll) > 0) ? now + poll : due;
    }

    /** This direction's idle or poll timer: re-arm if bytes moved since, else end. */
    @Override
    public void onTimer(long now) {
        timer = null;
        if (end != null || !session.enter()) {
            return;
        }
        refresh();
        try {
            if (poll()) {
                session.updateInterest();
                return;
            }
        } catch (IOException e) {
            fail(e, true);
            session.updateInterest();
            return;
        }
        long due = lastActivity + idleNanos;
        if (!engineIdle || due - now > 0) {
            if (engineIdle || pollNanos() > 0) {
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
    final void endIdle() {
        if (end != null) {
            return;
        }
        try {
            stopIdle();
            finish(SpliceEnd.IDLE_TIMEOUT);
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /** The other direction ended: this one's drain may now be unwatched. */
    final void otherEnded() {
        watchDrain();
    }

    /**
     * Arms the drain check if this direction runs, its transfer can tell a failed drain, and no
     * event would: a unidirectional splice, or a bidirectional one whose other direction ended
     * (while it runs, its reads see the drain's reset).
     */
    private void watchDrain() {
        if (end == null && drainTimer == null && transfer().detectsDrainFailure()) {
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
            IOException e = guarded().drainFailure();
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
    final void fail(IOException e, boolean spread) {
        if (end != null) {
            return;
        }
        error = io.github.splice4j.spi.Errors.named(
                direction == Direction.FORWARD ? "splice forward" : "splice reverse", e);
        if (session.usable()) {
            stopMoving();  // already failing: the kernel's own error, if any, adds nothing
        }
        end(SpliceEnd.ERROR);
        if (spread) {
            session.peerFailed(this, error);
        }
    }

    /** The other direction failed: deliver what can go without waiting, then end with its error. */
    final void peerFailed(IOException e) {
        if (end != null) {
            return;
        }
        try {
            if (session.usable()) {
                deliverWhatCan();
            }
        } catch (RuntimeException ignored) {
            // the connection is going down anyway
        }
        fail(e, false);
    }

    /** Ends a direction that ran to a normal end: forwards EOF if asked, then releases. */
    final void finish(SpliceEnd why) {
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
        stop();
        session.flowEnded(this);
        session.endFuture(direction).complete(why);
    }

    /** This flow wants nothing more from the loop: no interest, no timer, no transfer. */
    private void stop() {
        wantRead = false;
        wantWrite = false;
        session.loop.cancel(timer);
        session.loop.cancel(drainTimer);
        timer = null;
        drainTimer = null;
        try {
            transfer().release();
        } catch (RuntimeException e) {
            Backends.LOG.log(Level.WARNING, "splice4j: release failed", e);
        }
    }

    /** Adds this direction's end to the result being built. */
    final void report(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes, Map<Direction, IOException> errors,
            Map<Direction, ByteBuffer> undeliveredBytes) {
        ends.put(direction, end);
        bytes.put(direction, delivered);
        if (error != null) {
            errors.put(direction, error);
        }
        reportUndelivered(undeliveredBytes);
    }
}
