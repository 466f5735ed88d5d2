package io.github.splice4j.spi;

import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns I/O failures into exceptions whose message names the errno, the way every backend
 * reports them: {@code write(..) failed with error EPIPE: Broken pipe}.
 */
public final class Errors {

    private static final Pattern HAS_ERRNO = Pattern.compile("\\bE[A-Z0-9]{2,}\\b");

    // The JDK reports socket errors with strerror(3) text only; Linux wording.
    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("Connection reset by peer", "ECONNRESET"),
            Map.entry("Connection reset", "ECONNRESET"),
            Map.entry("Broken pipe", "EPIPE"),
            Map.entry("Connection timed out", "ETIMEDOUT"),
            Map.entry("Connection refused", "ECONNREFUSED"),
            Map.entry("No route to host", "EHOSTUNREACH"),
            Map.entry("Network is unreachable", "ENETUNREACH"),
            Map.entry("Software caused connection abort", "ECONNABORTED"),
            Map.entry("Transport endpoint is not connected", "ENOTCONN"),
            Map.entry("Socket is not connected", "ENOTCONN"),
            Map.entry("Bad file descriptor", "EBADF"),
            Map.entry("No buffer space available", "ENOBUFS"),
            Map.entry("Cannot allocate memory", "ENOMEM"),
            Map.entry("Operation timed out", "ETIMEDOUT"));

    private Errors() {
    }

    /**
     * An exception for a failed {@code call} whose message names the errno where it can be told,
     * keeping {@code cause}. A message that already names an errno is kept as it is.
     *
     * @param call the call that failed, as the message names it
     * @param cause what it threw
     * @return {@code cause} itself, or an exception naming the errno that wraps it
     */
    public static IOException named(String call, IOException cause) {
        String message = cause.getMessage();
        if (message != null && HAS_ERRNO.matcher(message).find()) {
            return cause;
        }
        if (cause instanceof ClosedChannelException || cause instanceof AsynchronousCloseException) {
            return new IOException(call + " failed with error EBADF: channel closed", cause);
        }
        String name = message == null ? null : NAMES.get(message.trim());
        if (name == null && message != null) {
            for (Map.Entry<String, String> e : NAMES.entrySet()) {
                if (message.contains(e.getKey())) {
                    name = e.getValue();
                    break;
                }
            }
        }
        String text = name == null ? "EIO" : name;
        return new IOException(call + " failed with error " + text + ": "
                + (message == null ? cause.getClass().getSimpleName() : message), cause);
    }

    /**
     * The failure of a write to {@code drain}, named as {@link #named} does, except that a drain
     * the JDK refuses because its output was shut down (while the channel is open) is EPIPE, as
     * the kernel names it, not EBADF.
     *
     * @param drain the channel written to
     * @param cause what the write threw
     * @return the exception to end the direction with
     */
    public static IOException writeFailed(java.nio.channels.SocketChannel drain, IOException cause) {
        // the JDK throws ClosedChannelException or AsynchronousCloseException, depending on the release
        if (cause instanceof ClosedChannelException && drain.isOpen()) {
            return new IOException("write failed with error EPIPE: the drain's output is shut down", cause);
        }
        return named("write", cause);
    }

    /**
     * The exception of a native failure: {@code call(..) failed with error NAME (errno): text}.
     *
     * @param call the call that failed, e.g. {@code "splice(..)"}
     * @param errnoName the errno's symbolic name
     * @param errno the errno's number on this OS
     * @param text the error's description
     * @return the exception
     */
    public static ErrnoException nativeFailure(String call, String errnoName, int errno, String text) {
        return new ErrnoException(call, errnoName, errno, text);
    }
}
