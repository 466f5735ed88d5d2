/**
 * The Unix layer of splice4j: what the linux and bsd backends both need, written once, in the way
 * Netty's transport-native-unix-common serves its epoll and kqueue transports. Exported only to
 * those two backend modules; nothing here is API.
 *
 * <ul>
 *   <li>{@link io.github.splice4j.unix.ChannelDescriptors}: the descriptor of a JDK socket
 *       channel, read with one JDK policy (sun.misc.Unsafe on JDK 17 to 23, reflection where
 *       {@code java.base/sun.nio.ch} is opened to this module), and the JVM flags JDK 24+ needs,
 *       named for the class path or the module path as the library was loaded.
 *   <li>{@link io.github.splice4j.unix.NativeLibraries}: loads a backend's C library binding
 *       through jnr-ffi, also on the module path, where jnr-ffi needs a class-loader workaround.
 *       Each backend keeps its own {@code Native} holder with a LibC interface declaring only the
 *       calls it makes.
 *   <li>{@link io.github.splice4j.unix.Errnos}: a native errno as
 *       {@link io.github.splice4j.spi.ErrnoException} (call, number, name), and the one place
 *       interrupted calls (EINTR) are retried.
 * </ul>
 *
 * <p>The descriptor guard (a descriptor is used only while its splice is entered and its channel
 * pinned, so that a number the application's close released is never spliced on; see
 * docs/spec.md, "No stray bytes") does not live here: it is in splice-api's engine
 * ({@code Session.enter}/{@code checkEntered}, pinned registrations), because the nio backend
 * needs it too.
 *
 * <p>There is no BSD machine in this project's CI: the bsd backend's use of this package is
 * verified by compilation, by its struct layout tests and its simulated kernels, and, on Linux, by
 * really binding its libc calls (see the module-path smoke run in .ci/run).
 */
package io.github.splice4j.unix;
