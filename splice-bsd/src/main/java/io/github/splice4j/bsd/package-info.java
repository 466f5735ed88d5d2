/**
 * Backend {@code bsd}: the kernel splices the sockets itself through
 * {@code setsockopt(SO_SPLICE)}, on OpenBSD and FreeBSD 14.2+ (docs/spec.md, "bsd"). The one
 * public class is {@link io.github.splice4j.bsd.BsdSpliceProvider}; the rest is package-private:
 * the kernel interface ({@code BsdKernel}, real or simulated in the tests), {@code struct splice}
 * and its per-ABI layouts, and the C calls ({@code Native}, bound through splice-unix's loader).
 * Reading channel descriptors, loading libc and naming errnos are done by the shared Unix layer,
 * {@code io.github.splice4j.unix}, which the linux backend uses too.
 *
 * <p>No BSD machine runs this project's tests: the code is verified by compilation, by the struct
 * layout tests, by the conformance suite on simulated OpenBSD and FreeBSD kernels, and by binding
 * and calling its libc functions on Linux. RealKernelConformanceTest runs only on a real BSD.
 */
package io.github.splice4j.bsd;
