package io.github.splice4j.linux;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.unix.ChannelDescriptors;
import java.nio.channels.SocketChannel;

/**
 * Backend {@code linux}: moves each direction with splice(2), source socket to a pipe to drain
 * socket, so the bytes never enter user memory. Calls the C library through jnr-ffi.
 *
 * <p><b>Pipes.</b> A direction takes a pipe from a bounded pool only while it has bytes in
 * flight and gives it back as soon as they are delivered, so idle splices hold no pipe. Pipes are
 * {@code splice4j.linux.pipeSize} bytes (default 1 MiB; the kernel may grant less, which is
 * normal); at most {@code splice4j.linux.maxPipes} are open (default 1024, and at most an eighth
 * of the open-file limit in descriptors). A chunk for which no pipe is left is copied through a
 * direct buffer instead, so the limit never stops a splice.
 *
 * <p><b>JVM flags.</b> The backend reads the descriptor of JDK socket channels, which the JDK
 * does not make public. On JDK 17 to 23 it needs no flag. JDK 24 and later warn about both ways
 * it has (sun.misc.Unsafe memory access, JEP 498; JNI without native access, JEP 472), so there
 * the backend is available only with
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED}
 * (on the module path, the module names {@code io.github.splice4j.unix}, which reads the
 * descriptors for both native backends, and {@code org.jnrproject.jffi} instead of ALL-UNNAMED);
 * without them it reports itself unavailable
 * with a cause naming the missing flags, which splice4j logs once as it picks nio instead.
 *
 * <p><b>Sockets that refuse splice(2).</b> EINVAL or ENOSYS from the first splice of a source
 * hands the direction to the nio copy; from a drain, the bytes already in the pipe are copied out
 * of it and the rest of the direction is copied. Either way the splice carries on.
 */
public final class LinuxSpliceProvider extends SpliceProvider {

    /** Used by {@link java.util.ServiceLoader}; cheap: nothing native happens until {@link #probe()}. */
    public LinuxSpliceProvider() {
    }

    /** Returns {@code "linux"}. */
    @Override
    public String name() {
        return "linux";
    }

    /** Returns {@link SpliceProvider#NATIVE_PRIORITY}: chosen over nio where it works. */
    @Override
    public int priority() {
        return NATIVE_PRIORITY;
    }

    /**
     * Checks, once per process, that this is Linux, that the JVM lets the backend read socket
     * descriptors and call native code (see the class comment for the flags JDK 24+ needs), that
     * the pipe properties are valid, and that splice(2) really moves a byte between two pipes.
     *
     * @return null if the backend works here, else the cause; never throws
     */
    @Override
    public Throwable probe() {
        return Availability.cause();
    }

    /**
     * Creates the splice(2) mover of one direction. Called on the loop thread that owns both
     * channels; the descriptors are read here and used only on that thread.
     */
    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) {
        ChannelDescriptors fds = ChannelDescriptors.get();
        return new SpliceTransfer(source, drain, fds.of(source), fds.of(drain), PipePool.shared());
    }

    /**
     * The pipes of the shared pool: {@code pipesOpen} (pooled or in use) and {@code pipesInUse}
     * (holding, or about to hold, a chunk in flight). Two atomic reads.
     */
    @Override
    public java.util.Map<String, Long> resources() {
        PipePool pool = PipePool.shared();
        return java.util.Map.of("pipesOpen", (long) pool.open(), "pipesInUse", (long) pool.inUse());
    }
}
