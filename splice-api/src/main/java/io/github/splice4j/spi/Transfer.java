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
     * The transfer a backend returns from {@link SpliceProvider#newTransfer} to have the engine
     * copy this direction itself, through a pooled direct buffer ({@code splice4j.nio.bufferSize}):
     * what the nio backend does for every direction. The engine recognizes it and never calls its
     * methods. The same copy moves a direction whose {@link CopyTransfer#fill} threw
     * {@link TransferUnsupportedException}.
     *
     * @return the one marker instance
     */
    public static Transfer copiedByEngine() {
        return EngineCopy.MARKER;
    }

    /** The marker of {@link #copiedByEngine()}: not a transfer of its own, never called. */
    private static final class EngineCopy extends CopyTransfer {
        static final EngineCopy MARKER = new EngineCopy();

        @Override
        public long fill(long max) {
            throw new IllegalStateException("the engine's copy marker moves no bytes");
        }

        @Override
        public long flush() {
            throw new IllegalStateException("the engine's copy marker moves no bytes");
        }

        @Override
        public long pending() {
            return 0;
        }

        @Override
        public java.nio.ByteBuffer takePending() {
            return java.nio.ByteBuffer.allocate(0);
        }

        @Override
        public void release() {
        }
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
