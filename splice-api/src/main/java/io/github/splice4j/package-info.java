/**
 * splice4j: splices two connected socket channels, so that the bytes arriving on each are written
 * to the other, in the kernel where the machine can (Linux splice(2), the BSDs' SO_SPLICE) and
 * with a copy loop elsewhere. {@link io.github.splice4j.Splice} starts a splice, a
 * {@link io.github.splice4j.SpliceHandle} follows and stops it, and a
 * {@link io.github.splice4j.SpliceResult} says how each direction ended; the semantics are in
 * docs/spec.md.
 *
 * <p>The engine every backend shares lives here too, package-private: the event loops, one
 * session per splice, one flow per direction, the choice of backend, the reading of the
 * properties, and the one copy path (the nio backend's, and any direction a native backend cannot
 * splice). Nothing of it is API: backends reach the engine only through
 * {@link io.github.splice4j.spi}.
 */
package io.github.splice4j;
