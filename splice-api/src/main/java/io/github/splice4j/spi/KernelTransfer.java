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

    /** For subclasses: a backend's kernel splice. */
    protected KernelTransfer() {
    }

    /**
     * Bytes the kernel has moved so far in this direction.
     *
     * @return the bytes moved since the splice started
     * @throws IOException if the kernel cannot be asked
     */
    public abstract long transferred() throws IOException;

    /**
     * Whether the kernel ended the splice, and why.
     *
     * @return null if it still runs, else {@link SpliceEnd#EOF}, {@link SpliceEnd#MAX_BYTES} or
     *     {@link SpliceEnd#IDLE_TIMEOUT}
     * @throws TransferUnsupportedException if the kernel let go of the splice before its end, with
     *     bytes still waiting in the source (FreeBSD does at a FIN that finds the drain full): the
     *     engine's copy moves the rest of the direction, carrying on from {@link #transferred()}
     *     under the same limit and idle timeout
     * @throws IOException if the splice ended with an error
     */
    public abstract SpliceEnd ended() throws IOException;

    /**
     * Stops the kernel splice (unsplice); bytes not yet moved stay in the source.
     *
     * @throws IOException if the kernel refuses
     */
    public abstract void stop() throws IOException;

    /**
     * Whether the kernel enforces the idle timeout itself, restarting it on every transfer; if
     * not, the engine keeps the timer by watching {@link #transferred()}.
     *
     * @return true if the kernel keeps the idle timer
     */
    public abstract boolean kernelIdle();

    /**
     * Lets the transfer say when its source turns readable, for a kernel whose readiness the
     * selector cannot see (the simulated kernel the bsd backend's tests run on). If this returns
     * true, the engine does not watch the source; each call of {@code readable}, from any thread
     * and any number of times, counts as the source turning readable, and the engine then calls
     * {@link #ended()} on its loop. Called once, on the loop, right after the transfer was created.
     *
     * @param readable what to call when the source turns readable
     * @return false (the default): the engine watches the source with its selector
     */
    public boolean reportsReadable(Runnable readable) {
        return false;
    }

    /**
     * How long the engine may go without checking this transfer when no event comes: it then
     * reads {@link #transferred()} (bytes moved since restart the idle timer) and calls
     * {@link #polled()}. For kernels that can end a splice without making the source readable
     * (FreeBSD at {@code sp_max} with nothing more to read). Asked when the direction opens and
     * again after every check, so a transfer may poll faster while bytes move.
     *
     * @return nanoseconds until the next check; 0 (the default) means never
     */
    public long pollNanos() {
        return 0;
    }

    /**
     * Whether the kernel ended the splice in a way the source's readability does not show; called
     * on the loop every {@link #pollNanos()}, right after {@link #transferred()}.
     *
     * @return null (the default) if it still runs or cannot tell, else why it ended
     * @throws IOException if the splice ended with an error
     */
    public SpliceEnd polled() throws IOException {
        return null;
    }
}
