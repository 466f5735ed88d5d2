package io.github.splice4j.spi;

import io.github.splice4j.SpliceEnd;
import java.io.IOException;

/**
 * A direction the kernel moves by itself (SO_SPLICE). The engine watches the source for
 * readability, which is how the kernel says the splice ended, and then asks {@link #ended()} why.
 * The transfer was already started by {@link SpliceProvider#newTransfer}, with the byte limit and,
 * if {@link #kernelIdle()}, the idle timeout.
 */
public abstract non-sealed class KernelTransfer extends Transfer {

    /** Bytes the kernel has moved so far in this direction. */
    public abstract long transferred() throws IOException;

    /**
     * Whether the kernel ended the splice, and why.
     *
     * @return null if it still runs, else {@link SpliceEnd#EOF}, {@link SpliceEnd#MAX_BYTES} or
     *     {@link SpliceEnd#IDLE_TIMEOUT}
     * @throws IOException if the splice ended with an error
     */
    public abstract SpliceEnd ended() throws IOException;

    /** Stops the kernel splice (unsplice); bytes not yet moved stay in the source. */
    public abstract void stop() throws IOException;

    /**
     * Whether the kernel enforces the idle timeout itself, restarting it on every transfer; if
     * not, the engine keeps the timer by watching {@link #transferred()}.
     */
    public abstract boolean kernelIdle();
}
