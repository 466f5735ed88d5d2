package io.github.splice4j.bsd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;

/**
 * Pins {@code struct splice} for every ABI docs/bsd.md lists: its size, and every field's
 * offset and width, by writing a struct and reading its raw bytes back. The expected offsets are
 * written out here, not taken from {@link SpliceLayout}. The target ABIs are all little-endian,
 * like the machine the test runs on.
 */
class SpliceLayoutTest {

    private static final int FD = 0x11223344;
    private static final long MAX = 0x0102030405060708L;
    /** 77 s and 123456.789 us: tv_sec 77, tv_usec 123457. */
    private static final long IDLE_NANOS = 77_123_456_789L;

    @Test
    void lp64_amd64AndArm64() {
        assertBytes(SpliceLayout.LP64, 32, 8, 16, 8, 24, 8);
    }

    @Test
    void openBsdI386() {
        assertBytes(SpliceLayout.OPENBSD_I386, 24, 4, 12, 8, 20, 4);
    }

    @Test
    void freeBsdI386() {
        assertBytes(SpliceLayout.FREEBSD_I386, 20, 4, 12, 4, 16, 4);
    }

    @Test
    void armv7() {
        assertBytes(SpliceLayout.ARMV7, 32, 8, 16, 8, 24, 4);
    }

    @Test
    void of_eachBsdPort() {
        assertEquals(SpliceLayout.LP64, SpliceLayout.of(Platform.OS.OPENBSD, Platform.CPU.X86_64, 64));
        assertEquals(SpliceLayout.LP64, SpliceLayout.of(Platform.OS.OPENBSD, Platform.CPU.AARCH64, 64));
        assertEquals(SpliceLayout.LP64, SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.X86_64, 64));
        assertEquals(SpliceLayout.LP64, SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.AARCH64, 64));
        assertEquals(SpliceLayout.LP64, SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.RISCV64, 64));
        assertEquals(SpliceLayout.OPENBSD_I386, SpliceLayout.of(Platform.OS.OPENBSD, Platform.CPU.I386, 32));
        assertEquals(SpliceLayout.FREEBSD_I386, SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.I386, 32));
        assertEquals(SpliceLayout.ARMV7, SpliceLayout.of(Platform.OS.OPENBSD, Platform.CPU.ARM, 32));
        assertEquals(SpliceLayout.ARMV7, SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.ARM, 32));
    }

    @Test
    void of_unknownPortOrOs_isNull() {
        assertNull(SpliceLayout.of(Platform.OS.FREEBSD, Platform.CPU.PPC, 32));
        assertNull(SpliceLayout.of(Platform.OS.LINUX, Platform.CPU.X86_64, 64));
        assertNull(SpliceLayout.of(Platform.OS.DARWIN, Platform.CPU.AARCH64, 64));
    }

    @Test
    void timeval_roundsUpToTheMicrosecond() {
        assertArrayEquals(new long[] {0, 0}, SpliceStruct.timeval(0));
        assertArrayEquals(new long[] {0, 1}, SpliceStruct.timeval(1));
        assertArrayEquals(new long[] {1, 500_000}, SpliceStruct.timeval(1_500_000_000L));
        assertArrayEquals(new long[] {2, 0}, SpliceStruct.timeval(2_000_000_000L));
        assertArrayEquals(new long[] {1, 0}, SpliceStruct.timeval(999_999_999L));
    }

    @Test
    void unsplice_isFdMinusOneAndZeroes() {
        SpliceStruct s = new SpliceStruct(Runtime.getSystemRuntime(), SpliceLayout.LP64).set(-1, 0, 0);
        byte[] expected = new byte[32];
        ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -1);
        assertArrayEquals(expected, raw(s));
    }

    private static void assertBytes(SpliceLayout layout, int size, int maxAt, int secAt, int secSize, int usecAt,
            int usecSize) {
        SpliceStruct s = new SpliceStruct(Runtime.getSystemRuntime(), layout).set(FD, MAX, IDLE_NANOS);
        ByteBuffer expected = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        expected.putInt(0, FD);
        expected.putLong(maxAt, MAX);
        put(expected, secAt, secSize, 77);
        put(expected, usecAt, usecSize, 123_457);
        assertEquals(size, Struct.size(s), "sizeof(struct splice)");
        assertArrayEquals(expected.array(), raw(s));
    }

    private static void put(ByteBuffer b, int at, int size, long value) {
        if (size == 8) {
            b.putLong(at, value);
        } else {
            b.putInt(at, (int) value);
        }
    }

    private static byte[] raw(SpliceStruct s) {
        byte[] bytes = new byte[Struct.size(s)];
        Struct.getMemory(s).get(0, bytes, 0, bytes.length);
        return bytes;
    }
}
