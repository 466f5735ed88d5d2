package io.github.splice4j.bsd;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;

/**
 * Reads the file descriptor of a JDK {@link SocketChannel}, which the JDK does not make public:
 * the {@code int fdVal} field of {@code sun.nio.ch.SocketChannelImpl}.
 *
 * <ul>
 *   <li>With {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (any JDK): plain reflection.
 *   <li>Without it, on JDK 17 to 23: {@code sun.misc.Unsafe} (module jdk.unsupported, open to
 *       everyone), which needs no flag.
 *   <li>Without it on JDK 24 and later, where Unsafe's field access warns and is on its way out:
 *       unavailable, and the message names the flag.
 * </ul>
 */
final class ChannelFds {

    /** The JVM flag that opens the JDK's channel internals to reflection. */
    static final String ADD_OPENS = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED";
    private static final int FIRST_JDK_WITHOUT_UNSAFE = 24;

    private static final Access ACCESS;
    private static final Throwable UNAVAILABLE;

    static {
        Access access = null;
        Throwable why = null;
        try {
            access = access();
        } catch (ReflectiveOperationException | RuntimeException e) {
            why = e;
        }
        ACCESS = access;
        UNAVAILABLE = why;
    }

    private ChannelFds() {
    }

    /** Null if descriptors can be read on this JVM, else why not (naming the flag if it helps). */
    static Throwable unavailability() {
        return UNAVAILABLE;
    }

    /**
     * The descriptor of {@code channel}. Meaningful only while the channel is open: a closed
     * channel's number may already belong to another socket.
     *
     * @throws IOException if descriptors cannot be read on this JVM, or the channel is closed
     */
    static int fd(SocketChannel channel) throws IOException {
        if (ACCESS == null) {
            throw new IOException("cannot read the file descriptor of a SocketChannel: " + UNAVAILABLE.getMessage(),
                    UNAVAILABLE);
        }
        int fd;
        try {
            fd = ACCESS.fd(channel);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot read the file descriptor of " + channel + ": " + e, e);
        }
        if (fd < 0 || !channel.isOpen()) {
            throw new IOException("fd(..) failed with error EBADF: channel closed: " + channel);
        }
        return fd;
    }

    @FunctionalInterface
    private interface Access {
        int fd(SocketChannel channel) throws ReflectiveOperationException;
    }

    private static Access access() throws ReflectiveOperationException {
        Class<?> impl = Class.forName("sun.nio.ch.SocketChannelImpl");
        Field field = impl.getDeclaredField("fdVal");
        try {
            field.setAccessible(true);
            return field::getInt;
        } catch (InaccessibleObjectException notOpened) {
            if (Runtime.version().feature() >= FIRST_JDK_WITHOUT_UNSAFE) {
                throw new UnsupportedOperationException("reading a SocketChannel's file descriptor on JDK "
                        + Runtime.version().feature() + " needs the JVM flag " + ADD_OPENS, notOpened);
            }
            return unsafeAccess(field);
        }
    }

    /** Reads the field through sun.misc.Unsafe, without reflection access to java.base. */
    private static Access unsafeAccess(Field field) throws ReflectiveOperationException {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);  // jdk.unsupported opens sun.misc to every module
        Object unsafe = theUnsafe.get(null);
        long offset = (long) unsafeClass.getMethod("objectFieldOffset", Field.class).invoke(unsafe, field);
        Method getInt = unsafeClass.getMethod("getInt", Object.class, long.class);
        Class<?> owner = field.getDeclaringClass();
        return channel -> {
            if (!owner.isInstance(channel)) {
                throw new IllegalArgumentException("not a JDK socket channel: " + channel.getClass().getName());
            }
            return (int) getInt.invoke(unsafe, channel, offset);
        };
    }
}
