/**
 * Backend {@code linux}: each direction moves with splice(2), source socket to a pooled pipe to
 * the drain socket, so the bytes never enter user memory (docs/spec.md, "linux"). The one public
 * class is {@link io.github.splice4j.linux.LinuxSpliceProvider}; the rest is package-private: the
 * C calls ({@code Native}, bound through splice-unix's loader), the pipe pool, the per-direction
 * mover and the availability probe. Reading channel descriptors, loading libc and naming errnos
 * are done by the shared Unix layer, {@code io.github.splice4j.unix}, which the bsd backend uses
 * too.
 */
package io.github.splice4j.linux;
