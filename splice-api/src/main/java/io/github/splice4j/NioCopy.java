package io.github.splice4j;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import io.github.splice4j.spi.Errors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * The engine's copy: one direction moved through a pooled direct buffer with non-blocking reads
 * and writes. It is the whole nio backend, and the path of any direction a native backend cannot
 * splice in the kernel (TransferUnsupportedException), so it is the engine's, not a backend's.
 * Buffers are taken from a per-thread pool only while bytes are in flight and reused, so an idle
 * splice holds no buffer and a busy one allocates nothing per chunk.
 */
final class NioCopy extends CopyTransfer {

    /** Free buffers kept per loop thread; more in flight at once are allocated and then dropped. */
    private static final int POOL_LIMIT = 64;
    private static final ThreadLocal<ArrayDeque<ByteBuffer>> POOL = ThreadLocal.withInitial(ArrayDeque::new);

    private final SocketChannel source;
    private final SocketChannel drain;
    /** The size of a new buffer ({@code splice4j.nio.bufferSize}). */
    private final int bufferSize;
    /** Holds pending bytes between position and limit while in flight; null when empty. */
    private ByteBuffer buffer;

    NioCopy(SocketChannel source, SocketChannel drain, int bufferSize) {
        this.source = source;
        this.drain = drain;
        this.bufferSize = bufferSize;
    }

    @Override
    public long fill(long max) throws IOException {
        ByteBuffer buf = buffer != null ? buffer : take();
        buf.clear();
        if (max < buf.capacity()) {
            buf.limit((int) max);
        }
        int n;
        try {
            n = source.read(buf);
        } catch (IOException e) {
            give(buf);
            throw Errors.named("read", e);
        }
        if (n <= 0) {
            give(buf);
            return n;
        }
        buf.flip();
        buffer = buf;
        return n;
    }

    @Override
    public long flush() throws IOException {
        ByteBuffer buf = buffer;
        int n;
        try {
            n = drain.write(buf);
        } catch (IOException e) {
            throw Errors.writeFailed(drain, e);
        }
        if (!buf.hasRemaining()) {
            give(buf);
        }
        return n;
    }

    @Override
    public long pending() {
        return buffer == null ? 0 : buffer.remaining();
    }

    @Override
    public ByteBuffer takePending() {
        ByteBuffer left = ByteBuffer.allocate((int) pending());
        if (buffer != null) {
            left.put(buffer).flip();
            give(buffer);
        }
        return left;
    }

    @Override
    public void release() {
        if (buffer != null) {
            give(buffer);
        }
    }

    private ByteBuffer take() {
        ByteBuffer b = POOL.get().pollFirst();
        // a pooled buffer of another size stays usable: fill limits itself to what it asks for
        return b != null ? b : ByteBuffer.allocateDirect(bufferSize);
    }

    private void give(ByteBuffer b) {
        buffer = null;
        ArrayDeque<ByteBuffer> pool = POOL.get();
        if (pool.size() < POOL_LIMIT) {
            pool.addFirst(b);
        }
    }
}
