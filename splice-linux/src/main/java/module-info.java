/**
 * The linux backend of splice4j: splice(2) through pooled pipes, called with jnr-ffi. Reads the
 * descriptors of JDK socket channels and loads the C library through the shared Unix layer
 * (module io.github.splice4j.unix), whose JDK 24+ flags it needs.
 */
module io.github.splice4j.linux {
    requires io.github.splice4j;
    requires io.github.splice4j.unix;
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    provides io.github.splice4j.spi.SpliceProvider with io.github.splice4j.linux.LinuxSpliceProvider;
}
