package io.github.splice4j;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A running (or finished) splice. Thread-safe: every method may be called from any thread.
 *
 * <p>While the splice runs, the library owns both channels: do not read, write, register or
 * reconfigure them until {@link #completion()} is done. After completion both channels are open
 * (unless the splice ended because one was closed, or through {@link #close()}) and in the
 * blocking mode they had before the splice. A channel the application closes anyway ends the
 * splice with {@link SpliceEnd#ERROR} (EBADF) within about 50 ms, and no byte of the splice ever
 * reaches another socket that takes its descriptor number.
 */
public interface SpliceHandle extends AutoCloseable {

    /**
     * The backend moving the bytes.
     *
     * @return its name: {@code "linux"}, {@code "bsd"} or {@code "nio"}
     */
    String backend();

    /**
     * The directions of this splice.
     *
     * @return {@code FORWARD}, and {@code REVERSE} if bidirectional; unmodifiable
     */
    Set<Direction> directions();

    /**
     * Bytes delivered so far over all directions; live while the splice runs, final after. Never
     * waits for the splice's event loop: with a kernel backend (bsd) it returns the count the loop
     * last read from the kernel and has the loop read it again, so a count polled while bytes move
     * trails them by at most one loop iteration.
     *
     * @return the sum over the directions of the bytes written to their drains
     */
    long bytesSpliced();

    /**
     * Bytes delivered so far in {@code direction}; live while the splice runs, final after.
     * Never waits, as {@link #bytesSpliced()}.
     *
     * @param direction the direction, not null
     * @return the bytes written to that direction's drain
     * @throws IllegalArgumentException if this splice has no such direction (REVERSE of a
     *     unidirectional splice)
     */
    long bytesSpliced(Direction direction);

    /**
     * A future completed with the result once every direction has ended, after both channels have
     * been handed back (blocking mode restored). It never completes exceptionally: failures are
     * reported per direction as {@link SpliceEnd#ERROR}. Each call returns a new future that
     * mirrors the splice, so completing or cancelling it has no effect on the splice. Dependent
     * actions added without an executor may run on the library's event-loop thread: keep them
     * short and non-blocking, or use the {@code ...Async} variants.
     *
     * @return a new future of the splice's result
     */
    CompletableFuture<SpliceResult> completion();

    /**
     * A future completed with the reason {@code direction} ended, as soon as it ends, which may be
     * long before the other direction of a bidirectional splice ends and {@link #completion()}
     * is done. It lets a proxy react to one direction's end, for example close the connection
     * when one direction hit {@link SpliceOptions#maxBytes()} while the other still waits for
     * bytes. It completes on the library's event-loop thread (or at once, on the caller's
     * thread, for a direction that already ended), with the same value
     * {@link SpliceResult#end(Direction)} reports later, and never completes exceptionally. Each
     * call returns a new future, so completing or cancelling it has no effect on the splice.
     * Dependent actions added without an executor may run on the event-loop thread: keep them
     * short and non-blocking ({@link #unsplice()} is).
     *
     * @param direction the direction, not null
     * @return a future of the direction's end
     * @throws IllegalArgumentException if this splice has no such direction (REVERSE of a
     *     unidirectional splice)
     * @throws NullPointerException if {@code direction} is null
     */
    CompletableFuture<SpliceEnd> ended(Direction direction);

    /**
     * Whether the splice is over.
     *
     * @return true once every direction has ended and the channels were handed back
     */
    boolean isDone();

    /**
     * Stops every direction that is still running; each ends {@link SpliceEnd#UNSPLICED}. Bytes
     * already taken from a source are delivered first; bytes not yet taken stay in the source.
     * Returns at once; {@link #completion()} is done when the channels are handed back (open and
     * in their original blocking mode). Calling it again, or after completion, has no effect.
     */
    void unsplice();

    /**
     * Closes both channels, whenever it is called. While the splice runs it first unsplices:
     * bytes already taken from a source are written if the drain accepts them without waiting;
     * the rest is dropped with the connection. After completion it just closes the channels, so
     * that a try-with-resources block never leaks a socket (to keep using the channels after a
     * splice, call {@link #unsplice()} or wait for {@link #completion()}, and do not close the
     * handle). Unless called on a splice4j event-loop thread (from a completion callback, say),
     * it returns after the splice completed and both channels are closed. Calling it again has no
     * effect.
     */
    @Override
    void close();
}
