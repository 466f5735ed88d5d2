package io.github.splice4j.linux;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers for the chunks that cannot go through a pipe: when the pipe pool is exhausted,
 * or when a socket refuses splice(2). Taken only while a chunk is in flight and kept for reuse
 * per thread, like pipes.
 */
final class Buffers {

    /** Bytes per buffer: small, since many may be in flight when pipes run out. */
    static final int SIZE = 64 * 1024;
    private static final int IDLE_PER_THREAD = 16;
    private static final ThreadLocal<ArrayDeque<ByteBuffer>> IDLE = ThreadLocal.withInitial(ArrayDeque::new);

    private Buffers() {
    }

    /** A cleared buffer of {@link #SIZE} bytes. */
    static ByteBuffer take() {
        ByteBuffer b = IDLE.get().pollFirst();
        return b != null ? b.clear() : ByteBuffer.allocateDirect(SIZE);
    }

    /** Gives back a buffer from {@link #take()}; its content is forgotten. */
    static void give(ByteBuffer b) {
        ArrayDeque<ByteBuffer> free = IDLE.get();
        if (free.size() < IDLE_PER_THREAD) {
            free.addFirst(b);
        }
    }
}
