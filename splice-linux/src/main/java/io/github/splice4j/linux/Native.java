package io.github.splice4j.linux;

import io.github.splice4j.spi.Errors;
import java.io.IOException;
import java.nio.ByteBuffer;
import jnr.constants.platform.Errno;
import jnr.constants.platform.Fcntl;
import jnr.constants.platform.OpenFlags;
import jnr.constants.platform.RLIMIT;
import jnr.constants.platform.SocketLevel;
import jnr.constants.platform.SocketOption;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
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
    // to 200 ms (CONTRACT section 4).
    /** The flags of every splice call. */
    static final int SPLICE_FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

    static final int EINTR = Errno.EINTR.intValue();
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
        static {
            // jffi pokes the stubs jnr-ffi compiles into memory with sun.misc.Unsafe when it can,
            // which JDK 24+ warns about (JEP 498); its JNI accessor does the same without a warning.
            if (java.lang.Runtime.version().feature() >= Descriptors.RESTRICTED_FROM
                    && System.getProperty(JFFI_NO_UNSAFE) == null) {
                System.setProperty(JFFI_NO_UNSAFE, "true");
            }
        }

        static final LibC LIBC = load();
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private static LibC load() {
        String libc = Platform.getNativePlatform().getStandardCLibraryName();
        Module module = Native.class.getModule();
        if (!module.isNamed()) {
            return LibraryLoader.create(LibC.class).load(libc);
        }
        // On the module path: jnr-ffi implements LibC in a class loader of its own, in that loader's
        // unnamed module, which cannot see a package this module does not export. jnr-ffi reuses the
        // loader it finds in its thread-local, so give it one this package is exported to, for this
        // one load. jnr-ffi is an automatic module, so its internals are open to reflection.
        ThreadLocal<Object> current;
        ClassLoader loader;
        try {
            Class<?> type = Class.forName("jnr.ffi.provider.jffi.AsmClassLoader", true, LibraryLoader.class.getClassLoader());
            java.lang.reflect.Constructor<?> make = type.getDeclaredConstructor(ClassLoader.class);
            make.setAccessible(true);
            loader = (ClassLoader) make.newInstance(Native.class.getClassLoader());
            java.lang.reflect.Field field = Class.forName("jnr.ffi.provider.jffi.AsmLibraryLoader", true,
                    LibraryLoader.class.getClassLoader()).getDeclaredField("classLoader");
            field.setAccessible(true);
            @SuppressWarnings("unchecked")
            ThreadLocal<Object> local = (ThreadLocal<Object>) field.get(null);
            current = local;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("on the module path the linux backend needs jnr-ffi "
                    + "2.2.x's class loader hook (" + e + ")", e);
        }
        module.addExports(Native.class.getPackageName(), loader.getUnnamedModule());
        current.set(loader);
        try {
            return LibraryLoader.create(LibC.class).load(libc);
        } finally {
            current.remove();
        }
    }

    /** jffi's switch from sun.misc.Unsafe to JNI for raw memory access. */
    private static final String JFFI_NO_UNSAFE = "jffi.unsafe.disabled";

    /** Loads the C library on first use. */
    static LibC libc() {
        return Loaded.LIBC;
    }

    static Runtime runtime() {
        return Loaded.RUNTIME;
    }

    /**
     * Runs {@code call}, again while it fails with EINTR: the one place interrupted calls are
     * retried. Not for close(2), which must never be retried on Linux.
     *
     * @return the call's result if not negative, else {@code -errno}
     */
    static long retry(Call call) {
        LibC libc = Loaded.LIBC;
        while (true) {
            long r = call.invoke(libc);
            if (r >= 0) {
                return r;
            }
            int errno = LastError.getLastError(Loaded.RUNTIME);
            if (errno != EINTR) {
                return -Math.max(errno, 1);
            }
        }
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
            throw failure("pipe2(..)", (int) -r);
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

    /** The symbolic name of {@code errno}, such as {@code EPIPE}. */
    static String errnoName(int errno) {
        Errno e = Errno.valueOf(errno);
        return e.defined() ? e.name() : "errno";
    }

    /** {@code call failed with error EPIPE (32): Broken pipe}. */
    static IOException failure(String call, int errno) {
        Errno e = Errno.valueOf(errno);
        return Errors.nativeFailure(call, errnoName(errno), errno, e.defined() ? e.description() : "unknown error");
    }

    /** The message of {@link #failure} without the exception. */
    static String describe(String call, int errno) {
        return failure(call, errno).getMessage();
    }
}
