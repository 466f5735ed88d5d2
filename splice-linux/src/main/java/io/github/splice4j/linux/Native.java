package io.github.splice4j.linux;

import io.github.splice4j.unix.Errnos;
import io.github.splice4j.unix.NativeLibraries;
import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.constants.platform.Errno;
import jnr.constants.platform.Fcntl;
import jnr.constants.platform.OpenFlags;
import jnr.constants.platform.RLIMIT;
import jnr.constants.platform.SocketLevel;
import jnr.constants.platform.SocketOption;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Transient;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The C library calls the linux backend makes, through jnr-ffi. The library is loaded on first
 * use of {@link #libc()}, never when this class is merely referenced, so the probe can check the
 * JVM's native-access rules first. Every call retries EINTR in {@link #retry}; results are the
 * call's own non-negative value or {@code -errno}, so the hot path throws nothing for EAGAIN.
 */
final class Native {

    // splice(2) flags from <fcntl.h>: Linux-only, so not in jnr-constants.
    /** Move pages rather than copy them where the kernel can; a hint. */
    static final int SPLICE_F_MOVE = 1;
    /** Never block on the pipe; the sockets are non-blocking themselves. */
    static final int SPLICE_F_NONBLOCK = 2;
    // SPLICE_F_MORE (4) is left out on purpose: it corks the drain and delays small replies by up
    // to 200 ms (docs/spec.md, "linux").
    /** The flags of every splice call. */
    static final int SPLICE_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

    static final int EAGAIN = Errno.EAGAIN.intValue();
    static final int EINVAL = Errno.EINVAL.intValue();
    static final int ENOSYS = Errno.ENOSYS.intValue();
    static final int F_GETFL = Fcntl.F_GETFL.intValue();
    static final int F_SETFL = Fcntl.F_SETFL.intValue();
    static final int F_SETPIPE_SZ = Fcntl.F_SETPIPE_SZ.intValue();
    static final int F_GETPIPE_SZ = Fcntl.F_GETPIPE_SZ.intValue();
    static final int O_NONBLOCK = OpenFlags.O_NONBLOCK.intValue();
    static final int O_CLOEXEC = OpenFlags.O_CLOEXEC.intValue();

    /** The C calls used, and nothing else. Public because jnr-ffi implements it in another loader. */
    public interface LibC {
        /** splice(2): moves up to {@code len} bytes between a pipe and another descriptor. */
        @ssize_t long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, @size_t long len, int flags);

        /** pipe2(2): a new pipe, {read end, write end}. */
        int pipe2(@Out int[] fds, int flags);

        /** fcntl(2) with an int argument: F_GETFL, F_SETFL, F_SETPIPE_SZ, F_GETPIPE_SZ. */
        int fcntl(int fd, int cmd, int arg);

        /** close(2). */
        int close(int fd);

        /** read(2): empties a pipe whose drain refused splice(2) into a buffer. */
        @ssize_t long read(int fd, @Out ByteBuffer buf, @size_t long count);

        /** write(2): only the probe writes, to put one byte into a pipe. */
        @ssize_t long write(int fd, @In ByteBuffer buf, @size_t long count);

        /** getsockopt(2) for an int option: SO_ERROR. */
        int getsockopt(int fd, int level, int name, @Out int[] value, @In @Out int[] length);

        /** getrlimit(2): for RLIMIT_NOFILE, which bounds the default number of pipes. */
        int getrlimit(int resource, @Out @Transient Rlimit limit);
    }

    /** struct rlimit from sys/resource.h: two rlim_t. Public for the same reason as {@link LibC}. */
    public static final class Rlimit extends Struct {
        final rlim_t current = new rlim_t();
        final rlim_t maximum = new rlim_t();

        /** An rlimit in memory of {@code runtime}. */
        public Rlimit(Runtime runtime) {
            super(runtime);
        }
    }

    /** A call that returns its result, or -1 with errno set. */
    @FunctionalInterface
    interface Call {
        long invoke(LibC libc);
    }

    private Native() {
    }

    private static final class Loaded {
        static final LibC LIBC = NativeLibraries.loadLibC(LibC.class,
                m -> Native.class.getModule().addExports(Native.class.getPackageName(), m));
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    /** Loads the C library on first use. */
    static LibC libc() {
        return Loaded.LIBC;
    }

    static Runtime runtime() {
        return Loaded.RUNTIME;
    }

    /**
     * Runs {@code call}, again while it fails with EINTR ({@link Errnos#retry}). Not for close(2),
     * which must never be retried on Linux.
     *
     * @return the call's result if not negative, else {@code -errno}
     */
    static long retry(Call call) {
        LibC libc = Loaded.LIBC;
        return Errnos.retry(Loaded.RUNTIME, () -> call.invoke(libc));
    }

    /** splice(2) without offsets: the bytes moved, or {@code -errno}. */
    static long splice(int in, int out, long len) {
        return retry(c -> c.splice(in, null, out, null, len, SPLICE_FLAGS));
    }

    /**
     * A new pipe, non-blocking and close-on-exec.
     *
     * @return {read end, write end}
     * @throws IOException naming the errno if none can be made (EMFILE, ENFILE, ...)
     */
    static int[] pipe() throws IOException {
        int[] fds = new int[2];
        long r = retry(c -> c.pipe2(fds, O_NONBLOCK | O_CLOEXEC));
        if (r < 0) {
            throw Errnos.exception("pipe2(..)", (int) -r);
        }
        return fds;
    }

    /** fcntl(2) with an int argument: its result, or {@code -errno}. */
    static long fcntl(int fd, int cmd, int arg) {
        return retry(c -> c.fcntl(fd, cmd, arg));
    }

    /** read(2) into {@code buf} from its position; advances the position. Bytes read, or {@code -errno}. */
    static long read(int fd, ByteBuffer buf) {
        long r = retry(c -> c.read(fd, buf, buf.remaining()));
        if (r > 0) {
            buf.position(buf.position() + (int) r);
        }
        return r;
    }

    /** write(2) from {@code buf}'s position; advances it. Bytes written, or {@code -errno}. */
    static long write(int fd, ByteBuffer buf) {
        long r = retry(c -> c.write(fd, buf, buf.remaining()));
        if (r > 0) {
            buf.position(buf.position() + (int) r);
        }
        return r;
    }

    /** Closes {@code fd} once; EINTR is not retried, as on Linux the descriptor is gone anyway. */
    static void close(int fd) {
        Loaded.LIBC.close(fd);
    }

    /**
     * Takes the socket's pending error (SO_ERROR, which reading clears): an errno, or 0 if none.
     * A failing call counts as that call's errno (EBADF for a descriptor closed meanwhile).
     */
    static int socketError(int fd) {
        int[] value = new int[1];
        int[] length = {Integer.BYTES};
        long r = retry(c -> c.getsockopt(fd, SocketLevel.SOL_SOCKET.intValue(), SocketOption.SO_ERROR.intValue(),
                value, length));
        return r < 0 ? (int) -r : value[0];
    }

    /** The soft limit on open descriptors (RLIMIT_NOFILE), or -1 if unknown or unlimited. */
    static long openFileLimit() {
        Rlimit limit = new Rlimit(Loaded.RUNTIME);
        if (Loaded.LIBC.getrlimit(RLIMIT.RLIMIT_NOFILE.intValue(), limit) != 0) {
            return -1;
        }
        long current = limit.current.get();
        return current < 0 || current == Long.MAX_VALUE ? -1 : current;
    }
}
