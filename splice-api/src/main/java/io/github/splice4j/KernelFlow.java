package io.github.splice4j;

import io.github.splice4j.spi.KernelTransfer;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;

/**
 * A direction the kernel moves by itself through a {@link KernelTransfer} (SO_SPLICE). The engine
 * watches the source for readability, which is how the kernel says the splice ended, or lets the
 * transfer report it; it polls the transfer where the kernel can end a splice unseen.
 */
final class KernelFlow extends Flow {

    private final KernelTransfer kernel;
    /** The transfer's polling interval (see KernelTransfer#pollNanos); 0 = not polled. */
    private long pollNanos;

    KernelFlow(Session session, Direction direction, SocketChannel source, SocketChannel drain,
            KernelTransfer kernel) {
        super(session, direction, source, drain);
        this.kernel = kernel;
        // the source turns readable when the kernel ends the splice, unless the transfer says so itself
        boolean watch = !kernel.reportsReadable(() -> session.loop.execute(() -> session.onReported(this)));
        want(watch, false);
        this.pollNanos = Math.max(0, kernel.pollNanos());
    }

    @Override
    Transfer transfer() {
        return kernel;
    }

    /** The kernel transfer, for a use that may reach a descriptor: only inside the guard. */
    private KernelTransfer kernel() {
        session.checkEntered();
        return kernel;
    }

    @Override
    boolean keepsIdleItself() {
        return kernel.kernelIdle();
    }

    @Override
    long pollNanos() {
        return pollNanos;
    }

    @Override
    boolean poll() {
        if (pollNanos > 0) {
            pollKernel(true);
            if (ended()) {
                return true;
            }
            pollNanos = Math.max(0, kernel.pollNanos());
        }
        return false;
    }

    @Override
    void onReadable() {
        pollKernel(false);
    }

    @Override
    void onWritable() {
        // a kernel direction never asks to write
    }

    @Override
    void moveWaiting() {
        // the kernel moves what is waiting by itself
    }

    /** Inside the guard: asks the kernel transfer whether it ended (or, polled, ended unseen). */
    void pollKernel(boolean polled) {
        if (ended()) {
            return;
        }
        try {
            SpliceEnd why = polled ? kernel().polled() : kernel().ended();
            if (why != null) {
                deliveredTotal(kernel().transferred());
                finish(why);
            }
        } catch (TransferUnsupportedException e) {
            continueByCopy(e);
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /**
     * The kernel let go before the end, with bytes still in the source (docs/bsd.md, "FreeBSD's
     * early end"): the engine's copy moves the rest, from the kernel's final count on.
     */
    private void continueByCopy(TransferUnsupportedException why) {
        try {
            deliveredTotal(kernel().transferred());
        } catch (IOException e) {
            fail(e, true);
            return;
        }
        session.continueByCopy(this, why);
    }

    @Override
    boolean countedElsewhere() {
        return true;
    }

    @Override
    void refresh() {
        if (!ended()) {
            try {
                deliveredTotal(kernel().transferred());
            } catch (IOException e) {
                // the end will be seen through readability; the old count stands until then
            }
        }
    }

    @Override
    void stopIdle() throws IOException {
        kernel().stop();
        deliveredTotal(kernel().transferred());
    }

    @Override
    void unsplice(boolean closing) {
        if (ended()) {
            return;
        }
        try {
            kernel().stop();
            deliveredTotal(kernel().transferred());
            finish(SpliceEnd.UNSPLICED);
        } catch (IOException e) {
            fail(e, true);
        }
    }

    /**
     * The application closed a channel, or the direction fails: the kernel splice is stopped and
     * its exact count read while the descriptors are still pinned.
     */
    @Override
    void stopMoving() {
        if (ended()) {
            return;
        }
        try {
            kernel().stop();
        } catch (IOException | RuntimeException e) {
            // an error the kernel recorded: the splice ends anyway
        }
        try {
            deliveredTotal(kernel().transferred());
        } catch (IOException | RuntimeException e) {
            // the count stays the last one seen
        }
    }

    @Override
    void deliverWhatCan() {
        // the kernel holds no bytes of its own to deliver
    }

    @Override
    void reportUndelivered(Map<Direction, ByteBuffer> undelivered) {
        // bytes a kernel splice did not move never left the source
    }
}
