package io.github.splice4j;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * A direction the engine pumps through a {@link CopyTransfer} (a backend's pipe, or the engine's
 * own buffer). The pump alternates: flush what is pending, and only when nothing is pending take
 * at most the bytes left under the limit. So a direction never holds more than one fill, never
 * reads past its limit, and stops reading while its drain is full (back-pressure reaches the
 * source's peer through TCP).
 */
final class CopyFlow extends Flow {

    private static volatile boolean loggedFallback;

    private final long max;
    /** Whether the source was already shut for input when the splice started: the direction ends at EOF at once. */
    private final boolean endsAtStart;
    private CopyTransfer copy;
    private long taken;
    /** Why the direction will end once nothing is pending; null while it runs. */
    private SpliceEnd stopping;
    /** Bytes taken but never delivered, handed to the application at an idle timeout; else null. */
    private ByteBuffer undelivered;

    CopyFlow(Session session, Direction direction, SocketChannel source, SocketChannel drain, CopyTransfer copy,
            boolean endsAtStart) {
        this(session, direction, source, drain, copy, endsAtStart, 0);
    }

    /** A direction that carries on after {@code taken} bytes another transfer moved (Flow#handOver). */
    CopyFlow(Session session, Direction direction, SocketChannel source, SocketChannel drain, CopyTransfer copy,
            boolean endsAtStart, long taken) {
        super(session, direction, source, drain);
        this.copy = copy;
        this.max = session.options.maxBytes();
        this.endsAtStart = endsAtStart;
        this.taken = taken;
    }

    @Override
    void start() {
        if (endsAtStart) {
            finish(SpliceEnd.EOF);
            return;
        }
        super.start();
    }

    @Override
    Transfer transfer() {
        return copy;
    }

    /** The copy transfer, for a use that may reach a descriptor: only inside the guard. */
    private CopyTransfer copy() {
        session.checkEntered();
        return copy;
    }

    @Override
    boolean keepsIdleItself() {
        return false;
    }

    @Override
    long pollNanos() {
        return 0;
    }

    @Override
    boolean poll() {
        return false;
    }

    @Override
    void onReadable() {
        pump();
    }

    @Override
    void onWritable() {
        pump();
    }

    @Override
    void moveWaiting() {
        pump();
    }

    @Override
    boolean countedElsewhere() {
        return false;
    }

    @Override
    void refresh() {
        // the count is the engine's own, always up to date
    }

    /** Moves bytes until the source is empty, the drain is full, or the byte budget is spent. */
    private void pump() {
        if (ended()) {
            return;
        }
        // No branch on whether a flush wrote anything: a drain that takes nothing now is rare
        // enough that a warm-up may never see it, and the JIT would then compile that branch
        // as a trap that deoptimizes the pump at a client's first full drain (docs/benchmarks.md).
        long bytesMoved = 0;
        try {
            long budget = session.loop.eventBudget();
            while (true) {
                if (copy.pending() > 0) {
                    long w = copy().flush();
                    delivered(w);
                    bytesMoved += w;
                    if (copy.pending() > 0) {
                        want(false, true);
                        break;
                    }
                }
                want(wantsRead(), false);
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
                    want(true, false);  // level-triggered: the selector comes straight back
                    break;
                }
                long r;
                try {
                    // never more than the budget at once: a linux pipe holds 1 MiB
                    r = copy().fill(Math.min(room, budget));
                } catch (TransferUnsupportedException e) {
                    if (taken != 0) {
                        throw e;
                    }
                    fallBack(e);
                    continue;
                }
                if (r < 0) {
                    stopping = SpliceEnd.EOF;
                    want(false, false);
                } else if (r == 0) {
                    want(true, false);
                    break;
                } else {
                    taken += r;
                    budget -= r;
                    bytesMoved += r;
                }
            }
        } catch (IOException e) {
            fail(e, true);
        }
        if (bytesMoved > 0) {
            moved();
        }
    }

    /** The kernel refused these sockets before any byte moved: the engine's copy takes over. */
    private void fallBack(TransferUnsupportedException why) {
        copy.release();
        copy = session.loop.newCopy(source, drain);
        reportFallback(session, why, source, drain);
    }

    /**
     * A direction of {@code session} that its backend cannot splice, at its first fill or already
     * when it was created: its JFR event every time, a log line once per process.
     */
    static void reportFallback(Session session, TransferUnsupportedException why, SocketChannel source,
            SocketChannel drain) {
        Telemetry.fellBack(session.backend.name(), why.getMessage(), source, drain);
        if (!loggedFallback) {
            loggedFallback = true;
            Backends.LOG.log(Level.INFO, "splice4j: backend " + session.backend.name()
                    + " cannot splice these sockets (" + why.getMessage() + "); copying them with nio instead");
        }
    }

    @Override
    void stopIdle() throws IOException {
        if (copy.pending() > 0) {
            delivered(copy().flush());
            if (copy.pending() > 0) {
                undelivered = copy().takePending();
            }
        }
    }

    @Override
    void unsplice(boolean closing) {
        if (ended()) {
            return;
        }
        if (!closing) {
            stopping = SpliceEnd.UNSPLICED;
            pump();
            return;
        }
        try {
            if (copy.pending() > 0) {
                delivered(copy().flush());
            }
            finish(SpliceEnd.UNSPLICED);
        } catch (IOException e) {
            fail(e, true);
        }
    }

    @Override
    void stopMoving() {
        // a copy holds nothing the kernel could still move
    }

    @Override
    void deliverWhatCan() {
        try {
            if (copy.pending() > 0) {
                delivered(copy().flush());
            }
        } catch (IOException ignored) {
            // the connection is going down anyway
        }
    }

    @Override
    void reportUndelivered(Map<Direction, ByteBuffer> undeliveredBytes) {
        if (undelivered != null) {
            undeliveredBytes.put(direction, undelivered);
        }
    }
}
