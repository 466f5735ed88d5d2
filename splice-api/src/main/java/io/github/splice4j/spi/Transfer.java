package io.github.splice4j.spi;

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
}
