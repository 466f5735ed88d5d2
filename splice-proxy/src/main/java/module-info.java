/**
 * splice-proxy: a reusable relay ({@link io.github.splice4j.proxy.Relay}), and the command-line
 * relay and demo over it. Backends are found by the API module's {@code uses} clause, so any
 * backend module on the module path is picked up.
 */
module io.github.splice4j.proxy {
    requires transitive io.github.splice4j;
    requires java.logging;
    requires java.management;

    exports io.github.splice4j.proxy;
}
