package io.github.splice4j.bsd;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct splice} for one {@link SpliceLayout}. Every field has an explicit offset, so the
 * bytes land where that ABI's C compiler puts them whatever the JVM's own platform (which is what
 * lets the layout test check every row on any machine); a last one-byte member pads the struct to
 * {@code sizeof} where the C struct has tail padding.
 */
final class SpliceStruct extends Struct {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long NANOS_PER_MICRO = 1_000L;

    final Signed32 fd;
    final Signed64 max;
    final NumberField sec;
    final NumberField usec;
    /** Present where the C struct has tail padding, so that sizeof matches the kernel's. */
    private final Signed8 tailPadding;

    SpliceStruct(Runtime runtime, SpliceLayout layout) {
        super(runtime);
        fd = new Signed32(new Offset(0));
        max = new Signed64(new Offset(layout.maxOffset));
        sec = layout.secSize == 8 ? new Signed64(new Offset(layout.secOffset)) : new Signed32(new Offset(layout.secOffset));
        usec = layout.usecSize == 8 ? new Signed64(new Offset(layout.usecOffset)) : new Signed32(new Offset(layout.usecOffset));
        tailPadding = layout.size > layout.usecOffset + layout.usecSize ? new Signed8(new Offset(layout.size - 1)) : null;
    }

    /** Fills the struct; {@code fd} -1 asks for an unsplice. */
    SpliceStruct set(int fd, long max, long idleNanos) {
        this.fd.set(fd);
        this.max.set(max);
        long[] tv = timeval(idleNanos);
        sec.set(tv[0]);
        usec.set(tv[1]);
        return this;
    }

    /**
     * {@code idleNanos} as {seconds, microseconds}, rounded up to the next microsecond: a timeout
     * must not fire early, and a positive one must not become 0, which means none.
     */
    static long[] timeval(long idleNanos) {
        if (idleNanos <= 0) {
            return new long[] {0, 0};
        }
        long sec = idleNanos / NANOS_PER_SECOND;
        long usec = (idleNanos % NANOS_PER_SECOND + NANOS_PER_MICRO - 1) / NANOS_PER_MICRO;
        if (usec == NANOS_PER_SECOND / NANOS_PER_MICRO) {
            sec++;
            usec = 0;
        }
        return new long[] {sec, usec};
    }
}
