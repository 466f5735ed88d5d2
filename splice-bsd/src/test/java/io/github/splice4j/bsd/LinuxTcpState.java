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
 * and a BSD socket would have SS_CANTSENDMORE and so_error ECONNRESET). Read, without changing
 * anything, from {@code tcpi_state}, the first byte of Linux's {@code struct tcp_info}.
 */
final class LinuxTcpState {

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    /** {@code TCP_CLOSE} in Linux's include/net/tcp_states.h: after a reset, or never connected. */
    private static final int TCP_CLOSE = 7;

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
            if (!channel.isOpen() || !channel.isConnected() || channel.socket().isOutputShutdown()) {
                return false;
            }
            int fd = ChannelDescriptors.get().fd(channel);
            byte[] info = new byte[256];
            int r = Holder.LIBC.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, new IntByReference(info.length));
            return r == 0 && (info[0] & 0xff) == TCP_CLOSE;
        } catch (IOException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
