package io.github.splice4j.unix;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.Objects;
import java.util.function.Consumer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;

/**
 * Loads a backend's binding of the C library through jnr-ffi, on the class path and on the module
 * path alike. Each backend declares its own LibC interface with only the calls it makes, and loads
 * it here once, lazily, from its {@code Native} holder.
 */
public final class NativeLibraries {

    /** jffi's switch from sun.misc.Unsafe to JNI for raw memory access. */
    private static final String JFFI_NO_UNSAFE = "jffi.unsafe.disabled";

    private NativeLibraries() {
    }

    /**
     * Binds {@code libc}'s methods to this platform's C library, failing at once if a symbol is
     * missing. Call only once the JVM's native-access rules are known to allow it
     * ({@link ChannelDescriptors#nativeAccessAllowed()}): on JDK 24+ jffi's JNI load would warn.
     *
     * <p>On the module path jnr-ffi implements {@code libc} in a class loader of its own, in that
     * loader's unnamed module, which cannot see a package its module does not export. Only the
     * interface's own module may export its package ({@link Module#addExports} checks the caller),
     * so the backend passes {@code exportTo}, which exports the package to the module it is given,
     * e.g. {@code m -> Native.class.getModule().addExports(Native.class.getPackageName(), m)}. It is
     * not called on the class path.
     *
     * @param <T> the interface's type
     * @param libc the public interface to implement; its package need not be exported
     * @param exportTo exports {@code libc}'s package to the given module, called from the backend's module
     * @return the binding
     * @throws IllegalStateException on the module path, if this jnr-ffi lacks the class loader hook
     * @throws UnsatisfiedLinkError (or another LinkageError) if the library or a symbol is missing
     */
    public static <T> T loadLibC(Class<T> libc, Consumer<Module> exportTo) {
        Objects.requireNonNull(exportTo, "exportTo");
        // jffi pokes the stubs jnr-ffi compiles into memory with sun.misc.Unsafe when it can,
        // which JDK 24+ warns about (JEP 498); its JNI accessor does the same without a warning.
        if (Runtime.version().feature() >= ChannelDescriptors.RESTRICTED_FROM && System.getProperty(JFFI_NO_UNSAFE) == null) {
            System.setProperty(JFFI_NO_UNSAFE, "true");
        }
        String name = Platform.getNativePlatform().getStandardCLibraryName();
        if (!libc.getModule().isNamed()) {
            return LibraryLoader.create(libc).failImmediately().load(name);
        }
        // jnr-ffi reuses the loader it finds in this thread-local, so give it one the interface's
        // package is exported to, for this one load. jnr-ffi is an automatic module, so its
        // internals are open to reflection.
        ThreadLocal<Object> current;
        ClassLoader loader;
        try {
            ClassLoader jnr = LibraryLoader.class.getClassLoader();
            Constructor<?> make = Class.forName("jnr.ffi.provider.jffi.AsmClassLoader", true, jnr)
                    .getDeclaredConstructor(ClassLoader.class);
            make.setAccessible(true);
            loader = (ClassLoader) make.newInstance(libc.getClassLoader());
            Field field = Class.forName("jnr.ffi.provider.jffi.AsmLibraryLoader", true, jnr).getDeclaredField("classLoader");
            field.setAccessible(true);
            @SuppressWarnings("unchecked")
            ThreadLocal<Object> local = (ThreadLocal<Object>) field.get(null);
            current = local;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("on the module path, " + libc.getModule().getName()
                    + " needs jnr-ffi 2.2.x's class loader hook (" + e + ")", e);
        }
        exportTo.accept(loader.getUnnamedModule());
        current.set(loader);
        try {
            return LibraryLoader.create(libc).failImmediately().load(name);
        } finally {
            current.remove();
        }
    }
}
