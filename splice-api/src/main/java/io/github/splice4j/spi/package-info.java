/**
 * What a splice4j backend implements and uses, and nothing else: a
 * {@link io.github.splice4j.spi.SpliceProvider}, found through {@link java.util.ServiceLoader},
 * names the backend, probes whether it works here, and creates one
 * {@link io.github.splice4j.spi.Transfer} per direction: a
 * {@link io.github.splice4j.spi.CopyTransfer} the engine pumps, a
 * {@link io.github.splice4j.spi.KernelTransfer} the kernel moves by itself, or
 * {@link io.github.splice4j.spi.Transfer#copiedByEngine()} to leave the direction to the engine's
 * copy. Backends report native failures as {@link io.github.splice4j.spi.ErrnoException}s, name
 * the errno of JDK failures with {@link io.github.splice4j.spi.Errors}, and read their system
 * properties with {@link io.github.splice4j.spi.SystemProperties}. Applications need none of it.
 */
package io.github.splice4j.spi;
