/**
 * The bsd backend of splice4j: the kernel splices the sockets itself, through
 * {@code setsockopt(SO_SPLICE)} (OpenBSD, FreeBSD 14.2 and later).
 */
module io.github.splice4j.bsd {
    requires io.github.splice4j;
    requires org.jnrproject.ffi;
    requires org.jnrproject.constants;
    // sun.misc.Unsafe reads a SocketChannel's descriptor on JDK 17 to 23 without extra flags
    requires jdk.unsupported;
    provides io.github.splice4j.spi.SpliceProvider with io.github.splice4j.bsd.BsdSpliceProvider;
}
