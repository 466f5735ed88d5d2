package io.github.splice4j.bsd;

import io.github.splice4j.unix.ChannelDescriptors;
import io.github.splice4j.unix.NativeLibraries;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * What the simulated kernel must know of a Linux TCP socket and the JDK does not tell without
 * reading it: whether its connection is gone (a reset received, so the kernel can send no more
 * and a BSD socket would have SS_CANTSENDMORE and so_error ECONNRESET), and whether its peer's
 * FIN has arrived (a BSD socket would have SBS_CANTRCVMORE, even with bytes still waiting). Read,
 * without changing anything, from {@code tcpi_state}, the first byte of Linux's
 * {@code struct tcp_info}.
 */
final class LinuxTcpState {

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    /** {@code TCP_CLOSE} in Linux's include/net/tcp_states.h: after a reset, or never connected. */
    private static final int TCP_CLOSE = 7;
    /** The states after the peer's FIN arrived, in Linux's include/net/tcp_states.h. */
    private static final int TCP_CLOSE_WAIT = 8;
    private static final int TCP_LAST_ACK = 9;
    private static final int TCP_CLOSING = 11;
    /** Where {@code tcpi_notsent_bytes} sits in {@code struct tcp_info} (include/uapi/linux/tcp.h). */
    private static final int NOTSENT_BYTES = 144;

    private LinuxTcpState() {
    }

    /** The one call used. Public only for jnr-ffi's class loader; the package is not exported. */
    public interface LibC {
        int getsockopt(int s, int level, int optname, @Out byte[] optval, @In @Out IntByReference optlen);
    }

    private static final class Holder {
        static final LibC LIBC = NativeLibraries.loadLibC(LibC.class,
                m -> LinuxTcpState.class.getModule().addExports(LinuxTcpState.class.getPackageName(), m));
    }

    /**
     * Whether {@code channel}'s connection was reset: Linux state TCP_CLOSE while the JDK still
     * says connected and this side never sent its FIN (Linux also leaves a socket in TCP_CLOSE
     * once an orderly close it began reaches TIME_WAIT); false if that cannot be told.
     */
    static boolean isReset(SocketChannel channel) {
        try {
            return !channel.socket().isOutputShutdown() && state(channel) == TCP_CLOSE;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether the peer's FIN has arrived at {@code channel} (CLOSE_WAIT, LAST_ACK or CLOSING),
     * whether or not bytes before it are still unread; false if that cannot be told.
     */
    static boolean finReceived(SocketChannel channel) {
        int state = state(channel);
        return state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSING;
    }

    /**
     * Bytes written to {@code channel} that TCP has not sent yet ({@code tcpi_notsent_bytes}, at
     * byte 144 of {@code struct tcp_info} since Linux 4.6; little-endian, as on every machine
     * this runs on); -1 if that cannot be told. A FIN sent after them waits for them.
     */
    static long unsentBytes(SocketChannel channel) {
        byte[] info = info(channel);
        if (info == null) {
            return -1;
        }
        return (info[NOTSENT_BYTES] & 0xffL) | (info[NOTSENT_BYTES + 1] & 0xffL) << 8
                | (info[NOTSENT_BYTES + 2] & 0xffL) << 16 | (info[NOTSENT_BYTES + 3] & 0xffL) << 24;
    }

    /** {@code tcpi_state} of an open, connected {@code channel}; -1 if that cannot be told. */
    private static int state(SocketChannel channel) {
        byte[] info = info(channel);
        return info == null ? -1 : info[0] & 0xff;
    }

    /** {@code struct tcp_info} of an open, connected {@code channel}; null if it cannot be read. */
    private static byte[] info(SocketChannel channel) {
        try {
            if (!channel.isOpen() || !channel.isConnected()) {
                return null;
            }
            int fd = ChannelDescriptors.get().fd(channel);
            byte[] info = new byte[256];
            IntByReference len = new IntByReference(info.length);
            int r = Holder.LIBC.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, len);
            return r == 0 && len.getValue() >= NOTSENT_BYTES + 4 ? info : null;
        } catch (IOException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
