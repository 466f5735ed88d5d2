package io.github.splice4j.bsd;

import jnr.ffi.Platform;

/**
 * Where the fields of {@code struct splice { int sp_fd; off_t sp_max; struct timeval sp_idle; }}
 * lie on each ABI the backend supports (docs/bsd.md). {@code sp_fd} is always at 0 and 4
 * bytes; {@code off_t} is always 8 bytes; what moves is the alignment of 8-byte fields and the
 * width of {@code time_t} and {@code suseconds_t}.
 */
enum SpliceLayout {

    /** amd64, arm64 and every other LP64 port: natural alignment, 8-byte time_t and long. */
    LP64(32, 8, 16, 8, 24, 8),
    /** OpenBSD i386: 8-byte values aligned to 4, 64-bit time_t, 4-byte long. */
    OPENBSD_I386(24, 4, 12, 8, 20, 4),
    /** FreeBSD i386: 8-byte values aligned to 4, and the one 32-bit time_t left. */
    FREEBSD_I386(20, 4, 12, 4, 16, 4),
    /** armv7 (EABI, both BSDs): 8-byte values aligned to 8, 64-bit time_t, 4-byte long, tail padding. */
    ARMV7(32, 8, 16, 8, 24, 4);

    /** sizeof(struct splice). */
    final int size;
    final int maxOffset;
    final int secOffset;
    final int secSize;
    final int usecOffset;
    final int usecSize;

    SpliceLayout(int size, int maxOffset, int secOffset, int secSize, int usecOffset, int usecSize) {
        this.size = size;
        this.maxOffset = maxOffset;
        this.secOffset = secOffset;
        this.secSize = secSize;
        this.usecOffset = usecOffset;
        this.usecSize = usecSize;
    }

    /**
     * The layout of {@code struct splice} on {@code os} and {@code cpu}.
     *
     * @param addressSize pointer size in bits, for ports not named here
     * @return null where no layout is known (a 32-bit port other than i386 and armv7, or not a BSD)
     */
    static SpliceLayout of(Platform.OS os, Platform.CPU cpu, int addressSize) {
        if (os != Platform.OS.OPENBSD && os != Platform.OS.FREEBSD) {
            return null;
        }
        if (cpu == Platform.CPU.I386) {
            return os == Platform.OS.OPENBSD ? OPENBSD_I386 : FREEBSD_I386;
        }
        if (cpu == Platform.CPU.ARM) {
            return ARMV7;
        }
        return addressSize == 64 ? LP64 : null;
    }
}
