package io.github.splice4j.linux;

import io.github.splice4j.unix.ChannelDescriptors;
import io.github.splice4j.unix.Errnos;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Locale;

/** Whether the linux backend works in this process: computed once, by really using it. */
final class Availability {

    private Availability() {
    }

    private static final class Once {
        static final Throwable CAUSE = check();
    }

    /** Null if the backend works here, else why not. */
    static Throwable cause() {
        return Once.CAUSE;
    }

    /**
     * In order, so that a failed step leaves no trace: the OS; the JVM's rules on descriptors and
     * native access (before jnr-ffi is loaded, which on JDK 24+ would warn); the configuration;
     * then the real thing: a splice(2) between two pipes, and a descriptor read from a socket
     * channel checked against the kernel's view of it.
     */
    static Throwable check() {
        try {
            String os = System.getProperty("os.name", "?");
            if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
                return new UnsupportedOperationException("splice(2) is Linux-only; this is " + os);
            }
            Throwable access = ChannelDescriptors.get().problem();
            if (access != null) {
                return access;
            }
            PipePool.configuredSize();
            PipePool.configuredMax();
            spliceBetweenPipes();
            checkDescriptor();
            PipePool.shared();
            return null;
        } catch (Throwable t) {  // whatever breaks, the backend is unavailable, not the caller
            return t;
        }
    }

    /** Writes one byte into a pipe and splices it into another, as the backend's fills will. */
    private static void spliceBetweenPipes() throws IOException {
        int[] a = Native.pipe();
        try {
            int[] b = Native.pipe();
            try {
                long r = Native.write(a[1], ByteBuffer.allocateDirect(1).put(0, (byte) 42));
                if (r != 1) {
                    throw r < 0 ? Errnos.exception("write(..)", (int) -r) : new IOException("write(..) wrote " + r);
                }
                long n = Native.splice(a[0], b[1], 1);
                if (n != 1) {
                    throw n < 0 ? Errnos.exception("splice(..)", (int) -n)
                            : new IOException("splice(..) moved " + n + " bytes of 1");
                }
                ByteBuffer got = ByteBuffer.allocateDirect(1);
                if (Native.read(b[0], got) != 1 || got.get(0) != 42) {
                    throw new IOException("splice(..) did not deliver the byte it reported");
                }
            } finally {
                Native.close(b[0]);
                Native.close(b[1]);
            }
        } finally {
            Native.close(a[0]);
            Native.close(a[1]);
        }
    }

    /**
     * Reads the descriptor of a fresh socket channel and checks it is that channel's: the kernel's
     * O_NONBLOCK flag on it must follow {@link SocketChannel#configureBlocking}.
     */
    private static void checkDescriptor() throws IOException {
        try (SocketChannel ch = SocketChannel.open()) {
            int fd = ChannelDescriptors.get().of(ch);
            if (fd < 0) {
                throw new IOException("no descriptor read from " + ch.getClass().getName());
            }
            ch.configureBlocking(false);
            boolean nonBlocking = (flags(fd) & Native.O_NONBLOCK) != 0;
            ch.configureBlocking(true);
            boolean blocking = (flags(fd) & Native.O_NONBLOCK) == 0;
            if (!nonBlocking || !blocking) {
                throw new IOException("descriptor " + fd + " read by " + ChannelDescriptors.get().how()
                        + " is not the socket channel's");
            }
        }
    }

    private static long flags(int fd) throws IOException {
        long f = Native.fcntl(fd, Native.F_GETFL, 0);
        if (f < 0) {
            throw Errnos.exception("fcntl(..)", (int) -f);
        }
        return f;
    }
}
