package io.github.splice4j.spi;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One direction of a splice: the state machine every backend shares. Confined to the loop thread
 * but for {@link #delivered}, which any thread may read.
 *
 * <p>For a {@link CopyTransfer} the pump alternates: flush what is pending, and only when
 * nothing is pending take at most the bytes left under the limit. So a direction never holds
 * more than one fill, never reads past its limit, and stops reading while its drain is full
 * (back-pressure reaches the source's peer through TCP).
 */
final class Flow {

    /**
     * Bytes one direction takes per readiness event before it yields to the other splices on its
     * loop (level-triggered, the selector comes straight back). Bounded in bytes, not in reads: a
     * bulk transfer must not hold the loop for megabytes while a small request waits behind it.
     * System property {@code splice4j.eventBudget} (bytes, at least 4096; default 256 KiB).
     */
    static final long BUDGET = Math.max(4096, Long.getLong("splice4j.eventBudget", 256 * 1024));
    /** Idle timeouts are capped here (about 73 years) so deadline arithmetic cannot overflow. */
    private static final long MAX_IDLE_NANOS = Long.MAX_VALUE / 4;

    private static volatile boolean loggedFallback;

    final Session session;
    final Direction direction;
    final SocketChannel source;
    final SocketChannel drain;
    private final long max;
    private final long idleNanos;

    private CopyTransfer copy;
    private KernelTransfer kernel;
    private long taken;
    volatile long delivered;
    private long lastActivity;
    long deadline;
    /** Whether the engine keeps the idle timer (the kernel does not). */
    private boolean engineIdle;
    /** A kernel transfer's polling interval (see KernelTransfer#pollNanos); 0 = not polled. */
    private long pollNanos;
    /** Why the direction will end once nothing is pending; null while it runs. */
    private SpliceEnd stopping;
    SpliceEnd end;
    IOException error;
    /** Bytes taken but never delivered, handed to the application at an idle timeout; else null. */
    ByteBuffer undelivered;
    boolean wantRead;
    boolean wantWrite;

    Flow(Session session, Direction direction, SocketChannel source, SocketChannel drain) {
        this.session = session;
        this.direction = direction;
        this.source = source;
        this.drain = drain;
        this.max = session.options.maxBytes();
        this.idleNanos = Math.min(session.options.idleTimeout().toNanos(), MAX_IDLE_NANOS);
    }

    boolean isKernel() {
        return kernel != null;
    }

    /** On the loop, after registration: creates the transfer and arms the idle timer. */
    void open() throws IOException {
        Transfer t = session.backend.provider().newTransfer(source, drain, session.options);
        if (t instanceof KernelTransfer) {
            kernel = (KernelTransfer) t;
            // the source turns readable when the kernel ends the splice, unless the transfer says so itself
            wantRead = !kernel.reportsReadable(() -> session.loop.execute(this::onReported));
            pollNanos = Math.max(0, kernel.pollNanos());
        } else {
            copy = (CopyTransfer) t;
        }
        engineIdle = idleNanos > 0 && (kernel == null || !kernel.kernelIdle());
        if (engineIdle || pollNanos > 0) {
            lastActivity = System.nanoTime();
            deadline = nextCheck(lastActivity);
            session.loop.schedule(this);
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
                    long w = copy.flush();
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
                    r = copy.fill(Math.min(room, budget));
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
        if (moved && idleNanos > 0) {
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

    /** A kernel transfer reported its source readable (KernelTransfer#reportsReadable). */
    private void onReported() {
        if (end == null && session.checkOpen()) {
            pollKernel(false);
            session.updateInterest();
        }
    }

    private void pollKernel(boolean polled) {
        if (end != null) {
            return;
        }
        try {
            SpliceEnd why = polled ? kernel.polled() : kernel.ended();
            if (why != null) {
                delivered = kernel.transferred();
                finish(why);
            }
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /** On the loop: updates the live count of a kernel transfer. */
    void refresh() {
        if (kernel != null && end == null) {
            try {
                long n = kernel.transferred();
                if (n != delivered) {
                    delivered = n;
                    lastActivity = System.nanoTime();
                }
            } catch (IOException e) {
                // the end will be seen through readability; the old count stands until then
            }
        }
    }

    /** The idle timer fired at {@code now}: re-arm if bytes moved since, else end. */
    void onTimer(long now) {
        if (end != null) {
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
                deadline = nextCheck(now);
                session.loop.schedule(this);
            }
            return;
        }
        try {
            if (kernel != null) {
                kernel.stop();
                delivered = kernel.transferred();
            } else if (copy.pending() > 0) {
                delivered += copy.flush();  // last chance for bytes already taken
                if (copy.pending() > 0) {
                    // the drain takes nothing: hand the bytes to the application rather than drop them
                    undelivered = copy.takePending();
                }
            }
            finish(SpliceEnd.IDLE_TIMEOUT);
        } catch (IOException e) {
            fail(e, true);
        }
        session.updateInterest();
    }

    /** Stops taking bytes; pending ones are still delivered unless the splice is being closed. */
    void unsplice(boolean closing) {
        if (end != null) {
            return;
        }
        try {
            if (kernel != null) {
                kernel.stop();
                delivered = kernel.transferred();
                finish(SpliceEnd.UNSPLICED);
            } else if (closing) {
                if (copy.pending() > 0) {
                    delivered += copy.flush();
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
     * On the loop, about once a second: asks the transfer whether the drain died, if nothing else
     * would tell (no write pending on it, no other direction reading it). See Transfer#drainFailure.
     */
    void checkDrain() {
        Transfer t = kernel != null ? kernel : copy;
        Flow other = session.other(this);
        if (end != null || t == null || wantWrite || (other != null && other.end == null && other.wantRead)) {
            return;
        }
        IOException e = t.drainFailure();
        if (e != null) {
            fail(e, true);
        }
    }

    /** Ends this direction with ERROR; with {@code spread}, the other direction too. */
    void fail(IOException e, boolean spread) {
        if (end != null) {
            return;
        }
        error = Errors.named(direction == Direction.FORWARD ? "splice forward" : "splice reverse", e);
        try {
            if (kernel != null) {
                kernel.stop();
                delivered = kernel.transferred();
            }
        } catch (IOException | RuntimeException ignored) {
            // already failing; the count stays the last one seen
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
            if (copy != null && copy.pending() > 0) {
                delivered += copy.flush();
            }
        } catch (IOException ignored) {
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
        if (idleNanos > 0 || pollNanos > 0) {
            session.loop.unschedule(this);
        }
        Transfer t = kernel != null ? kernel : copy;
        if (t != null) {
            try {
                t.release();
            } catch (RuntimeException e) {
                Backends.LOG.log(Level.WARNING, "splice4j: release failed", e);
            }
        }
        session.flowEnded();
    }
}
