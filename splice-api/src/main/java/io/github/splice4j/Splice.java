package io.github.splice4j;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * Splices two connected TCP socket channels: bytes arriving on a source are written to its drain
 * by the best backend this machine offers (the kernel's own splicing where it has one), without
 * passing through the Java heap.
 *
 * <pre>{@code
 * SocketChannel client = server.accept();
 * SocketChannel upstream = SocketChannel.open(target);
 * SpliceHandle h = Splice.bidirectional(client, upstream);
 * SpliceResult r = h.completion().join();   // or thenAccept(...)
 * long toUpstream = r.bytes(Direction.FORWARD), toClient = r.bytes(Direction.REVERSE);
 * }</pre>
 *
 * <p>The backend is chosen once: the {@code splice4j.backend} system property
 * ({@code linux}, {@code bsd} or {@code nio}) if set, else the available backend of highest
 * priority. A forced backend that is missing or unavailable makes every splice fail with the
 * recorded cause; there is no silent fallback from an explicit request.
 *
 * <p>Every call validates its arguments before changing anything:
 * <ul>
 *   <li>a null channel or options: {@link NullPointerException} naming the argument;
 *   <li>the same channel twice: {@link IllegalArgumentException};
 *   <li>a closed channel: {@link ClosedChannelException};
 *   <li>a channel that is not connected: {@link NotYetConnectedException};
 *   <li>a channel already taking part in a running splice: {@link IllegalStateException}
 *       ("already spliced").
 * </ul>
 */
public final class Splice {

    private Splice() {
    }

    /**
     * Splices {@code source} to {@code drain} with {@link SpliceOptions#defaults()}: one
     * direction, {@link Direction#FORWARD}.
     *
     * @param source the channel whose incoming bytes are moved; connected, open, not spliced
     * @param drain the channel the bytes are written to; connected, open, not spliced, not {@code source}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if no backend is usable (the message says why)
     */
    public static SpliceHandle unidirectional(SocketChannel source, SocketChannel drain) throws IOException {
        return unidirectional(source, drain, SpliceOptions.defaults());
    }

    /**
     * Splices {@code source} to {@code drain}: one direction, {@link Direction#FORWARD}. Returns
     * once the splice is started; bytes already waiting in {@code source} are moved too.
     *
     * @param source the channel whose incoming bytes are moved; connected, open, not spliced
     * @param drain the channel the bytes are written to; connected, open, not spliced, not {@code source}
     * @param options how the splice runs, such as {@link SpliceOptions#defaults()}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if no backend is usable (the message says why)
     */
    public static SpliceHandle unidirectional(SocketChannel source, SocketChannel drain, SpliceOptions options)
            throws IOException {
        return Backends.selected().unidirectional(source, drain, options);
    }

    /**
     * Splices {@code a} and {@code b} both ways with {@link SpliceOptions#defaults()}:
     * {@code a -> b} is {@link Direction#FORWARD}, {@code b -> a} is {@link Direction#REVERSE}.
     *
     * @param a one channel; connected, open, not spliced
     * @param b the other channel; connected, open, not spliced, not {@code a}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if no backend is usable (the message says why)
     */
    public static SpliceHandle bidirectional(SocketChannel a, SocketChannel b) throws IOException {
        return bidirectional(a, b, SpliceOptions.defaults());
    }

    /**
     * Splices {@code a} and {@code b} both ways: {@code a -> b} is {@link Direction#FORWARD},
     * {@code b -> a} is {@link Direction#REVERSE}. The options apply to each direction on its own
     * (each has its own byte limit and idle timer). If one direction fails, the other ends too.
     *
     * @param a one channel; connected, open, not spliced
     * @param b the other channel; connected, open, not spliced, not {@code a}
     * @param options how the splice runs, such as {@link SpliceOptions#defaults()}
     * @return the handle of the running splice
     * @throws IOException if a channel cannot be switched to non-blocking mode
     * @throws IllegalStateException if no backend is usable (the message says why)
     */
    public static SpliceHandle bidirectional(SocketChannel a, SocketChannel b, SpliceOptions options)
            throws IOException {
        return Backends.selected().bidirectional(a, b, options);
    }

    /**
     * The name of the backend new splices use: the forced one if {@code splice4j.backend} is set
     * (even if it is unavailable), else the available backend of highest priority.
     *
     * @return the backend's name, such as {@code "linux"}
     * @throws IllegalStateException if no backend is on the class or module path
     */
    public static String backend() {
        return Backends.selected().name();
    }

    /**
     * A snapshot of every backend found, in {@link #backends()} order: splices running, started
     * and finished, the bytes the finished ones moved, and what the backend holds (the linux
     * backend's pipes). Cheap, and it never waits for an event loop; see {@link SpliceStats}.
     *
     * @return one snapshot per backend, unmodifiable
     */
    public static List<SpliceStats> stats() {
        return Telemetry.snapshot();
    }

    /**
     * Every backend found, available ones first, then by priority (highest first) and name, each
     * with its availability and cause.
     *
     * @return the backends, unmodifiable; empty if none is on the class or module path
     */
    public static List<SpliceBackend> backends() {
        return Backends.all();
    }

    /**
     * The backend named {@code name}, available or not, for tests and benchmarks that compare
     * backends. Its splice calls throw {@link IllegalStateException} with the cause if it is
     * unavailable.
     *
     * @param name the backend's name: {@code "linux"}, {@code "bsd"} or {@code "nio"}
     * @return the backend of that name
     * @throws IllegalArgumentException if no backend of that name was found
     */
    public static SpliceBackend using(String name) {
        return Backends.named(name);
    }
}
