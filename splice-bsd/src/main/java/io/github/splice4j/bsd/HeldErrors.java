package io.github.splice4j.bsd;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.constants.platform.Errno;

/**
 * SO_ERROR values one transfer read that another transfer on the same socket must see too:
 * reading SO_ERROR clears it, and in a bidirectional splice each socket is one direction's source
 * and the other's drain. Two kinds:
 * <ul>
 *   <li>an <em>end</em>: on OpenBSD a drain's EFBIG, ETIMEDOUT or ELOOP is how the splice whose
 *       source that socket is ended ({@code somove()} itself ignores those on a drain); kept for
 *       that direction, which takes it;
 *   <li>a <em>failure</em> (ECONNRESET, say): the socket is dead for both directions, so it stays
 *       until a new splice starts on the socket. On FreeBSD the reset socket is one direction's
 *       failed source and the other's dead drain, and only one of them reads the error.
 * </ul>
 * One per kernel, shared by every transfer on it; the loop threads of different splices use it
 * at once.
 */
final class HeldErrors {

    private final Map<Integer, Errno> ends = new ConcurrentHashMap<>();
    private final Map<Integer, Errno> failures = new ConcurrentHashMap<>();

    /** Keeps {@code error}, read from {@code fd}, for the transfer whose source {@code fd} is. */
    void hold(int fd, Errno error) {
        ends.put(fd, error);
    }

    /** Takes the end held for {@code fd}, or null if there is none. */
    Errno take(int fd) {
        return ends.remove(fd);
    }

    /** Records that the socket {@code fd} failed with {@code error}, for every transfer on it. */
    void failed(int fd, Errno error) {
        failures.putIfAbsent(fd, error);
    }

    /** The failure recorded for {@code fd}, or null. */
    Errno failure(int fd) {
        return failures.get(fd);
    }

    /** Drops what is held for {@code fd}: a new splice starts on it, or its splice is done. */
    void forget(int fd) {
        ends.remove(fd);
        failures.remove(fd);
    }

    /** Drops the end held for {@code fd}, keeping a failure for the other direction on it. */
    void forgetEnd(int fd) {
        ends.remove(fd);
    }
}
