package io.github.splice4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.net.SocketException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

class ErrorsTest {

    @Test
    void named_connectionReset() {
        IOException e = Errors.named("read", new SocketException("Connection reset"));
        assertEquals("read failed with error ECONNRESET: Connection reset", e.getMessage());
    }

    @Test
    void named_brokenPipe() {
        assertEquals("write failed with error EPIPE: Broken pipe",
                Errors.named("write", new IOException("Broken pipe")).getMessage());
    }

    @Test
    void named_textInsideLongerMessage() {
        assertEquals("write failed with error ECONNRESET: write: Connection reset by peer",
                Errors.named("write", new IOException("write: Connection reset by peer")).getMessage());
    }

    @Test
    void named_alreadyNamed_keptAsIs() {
        IOException original = new IOException("splice(..) failed with error EPIPE (32): Broken pipe");
        assertSame(original, Errors.named("splice", original));
    }

    @Test
    void named_closedChannel() {
        assertEquals("read failed with error EBADF: channel closed",
                Errors.named("read", new ClosedChannelException()).getMessage());
        assertEquals("write failed with error EBADF: channel closed",
                Errors.named("write", new AsynchronousCloseException()).getMessage());
    }

    @Test
    void named_unknownText_fallsBackToEio() {
        assertEquals("read failed with error EIO: something odd",
                Errors.named("read", new IOException("something odd")).getMessage());
        assertEquals("read failed with error EIO: IOException", Errors.named("read", new IOException()).getMessage());
    }

    @Test
    void named_keepsCause() {
        IOException cause = new IOException("Broken pipe");
        assertSame(cause, Errors.named("write", cause).getCause());
    }

    @Test
    void nativeFailure_format() {
        assertEquals("splice(..) failed with error EAGAIN (11): Resource temporarily unavailable",
                Errors.nativeFailure("splice(..)", "EAGAIN", 11, "Resource temporarily unavailable").getMessage());
    }
}
