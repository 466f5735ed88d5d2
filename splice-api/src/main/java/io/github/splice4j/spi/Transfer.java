package io.github.splice4j.spi;

import java.io.IOException;

/**
 * Moves the bytes of one direction of a splice. Either a {@link CopyTransfer}, through which the
 * engine pumps bytes on readiness events (the nio and linux backends), or a
 * {@link KernelTransfer}, which hands the direction to the kernel (the bsd backend). Every method
 * is called on the event-loop thread that owns the channels.
 */
public abstract sealed class Transfer permits CopyTransfer, KernelTransfer {

    Transfer() {
    }

    /**
     * Frees what this transfer holds (buffers, pipes). Called exactly once, when the direction
     * has ended; must not throw.
     */
    public abstract void release();

    /**
     * Whether the drain's connection has failed (reset by its peer, say), found without reading
     * or writing it. The engine asks this about once a second of a running direction that no
     * event would tell: nothing pending for the drain, and no other direction reading it (a
     * unidirectional splice, or a bidirectional one whose other direction has ended). Without it
     * such a direction would notice a dead drain only when its source next sends a byte, or at
     * its idle timeout.
     *
     * @return the failure, or null (the default) if the drain is fine or this transfer cannot tell
     */
    public IOException drainFailure() {
        return null;
    }

    /**
     * Whether {@link #drainFailure()} can tell anything. The engine asks a transfer that says
     * false never, so an idle splice costs no periodic system call.
     *
     * @return false (the default); true for a transfer that overrides {@link #drainFailure()}
     */
    public boolean detectsDrainFailure() {
        return false;
    }
}
