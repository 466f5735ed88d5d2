package io.github.splice4j.bsd;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.spi.KernelTransfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import io.github.splice4j.unix.Errnos;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import jnr.constants.platform.Errno;

/**
 * One direction spliced by the kernel: setsockopt(SO_SPLICE) on the source with the drain, the
 * byte limit and, where the kernel restarts it on every transfer (OpenBSD), the idle timeout.
 *
 * <p>The engine learns of the end from the source turning readable, which the BSDs hold back
 * while a socket is spliced; SO_ERROR then says why. FreeBSD ends the splice at {@code sp_max}
 * without setting an error, so the source turns readable only if more bytes wait; there the
 * engine also polls the byte count ({@link #pollNanos()}), which also keeps its idle timer exact.
 *
 * <p>Every call runs on the loop thread that holds the channels' registrations, inside the
 * engine's descriptor guard (docs/spec.md, "No stray bytes"): the engine keeps a spliced
 * channel's descriptor its socket until the splice hands it back, even after the application
 * closed it, so a call here never reaches another socket, and a splice whose channel was closed
 * is stopped with its exact count before the engine lets go.
 */
final class BsdTransfer extends KernelTransfer {

    /** The shortest FreeBSD poll interval, while bytes move toward the limit. */
    static final long MIN_POLL_NANOS = 1_000_000L;
    /** The longest FreeBSD poll interval with a limit or an idle timeout: keeps the idle end within 100 ms. */
    static final long LIMIT_POLL_NANOS = 50_000_000L;
    /** The longest FreeBSD poll interval otherwise: only to notice a drain that failed while idle. */
    static final long QUIET_POLL_NANOS = 1_000_000_000L;

    private final BsdKernel kernel;
    private final HeldErrors held;
    private final BsdKernel.Flavor flavor;
    private final SocketChannel source;
    private final SocketChannel drain;
    private final int sourceFd;
    private final int drainFd;
    private final long max;
    private final boolean kernelIdle;
    private final boolean idleWanted;
    /** A tunnel idle timeout is kept by the engine from the counts: poll them even on OpenBSD. */
    private final boolean tunnel;
    /** The latest count read from the kernel. */
    private long count;
    private long pollInterval = MIN_POLL_NANOS;
    private long polledCount;
    private long polledAt = System.nanoTime();

    private BsdTransfer(BsdKernel kernel, HeldErrors held, SocketChannel source, SocketChannel drain, int sourceFd,
            int drainFd, SpliceOptions options) {
        this.kernel = kernel;
        this.held = held;
        this.flavor = kernel.flavor();
        this.source = source;
        this.drain = drain;
        this.sourceFd = sourceFd;
        this.drainFd = drainFd;
        this.max = options.maxBytes();
        // the engine keeps a tunnel idle timer from the counts, so they must stay fresh
        this.idleWanted = !options.idleTimeout().isZero() || !options.tunnelIdleTimeout().isZero();
        this.kernelIdle = !options.idleTimeout().isZero() && flavor.restartsIdle();
        this.tunnel = !options.tunnelIdleTimeout().isZero();
    }

    /**
     * Splices {@code source} to {@code drain} in the kernel.
     *
     * @param held the errors that transfers on {@code kernel} read from a drain for the splice
     *     whose source it is; one per kernel
     */
    static BsdTransfer start(BsdKernel kernel, HeldErrors held, SocketChannel source, SocketChannel drain,
            SpliceOptions options) throws IOException {
        BsdTransfer t = new BsdTransfer(kernel, held, source, drain, kernel.fd(source), kernel.fd(drain), options);
        // a new splice: nothing read for an earlier one on these descriptors (or their sockets' predecessors) counts
        held.forget(t.sourceFd);
        held.forget(t.drainFd);
        // Long.MAX_VALUE / 4 ns (73 years) is the engine's cap too: no kernel arithmetic overflows
        long idle = t.kernelIdle ? Math.min(options.idleTimeout().toNanos(), Long.MAX_VALUE / 4) : 0;
        try {
            kernel.spliceOn(t.sourceFd, t.drainFd, t.max, idle);
        } catch (ErrnoException e) {
            throw Errnos.is(e, Errno.ENOTCONN) ? t.whyNotConnected(e) : e;
        }
        return t;
    }

    /**
     * The splice call said ENOTCONN: both kernels do so for a socket whose connection was reset
     * before it (OpenBSD sosplice(), FreeBSD so_splice()), though the JDK still calls it
     * connected. The reset's own error, still pending in that socket's SO_ERROR, says more.
     */
    private ErrnoException whyNotConnected(ErrnoException notConnected) throws IOException {
        Errno error = kernel.soError(sourceFd);
        String which = "splice";
        if (error == null) {
            error = kernel.soError(drainFd);
            which = "splice to the drain";
        }
        return error == null ? notConnected : failure(which, error);
    }

    @Override
    public long transferred() throws IOException {
        count = kernel.splicedBytes(sourceFd);
        return count;
    }

    /**
     * Called when the source turned readable, which it does only once the kernel let go of it. With
     * no error and no limit reached that is the end of stream, unless bytes still wait in the
     * source: then the kernel let go early, and the engine's copy moves the rest.
     */
    @Override
    public SpliceEnd ended() throws IOException {
        Errno error = sourceError();
        long n = transferred();
        if (error != null) {
            if (isOwnEnd(error)) {
                return error == Errno.EFBIG ? SpliceEnd.MAX_BYTES : SpliceEnd.IDLE_TIMEOUT;
            }
            held.failed(sourceFd, error);  // the reverse direction, whose drain this is, reads it no more
            throw failure("splice", error);
        }
        Errno failed = held.failure(sourceFd);
        if (failed != null) {
            throw failure("splice", failed);  // the reverse direction read it from this socket as its drain
        }
        if (max > 0 && n >= max) {
            return SpliceEnd.MAX_BYTES;  // FreeBSD sets no error at the limit
        }
        checkDrain();
        int waiting = waitingInSource();
        if (waiting > 0) {
            // FreeBSD so_splice_xfer_data(): a FIN that finds the drain full ends the splice with
            // bytes unmoved and no error (docs/bsd.md, "FreeBSD's early end"); the copy moves them
            throw new TransferUnsupportedException("the kernel ended the splice at end of stream with " + waiting
                    + " bytes still in the source");
        }
        return SpliceEnd.EOF;
    }

    /**
     * Bytes waiting in the source (FIONREAD, through the JDK, which checks that the channel is
     * still open); 0 if none or if that cannot be told.
     */
    private int waitingInSource() {
        try {
            return source.socket().getInputStream().available();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** FreeBSD: the limit may have been reached with nothing more to read, which no event shows. */
    @Override
    public SpliceEnd polled() throws IOException {
        if (max > 0 && count >= max) {
            unspliceQuietly();  // the kernel dissolves the splice right at the limit; make sure before handing back
            return SpliceEnd.MAX_BYTES;
        }
        checkDrain();
        return null;
    }

    /**
     * Polls on FreeBSD only: with a limit, about when the rate just seen would reach it; otherwise
     * backing off while nothing moves, to at most {@link #LIMIT_POLL_NANOS} with a limit or idle
     * timeout and {@link #QUIET_POLL_NANOS} without.
     */
    @Override
    public long pollNanos() {
        if (flavor.signalsMax() && !tunnel) {
            return 0;
        }
        long now = System.nanoTime();
        long cap = max > 0 || idleWanted ? LIMIT_POLL_NANOS : QUIET_POLL_NANOS;
        long next;
        if (max > 0 && count > polledCount) {
            double nanosPerByte = (double) Math.max(1, now - polledAt) / (count - polledCount);
            next = (long) Math.min(cap, (max - count) * nanosPerByte);
        } else {
            next = pollInterval * 2;
        }
        pollInterval = Math.max(MIN_POLL_NANOS, Math.min(cap, next));
        polledCount = count;
        polledAt = now;
        return pollInterval;
    }

    /**
     * Unsplices. Not being spliced any more (the kernel ended the splice meanwhile) has no effect:
     * OpenBSD says EPROTO, FreeBSD ENOTCONN, older OpenBSD nothing or ENOTCONN.
     */
    @Override
    public void stop() throws IOException {
        unspliceQuietly();
        // an end the kernel recorded meanwhile must not surface in the application's next read
        Errno pending = sourceError();
        if (pending != null && !isOwnEnd(pending)) {
            throw failure("splice", pending);
        }
    }

    @Override
    public boolean kernelIdle() {
        return kernelIdle;
    }

    @Override
    public boolean reportsReadable(Runnable readable) {
        return kernel.reportsReadable(sourceFd, readable);
    }

    /** Holds nothing of its own: both descriptors belong to the channels. */
    @Override
    public void release() {
        held.forgetEnd(sourceFd);
        kernel.release(sourceFd);
    }

    /** The source's SO_ERROR: one the reverse direction read from it as its drain, else the kernel's. */
    private Errno sourceError() throws IOException {
        Errno error = held.take(sourceFd);
        return error != null ? error : kernel.soError(sourceFd);
    }

    private void unspliceQuietly() throws IOException {
        try {
            kernel.unsplice(sourceFd);
        } catch (ErrnoException e) {
            if (!Errnos.is(e, Errno.EPROTO) && !Errnos.is(e, Errno.ENOTCONN)) {
                throw e;
            }
        }
    }

    /** Whether {@code error} is how this splice's own limit or idle timeout ended it. */
    private boolean isOwnEnd(Errno error) {
        return (error == Errno.EFBIG && max > 0) || (error == Errno.ETIMEDOUT && kernelIdle);
    }

    /**
     * A drain whose write failed ends the splice; OpenBSD moves its error to the source (EPIPE, or
     * the drain's own), FreeBSD leaves ECONNRESET on the drain and none on the source. On OpenBSD a
     * drain's EFBIG, ETIMEDOUT or ELOOP is the end of the reverse direction's own splice, which
     * somove() skips on a drain too: it is kept for that direction, not taken as this one's failure.
     * A failure either direction read from a socket fails the other direction on it too.
     */
    private void checkDrain() throws IOException {
        Errno error = kernel.soError(drainFd);
        if (error == null) {
            error = held.failure(drainFd);  // the reverse direction read it from this socket as its source
            if (error == null) {
                return;
            }
        } else if (flavor == BsdKernel.Flavor.OPENBSD && isSpliceEnd(error)) {
            held.hold(drainFd, error);
            return;
        }
        held.failed(drainFd, error);
        throw failure("splice to the drain", error);
    }

    /** The codes an OpenBSD splice ends with on its own source: limit, idle timeout, loop. */
    private static boolean isSpliceEnd(Errno error) {
        return error == Errno.EFBIG || error == Errno.ETIMEDOUT || error == Errno.ELOOP;
    }

    private static ErrnoException failure(String what, Errno error) {
        return Errnos.exception(what, error);
    }
}
