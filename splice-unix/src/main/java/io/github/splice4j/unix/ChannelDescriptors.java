package io.github.splice4j.unix;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the file descriptor of a JDK {@link SocketChannel}, which the JDK does not make public,
 * and tells whether this JVM lets the native backends do so and call native code without
 * warnings.
 *
 * <p>The descriptor is the {@code int fdVal} field of {@code sun.nio.ch.SocketChannelImpl}. How
 * it is read, decided once:
 * <ul>
 *   <li>if {@code java.base/sun.nio.ch} is opened to this module ({@code --add-opens}), by
 *       reflection, on every JDK;
 *   <li>else on JDK 17 to 23, through {@code sun.misc.Unsafe} (module jdk.unsupported, exported
 *       to everyone): no flag needed;
 *   <li>else (JDK 24 and later, where Unsafe's memory access prints a warning, JEP 498) not at
 *       all: the backends are unavailable and the cause names the flags.
 * </ul>
 * JDK 24 and later also warn on JNI use unless native access is enabled for jffi's module
 * (JEP 472), so there the backends need {@code --enable-native-access} as well. The flags name
 * the modules as the library was loaded: on the class path
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED}, on the
 * module path {@code --add-opens java.base/sun.nio.ch=io.github.splice4j.unix
 * --enable-native-access=org.jnrproject.jffi}.
 */
public final class ChannelDescriptors {

    /** The first feature release whose JVM warns on Unsafe memory access and on JNI. */
    public static final int RESTRICTED_FROM = 24;
    private static final String IMPL = "sun.nio.ch.SocketChannelImpl";
    private static final String JFFI_LOADER = "com.kenai.jffi.internal.StubLoader";

    private static final MethodType READER = MethodType.methodType(int.class, Object.class);
    private static final ChannelDescriptors INSTANCE = new ChannelDescriptors(Runtime.version().feature());

    private final Class<?> impl;
    /** (Object) int: reads fdVal from a SocketChannelImpl. */
    private final MethodHandle reader;
    private final String how;
    private final Throwable problem;

    /** The reader a JDK of feature release {@code feature} allows; tests take other releases. */
    ChannelDescriptors(int feature) {
        Class<?> c = null;
        MethodHandle g = null;
        String h = null;
        Throwable p = null;
        try {
            c = Class.forName(IMPL, false, SocketChannel.class.getClassLoader());
            Field field = c.getDeclaredField("fdVal");
            List<String> flags = missingFlags(feature, c);
            if (!flags.isEmpty()) {
                p = new UnsupportedOperationException("reading socket descriptors and calling native code needs the JVM flag"
                        + (flags.size() > 1 ? "s " : " ") + String.join(" ", flags) + " on Java " + feature
                        + " (JDK " + RESTRICTED_FROM + "+ restricts both)");
            } else if (opened(c)) {
                field.setAccessible(true);
                g = MethodHandles.lookup().unreflectGetter(field).asType(READER);
                h = "reflection (sun.nio.ch opened)";
            } else {
                g = unsafeReader(field).asType(READER);
                h = "sun.misc.Unsafe";
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            p = new UnsupportedOperationException("cannot read the descriptor of a JDK socket channel ("
                    + e + "); the native backends need " + IMPL + ".fdVal", e);
        }
        this.impl = c;
        this.reader = g;
        this.how = h;
        this.problem = p;
    }

    /**
     * The reader of this JVM, decided once.
     *
     * @return the reader
     */
    public static ChannelDescriptors get() {
        return INSTANCE;
    }

    /**
     * Why descriptors cannot be read here, naming the missing JVM flags where that is why.
     *
     * @return the reason, or null if they can be read
     */
    public Throwable problem() {
        return problem;
    }

    /**
     * How descriptors are read, for diagnostics.
     *
     * @return e.g. {@code "reflection (sun.nio.ch opened)"}; null if they cannot be read
     */
    public String how() {
        return how;
    }

    /**
     * The descriptor of {@code channel}, or -1 if it is not a JDK socket channel (a channel of
     * another {@link java.nio.channels.spi.SelectorProvider}) or descriptors cannot be read here.
     * Meaningful only while the channel is open: a closed channel's number may be another's.
     *
     * @param channel the channel
     * @return its descriptor, or -1
     */
    public int of(SocketChannel channel) {
        if (problem != null || !impl.isInstance(channel)) {
            return -1;
        }
        try {
            return (int) reader.invokeExact((Object) channel);
        } catch (Throwable t) {
            return -1;
        }
    }

    /**
     * The descriptor of the open {@code channel}, as {@link #of} reads it.
     *
     * @throws IOException if descriptors cannot be read here (the message says why, naming the
     *     flags), the channel is not a JDK socket channel, or it is closed ({@code EBADF})
     * @param channel the channel
     * @return its descriptor
     */
    public int fd(SocketChannel channel) throws IOException {
        if (problem != null) {
            throw new IOException("cannot read the file descriptor of a SocketChannel: " + problem.getMessage(), problem);
        }
        int fd = of(channel);
        if (!channel.isOpen()) {
            throw new IOException("fd(..) failed with error EBADF: channel closed: " + channel);
        }
        if (fd < 0) {
            throw new IOException("cannot read the file descriptor of " + channel.getClass().getName()
                    + ": not a JDK socket channel");
        }
        return fd;
    }

    /**
     * Whether this JVM lets jffi load its JNI stub without a warning: always before JDK 24, and
     * after it where {@code --enable-native-access} names jffi's module. A backend checks this
     * before it binds the C library, so that a JVM without the flag prints no warning.
     *
     * @return whether native code may be called without a warning
     */
    public static boolean nativeAccessAllowed() {
        if (Runtime.version().feature() < RESTRICTED_FROM) {
            return true;
        }
        Module jffi = jffiModule();
        return jffi == null || nativeAccessEnabled(jffi);
    }

    /**
     * The flags a JDK of feature release {@code feature} needs and this JVM lacks, each as typed
     * on the command line; empty before JDK 24 (nothing is needed) and when they were given.
     */
    static List<String> missingFlags(int feature, Class<?> impl) {
        List<String> flags = new ArrayList<>();
        if (feature < RESTRICTED_FROM) {
            return flags;
        }
        if (!opened(impl)) {
            flags.add("--add-opens java.base/sun.nio.ch=" + target(ChannelDescriptors.class.getModule()));
        }
        Module jffi = jffiModule();
        if (jffi != null && !nativeAccessEnabled(jffi)) {
            flags.add("--enable-native-access=" + target(jffi));
        }
        return flags;
    }

    private static boolean opened(Class<?> impl) {
        return impl.getModule().isOpen(impl.getPackageName(), ChannelDescriptors.class.getModule());
    }

    private static String target(Module m) {
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    /** The module of the jffi class that loads its JNI stub, without initializing it; null if absent. */
    private static Module jffiModule() {
        try {
            return Class.forName(JFFI_LOADER, false, ChannelDescriptors.class.getClassLoader()).getModule();
        } catch (ClassNotFoundException e) {
            return null;  // jnr-ffi will fail to load and say so itself
        }
    }

    /** Module.isNativeAccessEnabled (JDK 22+), called reflectively since this code targets 17. */
    private static boolean nativeAccessEnabled(Module m) {
        try {
            Method check = Module.class.getMethod("isNativeAccessEnabled");
            return (Boolean) check.invoke(m);
        } catch (ReflectiveOperationException e) {
            return true;  // a JDK without the method does not restrict JNI
        }
    }

    /**
     * unsafe.getInt(channel, objectFieldOffset(field)) as a handle. Unsafe is reached reflectively,
     * so nothing is compiled against it; sun.misc is open to everyone (module jdk.unsupported).
     */
    private static MethodHandle unsafeReader(Field field) throws ReflectiveOperationException {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field instance = type.getDeclaredField("theUnsafe");
        instance.setAccessible(true);
        Object unsafe = instance.get(null);
        long offset = (Long) type.getMethod("objectFieldOffset", Field.class).invoke(unsafe, field);
        MethodHandle getInt = MethodHandles.lookup()
                .findVirtual(type, "getInt", MethodType.methodType(int.class, Object.class, long.class))
                .bindTo(unsafe);
        return MethodHandles.insertArguments(getInt, 1, offset);
    }
}
