package io.github.splice4j.bsd;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.constants.platform.Errno;

/**
 * SO_ERROR values one transfer read from its drain that belong to another: on OpenBSD a drain's
 * EFBIG, ETIMEDOUT or ELOOP is how the reverse direction's own splice (whose source that socket
 * is) ended, which {@code somove()} itself ignores on a drain. Reading SO_ERROR clears it, so the
 * reader keeps it here and the transfer whose source it is takes it from here before asking the
 * kernel. One per kernel, shared by every transfer on it; the loop threads of different splices
 * use it at once.
 */
final class HeldErrors {

    private final Map<Integer, Errno> byFd = new ConcurrentHashMap<>();

    /** Keeps {@code error}, read from {@code fd}, for the transfer whose source {@code fd} is. */
    void hold(int fd, Errno error) {
        byFd.put(fd, error);
    }

    /** Takes the error held for {@code fd}, or null if there is none. */
    Errno take(int fd) {
        return byFd.remove(fd);
    }

    /** Drops what is held for {@code fd}: its splice is done, or a new one starts on it. */
    void forget(int fd) {
        byFd.remove(fd);
    }
}
