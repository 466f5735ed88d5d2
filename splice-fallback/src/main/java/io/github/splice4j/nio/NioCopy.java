package io.github.splice4j.nio;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.Errors;
import io.github.splice4j.spi.SystemProperties;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/** One direction copied through a pooled direct buffer. */
final class NioCopy extends CopyTransfer {

    /** System property: the copy buffer size in bytes. */
    static final String BUFFER_PROPERTY = "splice4j.nio.bufferSize";
    static final int DEFAULT_BUFFER_SIZE = 256 * 1024;
    /** Free buffers kept per loop thread; more in flight at once are allocated and then dropped. */
    private static final int POOL_LIMIT = 64;
    private static final ThreadLocal<ArrayDeque<ByteBuffer>> POOL = ThreadLocal.withInitial(ArrayDeque::new);

    /** Read on first use (the probe), so a bad value makes the backend unavailable with its message. */
    private static final class Size {
        static final int BUFFER_SIZE = bufferSize();
    }

    private final SocketChannel source;
    private final SocketChannel drain;
    /** Holds pending bytes between position and limit while in flight; null when empty. */
    private ByteBuffer buffer;

    NioCopy(SocketChannel source, SocketChannel drain) {
        this.source = source;
        this.drain = drain;
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

    private static ByteBuffer take() {
        ByteBuffer b = POOL.get().pollFirst();
        return b != null ? b : ByteBuffer.allocateDirect(Size.BUFFER_SIZE);
    }

    /**
     * The buffer size set by {@value #BUFFER_PROPERTY}.
     *
     * @throws IllegalArgumentException if it is not an integer from 4096 to 2^30
     */
    static int bufferSize() {
        return SystemProperties.integer(BUFFER_PROPERTY, DEFAULT_BUFFER_SIZE, 4096, 1 << 30);
    }

    private void give(ByteBuffer b) {
        buffer = null;
        ArrayDeque<ByteBuffer> pool = POOL.get();
        if (pool.size() < POOL_LIMIT) {
            pool.addFirst(b);
        }
    }
}
