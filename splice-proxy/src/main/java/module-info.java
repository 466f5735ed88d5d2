/**
 * splice-proxy: the command-line TCP relay and demo built on splice4j. Backends are found by the
 * API module's {@code uses} clause, so any backend module on the module path is picked up.
 */
module io.github.splice4j.proxy {
    requires io.github.splice4j;
}
