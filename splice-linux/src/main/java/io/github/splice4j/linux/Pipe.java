package io.github.splice4j.linux;

/**
 * A kernel pipe that carries one chunk of a direction from its source socket to its drain. It
 * holds {@link #held} bytes: counted exactly, because the drain must be given precisely what the
 * pipe holds and a pipe that still holds bytes must never be reused.
 */
final class Pipe {
    final int readFd;
    final int writeFd;
    /** Bytes the pipe takes, as the kernel granted it (F_SETPIPE_SZ or its default). */
    final int capacity;
    /** Bytes spliced in and not yet spliced out. */
    long held;

    Pipe(int readFd, int writeFd, int capacity) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.capacity = capacity;
    }

    /** Closes both ends; the bytes it still holds, if any, are dropped with it. */
    void close() {
        Native.close(readFd);
        Native.close(writeFd);
    }

    @Override
    public String toString() {
        return "pipe[" + readFd + "," + writeFd + "] " + held + "/" + capacity;
    }
}
