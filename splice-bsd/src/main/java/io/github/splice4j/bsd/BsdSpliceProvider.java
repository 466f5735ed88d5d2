package io.github.splice4j.bsd;

import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.spi.TransferUnsupportedException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Backend {@code bsd}: the kernel splices the sockets itself, through
 * {@code setsockopt(SOL_SOCKET, SO_SPLICE, struct splice)}, on OpenBSD (since 4.9) and FreeBSD
 * (since 14.2 and 15.0). Each direction is one splice on its source, with the byte limit; the
 * idle timeout goes to the kernel where it restarts on every transfer (OpenBSD), else the engine
 * keeps it (FreeBSD). Neither kernel forwards end of stream; the engine does.
 *
 * <p>Available only where the probe succeeds: on OpenBSD or FreeBSD, a {@code getsockopt(SO_SPLICE)}
 * on a fresh socket. On every OS the probe first binds the backend's C library calls (unless the
 * JVM restricts native access), so a binding that fails to load, also on the module path, is
 * reported as that; on any other OS it then reports why not ("bsd backend needs OpenBSD or
 * FreeBSD 14.2+; this is Linux"). It reads the descriptors of the JDK's socket channels and calls
 * native code, which on JDK 24 and later needs the flags the linux backend needs too
 * ({@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED}; on
 * the module path {@code io.github.splice4j.unix} and {@code org.jnrproject.jffi} instead of
 * ALL-UNNAMED); without them the backend is unavailable and the cause names them. The jnr-ffi
 * native stub it needs ships for OpenBSD amd64, FreeBSD amd64 and FreeBSD arm64.
 */
public final class BsdSpliceProvider extends SpliceProvider {

    private final String name;
    private final int priority;
    private final Supplier<? extends BsdKernel> kernels;
    private volatile BsdKernel kernel;
    /** Errors read from a drain for the reverse direction's splice (OpenBSD), shared by all transfers. */
    private final HeldErrors held = new HeldErrors();

    /** Used by {@link java.util.ServiceLoader}: the backend on this machine's kernel. */
    public BsdSpliceProvider() {
        this("bsd", NATIVE_PRIORITY, NativeBsdKernel::forThisMachine);
    }

    /** A backend on another kernel under another name: the tests' simulated kernels. */
    BsdSpliceProvider(String name, int priority, Supplier<? extends BsdKernel> kernels) {
        this.name = Objects.requireNonNull(name, "name");
        this.priority = priority;
        this.kernels = Objects.requireNonNull(kernels, "kernels");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int priority() {
        return priority;
    }

    @Override
    public Throwable probe() {
        BsdKernel k;
        try {
            k = kernels.get();
        } catch (RuntimeException | LinkageError e) {
            return e;
        }
        Throwable cause = k.probe();
        if (cause == null) {
            kernel = k;
        }
        return cause;
    }

    @Override
    public Transfer newTransfer(SocketChannel source, SocketChannel drain, SpliceOptions options) throws IOException {
        BsdKernel k = kernel;
        if (k == null) {
            throw new IOException("splice4j backend " + name + " was not probed successfully");
        }
        SocketChannel odd = !isTcp(source) ? source : !isTcp(drain) ? drain : null;
        if (odd != null) {
            // SO_SPLICE splices TCP sockets only: both kernels answer EPROTONOSUPPORT for any other,
            // a JDK UNIX-domain channel included (OpenBSD sosplice(), FreeBSD so_splice()); never
            // handed to the kernel, the direction is moved by the engine's copy path
            throw new TransferUnsupportedException("SO_SPLICE splices TCP sockets only, not " + odd.getLocalAddress());
        }
        return BsdTransfer.start(k, held, source, drain, options);
    }

    /** A JDK {@code SocketChannel} on an internet address is TCP; on a path it is UNIX-domain. */
    private static boolean isTcp(SocketChannel c) throws IOException {
        return c.getLocalAddress() instanceof java.net.InetSocketAddress;
    }
}
