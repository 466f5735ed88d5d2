package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/** Test data and blocking reads and writes on the test's own ends of the sockets. */
final class Bytes {

    private static final int CHUNK = 64 * 1024;

    private Bytes() {
    }

    /** {@code size} pseudo-random bytes, the same for the same seed. */
    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Tally tally(byte[] data) {
        return tally(data, 0, data.length);
    }

    static Tally tally(byte[] data, int offset, int length) {
        MessageDigest md = sha256();
        md.update(data, offset, length);
        return new Tally(length, HexFormat.of().formatHex(md.digest()));
    }

    static void writeFully(SocketChannel channel, byte[] data) throws IOException {
        writeFully(channel, ByteBuffer.wrap(data));
    }

    static void writeFully(SocketChannel channel, ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            channel.write(data);
        }
    }

    /** Reads exactly {@code n} bytes from a blocking channel; an early end of stream fails. */
    static byte[] readExactly(SocketChannel channel, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                throw new EOFException("end of stream after " + buf.position() + " of " + n + " bytes");
            }
        }
        return buf.array();
    }

    /** Reads a blocking channel to its end of stream. */
    static Tally readToEof(SocketChannel channel) throws IOException {
        return readToEof(channel, 0);
    }

    /**
     * Reads a blocking channel to its end of stream, pausing 1 ms after every {@code pauseEvery}
     * bytes (0: never) so the writer's side backs up like behind a slow consumer.
     */
    static Tally readToEof(SocketChannel channel, int pauseEvery) throws IOException {
        return readToEof(channel, pauseEvery, sha256());
    }

    /** Reads a blocking channel to its end of stream, adding to a digest begun by the caller. */
    static Tally readToEof(SocketChannel channel, MessageDigest md) throws IOException {
        return readToEof(channel, 0, md);
    }

    private static Tally readToEof(SocketChannel channel, int pauseEvery, MessageDigest md) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(pauseEvery > 0 ? Math.min(pauseEvery, CHUNK) : CHUNK);
        long total = 0;
        long sincePause = 0;
        while (true) {
            buf.clear();
            int n = channel.read(buf);
            if (n < 0) {
                break;
            }
            md.update(buf.array(), 0, n);
            total += n;
            sincePause += n;
            if (pauseEvery > 0 && sincePause >= pauseEvery) {
                sincePause = 0;
                sleep(1);
            }
        }
        return new Tally(total, HexFormat.of().formatHex(md.digest()));
    }

    /** Reads until the end of stream or a reset: the peer of a connection going away. */
    static Void readUntilGone(SocketChannel channel) {
        try {
            readToEof(channel);
        } catch (IOException e) {
            // a reset or a close is as good an ending as an end of stream here
        }
        return null;
    }

    /**
     * Copies {@code from} to {@code to} until the end of stream, then shuts down {@code to}'s
     * output: what an application does with the channels once a splice handed them back.
     */
    static long copy(SocketChannel from, SocketChannel to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long total = 0;
        while (from.read(buf) >= 0) {
            buf.flip();
            total += buf.remaining();
            writeFully(to, buf);
            buf.clear();
        }
        to.shutdownOutput();
        return total;
    }

    /**
     * Asserts that a channel has no byte to read and is not at its end of stream, after giving
     * bytes in flight {@code settleMillis} to arrive. Leaves the channel in the mode it found.
     */
    static void assertNothingToRead(SocketChannel channel, long settleMillis) throws IOException {
        sleep(settleMillis);
        boolean blocking = channel.isBlocking();
        channel.configureBlocking(false);
        try {
            assertEquals(0, channel.read(ByteBuffer.allocate(1)), "bytes or end of stream where none was expected");
        } finally {
            channel.configureBlocking(blocking);
        }
    }

    /**
     * Reads, without blocking, every byte that arrives until none has for {@code quietMillis}:
     * what a stopped sender left in flight. Leaves the channel in the mode it found.
     */
    static Tally readUntilQuiet(SocketChannel channel, long quietMillis) throws IOException {
        boolean blocking = channel.isBlocking();
        channel.configureBlocking(false);
        try {
            MessageDigest md = sha256();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK);
            long total = 0;
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < quietMillis * 1_000_000L) {
                buf.clear();
                int n = channel.read(buf);
                if (n > 0) {
                    md.update(buf.array(), 0, n);
                    total += n;
                    quietSince = System.nanoTime();
                } else if (n < 0) {
                    break;
                } else {
                    sleep(2);
                }
            }
            return new Tally(total, HexFormat.of().formatHex(md.digest()));
        } finally {
            channel.configureBlocking(blocking);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** How many bytes a stream held and their SHA-256 digest. */
    record Tally(long bytes, String sha256) {
    }

    /**
     * A pseudo-random byte stream written in pieces, with a running tally, for transfers too big
     * to hold twice in memory.
     */
    static final class Generator {
        private final Random random;
        private final MessageDigest md = sha256();
        private final byte[] chunk = new byte[CHUNK];
        private long written;

        Generator(long seed) {
            random = new Random(seed);
        }

        /** Writes the next {@code n} bytes of the stream to a blocking channel. */
        void write(SocketChannel channel, long n) throws IOException {
            long left = n;
            while (left > 0) {
                int len = (int) Math.min(left, CHUNK);
                random.nextBytes(chunk);
                md.update(chunk, 0, len);
                writeFully(channel, ByteBuffer.wrap(chunk, 0, len));
                written += len;
                left -= len;
            }
        }

        /** The tally of the first {@code n} bytes of the stream of {@code seed}. */
        static Tally prefix(long seed, long n) {
            Generator g = new Generator(seed);
            long left = n;
            while (left > 0) {
                int len = (int) Math.min(left, CHUNK);
                g.random.nextBytes(g.chunk);
                g.md.update(g.chunk, 0, len);
                g.written += len;
                left -= len;
            }
            return g.tally();
        }

        /** The tally of everything written so far; call once, at the end. */
        Tally tally() {
            return new Tally(written, HexFormat.of().formatHex(md.digest()));
        }
    }
}
