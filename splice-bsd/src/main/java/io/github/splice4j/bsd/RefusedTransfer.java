package io.github.splice4j.bsd;

import io.github.splice4j.spi.CopyTransfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A direction the kernel would refuse, never handed to it: SO_SPLICE splices TCP sockets only
 * (both kernels answer EPROTONOSUPPORT for any other, a JDK UNIX-domain {@code SocketChannel}
 * included: OpenBSD {@code sosplice()}, FreeBSD {@code so_splice()}). Its first fill throws
 * {@link TransferUnsupportedException}, before any byte moved, and the engine copies the
 * direction with nio, as it does where linux's splice(2) refuses.
 */
final class RefusedTransfer extends CopyTransfer {

    private final String why;

    private RefusedTransfer(String why) {
        this.why = why;
    }

    /** A refusal if {@code source} or {@code drain} is not a TCP socket, else null. */
    static RefusedTransfer ifNotTcp(SocketChannel source, SocketChannel drain) throws IOException {
        SocketChannel odd = !isTcp(source) ? source : !isTcp(drain) ? drain : null;
        return odd == null ? null
                : new RefusedTransfer("SO_SPLICE splices TCP sockets only, not " + odd.getLocalAddress());
    }

    /** A JDK {@code SocketChannel} on an internet address is TCP; on a path it is UNIX-domain. */
    private static boolean isTcp(SocketChannel c) throws IOException {
        return c.getLocalAddress() instanceof InetSocketAddress;
    }

    @Override
    public long fill(long max) throws IOException {
        throw new TransferUnsupportedException(why);
    }

    @Override
    public long flush() {
        return 0;
    }

    @Override
    public long pending() {
        return 0;
    }

    @Override
    public ByteBuffer takePending() {
        return ByteBuffer.allocate(0);
    }

    @Override
    public void release() {
        // nothing taken: the kernel never saw these sockets
    }
}
