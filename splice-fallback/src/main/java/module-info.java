/** The nio backend of splice4j: a pure-Java copy loop. */
module io.github.splice4j.nio {
    requires io.github.splice4j;
    provides io.github.splice4j.spi.SpliceProvider with io.github.splice4j.nio.NioSpliceProvider;
}
