package io.github.splice4j.reliability;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bytes one side of a test connection sends: a pseudo-random stream fixed by a seed, whose
 * byte at any offset can be computed on its own. Senders hash what they write and receivers what
 * they read (SHA-256); when a connection is cut short, the receiver's digest is checked against
 * the digest of the stream's prefix of the length it received, regenerated here, so a lost,
 * duplicated or reordered byte is caught at a fault boundary too.
 */
final class Payload {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 64 * 1024;

    private Payload() {
    }

    /** Fills {@code dst[off, off + len)} with the stream of {@code seed} from {@code offset}. */
    static void fill(long seed, long offset, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len && ((offset + i) & 7) != 0) {
            dst[off + i] = byteAt(seed, offset + i);
            i++;
        }
        while (len - i >= 8) {
            LONGS.set(dst, off + i, word(seed, (offset + i) >>> 3));
            i += 8;
        }
        while (i < len) {
            dst[off + i] = byteAt(seed, offset + i);
            i++;
        }
    }

    private static byte byteAt(long seed, long offset) {
        return (byte) (word(seed, offset >>> 3) >>> ((offset & 7) * 8));
    }

    /** SplitMix64 of the word index: random access, and fast enough to feed gigabytes. */
    private static long word(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The SHA-256 of the stream's bytes {@code [from, to)}, in hex. */
    static String digest(long seed, long from, long to) {
        MessageDigest md = sha256();
        byte[] buf = new byte[CHUNK];
        for (long at = from; at < to; ) {
            int n = (int) Math.min(CHUNK, to - at);
            fill(seed, at, buf, 0, n);
            md.update(buf, 0, n);
            at += n;
        }
        return hex(md);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }

    /** Completes {@code md} (a clone, so it can still be updated) and returns it in hex. */
    static String hex(MessageDigest md) {
        try {
            return HexFormat.of().formatHex(((MessageDigest) md.clone()).digest());
        } catch (CloneNotSupportedException e) {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
