package io.github.splice4j.spi;

import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * A backend, found with {@link java.util.ServiceLoader}. A provider says what it is called, how
 * it ranks, whether it works here, and how to move the bytes of one direction; the shared
 * engine (behind {@code io.github.splice4j}) does everything else (validation, event loops, timers, byte limits,
 * end of stream, unsplice, completion), so every backend has the same semantics.
 *
 * <p>Implementations need a public no-argument constructor and must be cheap to construct:
 * the probe runs later, once, through {@link #probe()}.
 */
public abstract class SpliceProvider {

    /** For subclasses, which need a public no-argument constructor for {@link java.util.ServiceLoader}. */
    protected SpliceProvider() {
    }

    /** Priority of the kernel-splicing backends ({@code linux}, {@code bsd}). */
    public static final int NATIVE_PRIORITY = 100;
    /** Priority of the pure-Java copy backend ({@code nio}). */
    public static final int FALLBACK_PRIORITY = 0;

    /**
     * The backend's name: lower case, stable, used by {@code splice4j.backend}.
     *
     * @return the name, such as {@code "linux"}
     */
    public abstract String name();

    /**
     * Higher wins among available backends; ties are broken by name.
     *
     * @return the priority, such as {@link #NATIVE_PRIORITY}
     */
    public abstract int priority();

    /**
     * Checks, by really calling what the backend needs, whether it works on this machine and
     * JVM. Called once; the result is kept.
     *
     * @return null if the backend is available, else the reason it is not
     */
    public abstract Throwable probe();

    /**
     * Creates the byte mover for one direction, {@code source} to {@code drain}. Called on the
     * event-loop thread that owns both channels (registered with its selector, non-blocking),
     * before any byte of this direction moves. Raw-descriptor system calls on the channels are
     * safe only on that thread, while the engine holds the registration.
     *
     * @param source the channel whose bytes this direction moves
     * @param drain the channel they are written to
     * @param options the options of the splice; the engine enforces them for a
     *     {@link CopyTransfer}, a {@link KernelTransfer} passes them to the kernel
     * @return the transfer, or {@link Transfer#copiedByEngine()} for the engine's copy path
     * @throws IOException if the direction cannot be set up; the splice then ends with ERROR
     *     ({@link TransferUnsupportedException}: the engine copies the direction instead)
     */
    public abstract Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options)
            throws IOException;

    /**
     * What this backend holds now, by name (the linux backend: {@code pipesOpen},
     * {@code pipesInUse}), for {@link io.github.splice4j.Splice#stats()}. Called from any thread,
     * possibly often: it must be cheap and must not block. The default holds nothing.
     *
     * @return counts by name; empty if there is nothing worth counting
     */
    public java.util.Map<String, Long> resources() {
        return java.util.Map.of();
    }

    @Override
    public String toString() {
        return name() + " (priority " + priority() + ')';
    }
}
