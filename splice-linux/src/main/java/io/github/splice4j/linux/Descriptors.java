package io.github.splice4j.linux;

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
 * and tells whether this JVM lets the backend do so and call native code without warnings.
 *
 * <p>The descriptor is the {@code int fdVal} field of {@code sun.nio.ch.SocketChannelImpl}. How
 * it is read, decided once:
 * <ul>
 *   <li>if {@code java.base/sun.nio.ch} is opened to this module ({@code --add-opens}), by
 *       reflection, on every JDK;
 *   <li>else on JDK 17 to 23, through {@code sun.misc.Unsafe} (module jdk.unsupported, exported
 *       to everyone): no flag needed;
 *   <li>else (JDK 24 and later, where Unsafe's memory access prints a warning, JEP 498) not at
 *       all: the backend is unavailable and the cause names the flag.
 * </ul>
 * JDK 24 and later also warn on JNI use unless native access is enabled for jffi's module
 * (JEP 472), so there the backend needs {@code --enable-native-access} as well.
 */
final class Descriptors {

    /** The first feature release whose JVM warns on Unsafe memory access and on JNI. */
    static final int RESTRICTED_FROM = 24;
    private static final String IMPL = "sun.nio.ch.SocketChannelImpl";
    private static final String JFFI_LOADER = "com.kenai.jffi.internal.StubLoader";

    private static final MethodType READER = MethodType.methodType(int.class, Object.class);
    private static final Descriptors INSTANCE = new Descriptors(Runtime.version().feature());

    private final Class<?> impl;
    /** (Object) int: reads fdVal from a SocketChannelImpl. */
    private final MethodHandle reader;
    private final String how;
    private final Throwable problem;

    Descriptors(int feature) {
        Class<?> c = null;
        MethodHandle g = null;
        String h = null;
        Throwable p = null;
        try {
            c = Class.forName(IMPL, false, SocketChannel.class.getClassLoader());
            Field field = c.getDeclaredField("fdVal");
            List<String> flags = missingFlags(feature, c);
            if (!flags.isEmpty()) {
                p = new UnsupportedOperationException("the linux backend needs the JVM flag"
                        + (flags.size() > 1 ? "s " : " ") + String.join(" ", flags) + " on Java " + feature
                        + " (JDK " + RESTRICTED_FROM + "+ restricts reading socket descriptors and calling native"
                        + " code); without " + (flags.size() > 1 ? "them" : "it") + ", splices copy with nio");
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
                    + e + "); the linux backend needs " + IMPL + ".fdVal", e);
        }
        this.impl = c;
        this.reader = g;
        this.how = h;
        this.problem = p;
    }

    static Descriptors get() {
        return INSTANCE;
    }

    /** Why descriptors cannot be read here, or null if they can. */
    Throwable problem() {
        return problem;
    }

    /** How descriptors are read, for diagnostics. */
    String how() {
        return how;
    }

    /**
     * The descriptor of {@code channel}, or -1 if it is not a JDK socket channel (a channel of
     * another {@link java.nio.channels.spi.SelectorProvider}) or descriptors cannot be read.
     */
    int of(SocketChannel channel) {
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
     * The flags this JVM lacks for the backend, each as typed on the command line; empty before
     * JDK 24 (nothing is needed) and when they were given.
     */
    static List<String> missingFlags(int feature, Class<?> impl) {
        List<String> flags = new ArrayList<>();
        if (feature < RESTRICTED_FROM) {
            return flags;
        }
        if (!opened(impl)) {
            flags.add("--add-opens java.base/sun.nio.ch=" + target(Descriptors.class.getModule()));
        }
        Module jffi = jffiModule();
        if (jffi != null && !nativeAccessEnabled(jffi)) {
            flags.add("--enable-native-access=" + target(jffi));
        }
        return flags;
    }

    private static boolean opened(Class<?> impl) {
        return impl.getModule().isOpen(impl.getPackageName(), Descriptors.class.getModule());
    }

    private static String target(Module m) {
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    /** The module of the jffi class that loads its JNI stub, without initializing it; null if absent. */
    private static Module jffiModule() {
        try {
            return Class.forName(JFFI_LOADER, false, Descriptors.class.getClassLoader()).getModule();
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
