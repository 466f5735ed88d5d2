package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.unix.ChannelDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import jnr.constants.platform.Errno;
import jnr.constants.platform.SocketLevel;
import jnr.constants.platform.SocketOption;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.byref.LongLongByReference;
import org.junit.jupiter.api.Test;

/**
 * The C binding of the backend, exercised on whatever OS runs the tests, with that OS's socket
 * constants (from jnr-constants, not the BSD ones {@link Native} holds): both getsockopt
 * overloads, setsockopt with a pointer, and failures read back as a named errno.
 */
class NativeTest {

    private static final int SOL_SOCKET = SocketLevel.SOL_SOCKET.intValue();
    private static final int SO_RCVBUF = SocketOption.SO_RCVBUF.intValue();

    @Test
    void check_badDescriptor_namesEbadf() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Native.check("getsockopt(SO_RCVBUF)",
                () -> Native.libc().getsockopt(-1, SOL_SOCKET, SO_RCVBUF, new IntByReference(), new IntByReference(4))));
        assertEquals(Errno.EBADF.name(), e.errnoName());
        assertTrue(e.getMessage().startsWith("getsockopt(SO_RCVBUF) failed with error EBADF (" + Errno.EBADF.intValue() + ")"),
                e.getMessage());
    }

    @Test
    void setsockoptAndBothGetsockopts_marshalValuesAndLengths() throws IOException {
        if (ChannelDescriptors.get().problem() != null) {
            // JDK 24+ without --add-opens: no descriptor to call with; splice-unix's ChannelDescriptorsTest covers that case
            assertTrue(Runtime.version().feature() >= 24, String.valueOf(ChannelDescriptors.get().problem()));
            return;
        }
        try (SocketChannel channel = SocketChannel.open()) {
            int fd = ChannelDescriptors.get().fd(channel);
            Pointer value = Memory.allocateDirect(Native.runtime(), Integer.BYTES);
            value.putInt(0, 64 * 1024);
            Native.check("setsockopt", () -> Native.libc().setsockopt(fd, SOL_SOCKET, SO_RCVBUF, value, Integer.BYTES));
            IntByReference asInt = new IntByReference();
            IntByReference intLength = new IntByReference(Integer.BYTES);
            Native.check("getsockopt", () -> Native.libc().getsockopt(fd, SOL_SOCKET, SO_RCVBUF, asInt, intLength));
            // Linux doubles the size for its bookkeeping (and the JDK halves it back); never less
            assertTrue(asInt.intValue() >= 64 * 1024, "SO_RCVBUF " + asInt.intValue());

            // the off_t overload: the kernel writes an int here and says so through the length
            LongLongByReference asLong = new LongLongByReference(0);
            IntByReference longLength = new IntByReference(Long.BYTES);
            Native.check("getsockopt", () -> Native.libc().getsockopt(fd, SOL_SOCKET, SO_RCVBUF, asLong, longLength));
            assertEquals(Integer.BYTES, longLength.intValue());
            assertEquals(asInt.intValue(), (int) asLong.longValue());
        }
    }
}
