package io.github.splice4j;

/** Why one direction of a splice ended. */
public enum SpliceEnd {
    /**
     * The source reached end of stream and every byte taken from it was delivered; with
     * {@link SpliceOptions#shutdownOnEof()} the drain's output was then shut down.
     */
    EOF,
    /**
     * Exactly {@link SpliceOptions#maxBytes()} bytes were delivered; later bytes are still unread in
     * the source.
     */
    MAX_BYTES,
    /**
     * No byte moved in this direction for {@link SpliceOptions#idleTimeout()}. Bytes already taken
     * from the source that the drain did not accept are in {@link SpliceResult#undelivered(Direction)};
     * later bytes are still unread in the source.
     */
    IDLE_TIMEOUT,
    /** {@link SpliceHandle#unsplice()} or {@link SpliceHandle#close()} stopped it. */
    UNSPLICED,
    /**
     * An I/O error ended it (reset or closed peer, failed write, channel closed by the
     * application), or the other direction of a bidirectional splice failed;
     * {@link SpliceResult#error(Direction)} holds the exception.
     */
    ERROR
}
