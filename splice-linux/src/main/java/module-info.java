/**
 * The linux backend of splice4j: splice(2) through pooled pipes, called with jnr-ffi. Reads the
 * descriptor of JDK socket channels through {@code sun.misc.Unsafe} (module jdk.unsupported) on
 * JDK 17 to 23, or by reflection where {@code java.base/sun.nio.ch} is opened to it.
 */
module io.github.splice4j.linux {
    requires io.github.splice4j;
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    // jnr-ffi (an automatic module) generates code with ASM, whose jar is an explicit module and so
    // is resolved on the module path only if some module requires it.
    requires org.objectweb.asm;
    requires jdk.unsupported;
    provides io.github.splice4j.spi.SpliceProvider with io.github.splice4j.linux.LinuxSpliceProvider;
}
