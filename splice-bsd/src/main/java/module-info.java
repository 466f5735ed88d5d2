/**
 * The bsd backend of splice4j: the kernel splices the sockets itself, through
 * {@code setsockopt(SO_SPLICE)} (OpenBSD, FreeBSD 14.2 and later). Reads the descriptors of JDK
 * socket channels and loads the C library through the shared Unix layer
 * (module io.github.splice4j.unix).
 */
module io.github.splice4j.bsd {
    requires io.github.splice4j;
    requires io.github.splice4j.unix;
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    provides io.github.splice4j.spi.SpliceProvider with io.github.splice4j.bsd.BsdSpliceProvider;
}
