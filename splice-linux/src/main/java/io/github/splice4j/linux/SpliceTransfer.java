package io.github.splice4j.linux;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.Errors;
import io.github.splice4j.spi.TransferUnsupportedException;
import io.github.splice4j.unix.Errnos;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * One direction moved with splice(2): source socket to a pooled pipe ({@link #fill}), pipe to
 * drain socket ({@link #flush}), never through user memory. Confined to the loop thread that owns
 * both channels, which is what makes the raw descriptors safe to use (docs/spec.md, "No stray bytes").
 *
 * <p>The pipe's fill is counted exactly: {@code fill(max)} splices at most
 * {@code min(capacity, max)} bytes, so the byte after a limit stays in the source, and
 * {@code flush()} splices out exactly the bytes the pipe holds. The engine fills only when
 * nothing is pending, so every fill splices into an empty pipe and EAGAIN there means the socket
 * is empty, never that the pipe is full.
 *
 * <p>A chunk goes through a direct buffer instead (the JDK channel's own read and write) when no
 * pipe can be had, and every chunk does once the drain has refused splice(2) (EINVAL, e.g. a
 * socket in append mode): bytes already in the pipe are then read out of it and written. A
 * source that refuses splice(2) before any byte moved throws
 * {@link TransferUnsupportedException}, and the engine copies the direction with nio.
 */
final class SpliceTransfer extends CopyTransfer {

    private final SocketChannel source;
    private final SocketChannel drain;
    private final int in;
    private final int out;
    private final PipePool pool;
    /** Holds pending bytes while in flight; null otherwise. */
    private Pipe pipe;
    /** Holds pending bytes between position and limit while in flight; null otherwise. */
    private ByteBuffer buffer;
    /** Whether any byte was taken from the source, by splice or copy. */
    private boolean taken;
    /** The drain refused splice(2): every chunk is copied from now on. */
    private boolean copyOnly;

    /**
     * @param in the source's descriptor, -1 if unknown (the first fill then refuses)
     * @param out the drain's descriptor, -1 if unknown
     */
    SpliceTransfer(SocketChannel source, SocketChannel drain, int in, int out, PipePool pool) {
        this.source = source;
        this.drain = drain;
        this.in = in;
        this.out = out;
        this.pool = pool;
    }

    @Override
    public long fill(long max) throws IOException {
        if (copyOnly) {
            return copyFill(max);
        }
        if (in < 0 || out < 0) {
            throw new TransferUnsupportedException("the descriptor of " + (in < 0 ? source : drain)
                    + " cannot be read: not a JDK socket channel");
        }
        Pipe p = pool.acquire();
        if (p == null) {
            return copyFill(max);
        }
        long n = Native.splice(in, p.writeFd, Math.min(max, p.capacity));
        if (n > 0) {
            p.held = n;
            pipe = p;
            taken = true;
            return n;
        }
        pool.release(p);
        if (n == 0) {
            return -1;
        }
        int errno = (int) -n;
        if (errno == Native.EAGAIN) {
            return 0;
        }
        if (errno == Native.EINVAL || errno == Native.ENOSYS) {
            if (!taken) {
                throw new TransferUnsupportedException(Errnos.exception("splice(..)", errno).getMessage());
            }
            copyOnly = true;  // bytes already moved by copy: carry on copying rather than fail
            return copyFill(max);
        }
        throw Errnos.exception("splice(..)", errno);
    }

    @Override
    public long flush() throws IOException {
        Pipe p = pipe;
        if (p == null || copyOnly) {
            return copyFlush();
        }
        long n = Native.splice(p.readFd, out, p.held);
        if (n == 0) {
            // the pipe holds bytes and we hold its write end: 0 means our count is wrong
            throw new IOException("splice(..) moved nothing out of a pipe holding " + p.held + " bytes");
        }
        // EAGAIN (a full drain) takes the path of a write that moved 0 bytes, without a branch of
        // its own: a full drain is rare enough that a warm-up may never see one, and the JIT would
        // compile such a branch as a trap that deoptimizes the pump then (docs/benchmarks.md)
        long sign = n >> 63;                       // -1 for an error, else 0
        if ((sign & (n + Native.EAGAIN)) == 0) {   // moved n >= 1, or EAGAIN
            long moved = n & ~sign;
            p.held -= moved;
            if (p.held == 0) {
                pipe = null;
                pool.release(p);
            }
            return moved;
        }
        int errno = (int) -n;
        if (errno == Native.EINVAL || errno == Native.ENOSYS) {
            copyOnly = true;  // the drain refuses splice: empty the pipe through a buffer
            return copyFlush();
        }
        throw Errnos.exception("splice(..)", errno);
    }

    @Override
    public long pending() {
        return (pipe == null ? 0 : pipe.held) + (buffer == null ? 0 : buffer.remaining());
    }

    @Override
    public ByteBuffer takePending() throws IOException {
        ByteBuffer left = ByteBuffer.allocate(Math.toIntExact(pending()));
        if (buffer != null) {
            left.put(buffer);  // read out of the pipe earlier: these come first
            Buffers.give(buffer);
            buffer = null;
        }
        while (pipe != null) {
            ByteBuffer b = readPipe();
            left.put(b);
            Buffers.give(b);
        }
        return left.flip();
    }

    /** SO_ERROR of the drain: set by a reset or an ICMP error even while nothing is written. */
    @Override
    public IOException drainFailure() {
        int errno = out < 0 ? 0 : Native.socketError(out);
        return errno == 0 ? null : Errnos.exception("drain", errno);
    }

    /** True: SO_ERROR tells, while the drain's descriptor is known. */
    @Override
    public boolean detectsDrainFailure() {
        return out >= 0;
    }

    @Override
    public void release() {
        if (pipe != null) {
            pool.release(pipe);  // closed, not pooled, if it still holds bytes
            pipe = null;
        }
        if (buffer != null) {
            Buffers.give(buffer);
            buffer = null;
        }
    }

    /** Whether the drain refused splice(2), so that every chunk is copied. */
    boolean copying() {
        return copyOnly;
    }

    /** Reads at most {@code max} bytes from the source into a buffer. */
    private long copyFill(long max) throws IOException {
        ByteBuffer b = Buffers.take();
        if (max < b.capacity()) {
            b.limit((int) max);
        }
        int n;
        try {
            n = source.read(b);
        } catch (IOException e) {
            Buffers.give(b);
            throw Errors.named("read", e);
        }
        if (n <= 0) {
            Buffers.give(b);
            return n;
        }
        b.flip();
        buffer = b;
        taken = true;
        return n;
    }

    /**
     * Reads the next chunk of the pipe into a buffer from {@link Buffers} (flipped, for the caller
     * to give back), and returns the pipe to the pool once it is empty.
     */
    private ByteBuffer readPipe() throws IOException {
        ByteBuffer b = Buffers.take();
        long r = Native.read(pipe.readFd, b);
        if (r <= 0) {
            Buffers.give(b);
            throw r == 0 ? new IOException("read(..) found no bytes in a pipe holding " + pipe.held)
                    : Errnos.exception("read(..)", (int) -r);
        }
        pipe.held -= r;
        if (pipe.held == 0) {
            pool.release(pipe);
            pipe = null;
        }
        return b.flip();
    }

    /** Writes the buffer, refilling it from the pipe while the pipe holds bytes. */
    private long copyFlush() throws IOException {
        long written = 0;
        while (true) {
            if (buffer == null && pipe != null) {
                buffer = readPipe();
            }
            if (buffer == null) {
                return written;
            }
            try {
                written += drain.write(buffer);
            } catch (IOException e) {
                throw Errors.writeFailed(drain, e);
            }
            if (buffer.hasRemaining()) {
                return written;  // the drain is full
            }
            Buffers.give(buffer);
            buffer = null;
        }
    }
}
