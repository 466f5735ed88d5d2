/**
 * What splice4j's two native backends share: reading the descriptor of a JDK socket channel with
 * one JDK policy, loading the C library through jnr-ffi (on the class path and the module path),
 * and turning an errno into {@link io.github.splice4j.spi.ErrnoException}. Not an API: the package
 * is exported only to the linux and bsd backends.
 */
module io.github.splice4j.unix {
    requires io.github.splice4j;
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    // jnr-ffi (an automatic module) generates code with ASM, whose jar is an explicit module and so
    // is resolved on the module path only if some module requires it.
    requires org.objectweb.asm;
    // sun.misc.Unsafe reads a socket channel's descriptor on JDK 17 to 23 without any flag
    requires jdk.unsupported;
    exports io.github.splice4j.unix to io.github.splice4j.linux, io.github.splice4j.bsd;
}
