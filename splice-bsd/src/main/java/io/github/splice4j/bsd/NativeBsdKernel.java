package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.unix.ChannelDescriptors;
import io.github.splice4j.unix.Errnos;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import jnr.constants.platform.Errno;
import jnr.ffi.Platform;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;

/**
 * The kernel of this machine: SO_SPLICE through the C library. Only constructed on OpenBSD and
 * FreeBSD (the tests also make one on Linux, where the BSD option does not exist). There is no BSD
 * machine in this project's CI: on a real BSD this code is verified only by compilation, the
 * struct layout tests and the simulated kernels, which follow the BSD sources.
 */
final class NativeBsdKernel implements BsdKernel {

    private final Flavor flavor;
    private final SpliceLayout layout;

    /** A kernel taken to be {@code flavor} with {@code layout}; {@link #forThisMachine()} picks them. */
    NativeBsdKernel(Flavor flavor, SpliceLayout layout) {
        this.flavor = flavor;
        this.layout = layout;
    }

    /**
     * The kernel of this machine. First binds the C library calls, on every OS where the JVM allows
     * native access (a JVM that restricts it would warn; the probe then names the flags on a BSD),
     * so that a binding that cannot load, on the class path or the module path, is reported as
     * such rather than hidden behind "not a BSD".
     *
     * @throws UnsupportedOperationException on any OS but OpenBSD and FreeBSD, or an ABI without a
     *     known {@code struct splice} layout; the message names the OS
     * @throws IllegalStateException or LinkageError if the C library binding does not load
     */
    static NativeBsdKernel forThisMachine() {
        if (ChannelDescriptors.nativeAccessAllowed()) {
            Native.libc();
        }
        String os = System.getProperty("os.name", "an unknown OS");
        Flavor flavor = flavorOf(os);
        if (flavor == null) {
            throw new UnsupportedOperationException("bsd backend needs OpenBSD or FreeBSD 14.2+; this is " + os);
        }
        Platform platform = Platform.getNativePlatform();
        SpliceLayout layout = SpliceLayout.of(platform.getOS(), platform.getCPU(), platform.is64Bit() ? 64 : 32);
        if (layout == null) {
            throw new UnsupportedOperationException("bsd backend knows no struct splice layout for " + os + " on "
                    + System.getProperty("os.arch") + (platform.is64Bit() ? " (64-bit)" : " (32-bit)"));
        }
        return new NativeBsdKernel(flavor, layout);
    }

    /** OpenBSD or FreeBSD from {@code os.name}; null for any other OS. */
    static Flavor flavorOf(String osName) {
        String os = osName.toLowerCase(Locale.ROOT);
        for (Flavor f : Flavor.values()) {
            if (os.startsWith(f.osName().toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        return null;
    }

    @Override
    public Flavor flavor() {
        return flavor;
    }

    @Override
    public Throwable probe() {
        Throwable fds = ChannelDescriptors.get().problem();
        if (fds != null) {
            return fds;
        }
        try (SocketChannel probe = SocketChannel.open()) {
            splicedBytes(fd(probe));
            return null;
        } catch (ErrnoException e) {
            if (Errnos.is(e, Errno.ENOPROTOOPT)) {
                return new UnsupportedOperationException("this " + flavor.osName() + " kernel has no SO_SPLICE"
                        + (flavor == Flavor.FREEBSD ? " (FreeBSD has it since 14.2)" : ""), e);
            }
            return e;
        } catch (IOException | RuntimeException | LinkageError e) {
            return e;  // no C library binding (no jffi stub for this platform), or no socket
        }
    }

    @Override
    public int fd(SocketChannel channel) throws IOException {
        return ChannelDescriptors.get().fd(channel);
    }

    @Override
    public void spliceOn(int source, int drain, long max, long idleNanos) throws IOException {
        setSplice(source, drain, max, idleNanos);
    }

    @Override
    public void unsplice(int source) throws IOException {
        setSplice(source, -1, 0, 0);
    }

    private void setSplice(int source, int drain, long max, long idleNanos) throws ErrnoException {
        SpliceStruct sp = new SpliceStruct(Native.runtime(), layout).set(drain, max, idleNanos);
        Native.check("setsockopt(SO_SPLICE)", () -> Native.libc().setsockopt(source, Native.SOL_SOCKET,
                Native.SO_SPLICE, SpliceStruct.getMemory(sp), layout.size));
    }

    @Override
    public long splicedBytes(int source) throws IOException {
        LongLongByReference n = new LongLongByReference(0);
        IntByReference len = new IntByReference(Long.BYTES);
        Native.check("getsockopt(SO_SPLICE)", () -> Native.libc().getsockopt(source, Native.SOL_SOCKET,
                Native.SO_SPLICE, n, len));
        return n.longValue();
    }

    @Override
    public Errno soError(int fd) throws IOException {
        IntByReference error = new IntByReference(0);
        IntByReference len = new IntByReference(Integer.BYTES);
        Native.check("getsockopt(SO_ERROR)", () -> Native.libc().getsockopt(fd, Native.SOL_SOCKET,
                Native.SO_ERROR, error, len));
        return error.intValue() == 0 ? null : Errno.valueOf(error.intValue());
    }
}
