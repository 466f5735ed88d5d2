/**
 * splice4j's API: splice two connected TCP {@link java.nio.channels.SocketChannel}s so that the
 * bytes arriving on one are written to the other without the application reading them, by the
 * kernel where it can (Linux splice(2), OpenBSD and FreeBSD {@code SO_SPLICE}) or by a copy loop
 * through reused direct buffers ({@code nio}) everywhere else.
 *
 * <h2>Starting a splice</h2>
 *
 * {@link io.github.splice4j.Splice} is the entry point:
 * {@link io.github.splice4j.Splice#unidirectional(java.nio.channels.SocketChannel,
 * java.nio.channels.SocketChannel, io.github.splice4j.SpliceOptions) unidirectional} moves the
 * bytes of a source to a drain ({@link io.github.splice4j.Direction#FORWARD}),
 * {@link io.github.splice4j.Splice#bidirectional(java.nio.channels.SocketChannel,
 * java.nio.channels.SocketChannel, io.github.splice4j.SpliceOptions) bidirectional} both ways
 * ({@code a -> b} forward, {@code b -> a} {@link io.github.splice4j.Direction#REVERSE}).
 * {@link io.github.splice4j.SpliceOptions} sets a byte limit and idle timeouts and says whether
 * end of stream is forwarded. The call returns a {@link io.github.splice4j.SpliceHandle} at once;
 * the splice runs on the library's event-loop threads.
 *
 * <pre>{@code
 * SpliceHandle h = Splice.bidirectional(client, upstream,
 *         SpliceOptions.builder().idleTimeout(Duration.ofMinutes(5)).build());
 * h.completion().thenAccept(r ->
 *         System.out.println(r.bytes(Direction.FORWARD) + " B up, ended " + r.end(Direction.FORWARD)));
 * }</pre>
 *
 * <h2>While it runs, and after</h2>
 *
 * The library owns both channels until the handle's
 * {@link io.github.splice4j.SpliceHandle#completion() completion} is done; then they are the
 * application's again, open and in their original blocking mode, unless the splice was ended by
 * {@link io.github.splice4j.SpliceHandle#close()}. The {@link io.github.splice4j.SpliceResult}
 * gives, for each direction, why it ended ({@link io.github.splice4j.SpliceEnd}), how many bytes it
 * delivered, the exception if it failed, and the bytes it took but could not deliver before an
 * idle timeout. Every byte taken from a source reaches its drain exactly once and in order, or is
 * handed back in the result (docs/spec.md, "Integrity").
 *
 * <h2>Backends</h2>
 *
 * Backends are found with {@link java.util.ServiceLoader}, on the class path and on the module
 * path; each is probed once. The available backend of highest priority is used, unless the
 * {@code splice4j.backend} system property ({@code linux}, {@code bsd} or {@code nio}) forces one;
 * {@link io.github.splice4j.Splice#backends()} lists them with the cause of any that is
 * unavailable (docs/spec.md, "Choosing a backend").
 *
 * <p>docs/spec.md in the project's repository specifies every behaviour in full: data already
 * waiting, byte limits, idle timeouts, end of stream, unsplice, errors, resources, bad input and
 * ownership, one section each; the conformance suite checks each section on every backend.
 *
 * <p>The engine every backend shares lives here too, package-private: the event loops, one
 * session per splice, one flow per direction, the choice of backend, the reading of the
 * properties, and the one copy path (the nio backend's, and any direction a native backend cannot
 * splice). Nothing of it is API: backends reach the engine only through
 * {@link io.github.splice4j.spi}.
 */
package io.github.splice4j;
