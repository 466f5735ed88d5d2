/**
 * splice4j: splices two socket channels, in the kernel where it can.
 * {@code io.github.splice4j} is the API (with the engine behind it, package-private);
 * {@code io.github.splice4j.spi} is what a backend implements.
 */
module io.github.splice4j {
    exports io.github.splice4j;
    exports io.github.splice4j.spi;
    requires jdk.jfr;
    uses io.github.splice4j.spi.SpliceProvider;
}
