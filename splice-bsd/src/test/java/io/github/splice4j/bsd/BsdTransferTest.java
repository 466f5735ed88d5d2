package io.github.splice4j.bsd;

import io.github.splice4j.unix.Errnos;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link BsdTransfer} reads the kernel: SO_ERROR by name to a {@link SpliceEnd}, the byte
 * count, the unsplice answers, FreeBSD's polling. The kernel here is a scripted {@link BsdKernel}
 * answering what each case needs.
 */
class BsdTransferTest {

    private static final SpliceOptions LIMIT = SpliceOptions.builder().maxBytes(100).build();
    private static final SpliceOptions IDLE = SpliceOptions.builder().idleTimeout(Duration.ofMillis(1500)).build();

    private final HeldErrors held = new HeldErrors();
    private final SocketChannel source = open();
    private final SocketChannel drain = open();

    @AfterEach
    void close() throws IOException {
        source.close();
        drain.close();
    }

    @Test
    void start_openBsdIdle_goesToTheKernel() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, IDLE);
        assertEquals(List.of("splice 3 -> 4 max 0 idle 1500000000"), k.calls);
        assertTrue(t.kernelIdle());
    }

    @Test
    void start_freeBsdIdle_staysWithTheEngine() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofSeconds(1)).build());
        assertEquals(List.of("splice 3 -> 4 max 7 idle 0"), k.calls);
        assertFalse(t.kernelIdle());
    }

    @Test
    void ended_efbigWithLimit_isMaxBytes() throws IOException {
        assertEquals(SpliceEnd.MAX_BYTES, ended(BsdKernel.Flavor.OPENBSD, LIMIT, Errno.EFBIG, 100));
    }

    @Test
    void ended_etimedoutWithKernelIdle_isIdleTimeout() throws IOException {
        assertEquals(SpliceEnd.IDLE_TIMEOUT, ended(BsdKernel.Flavor.OPENBSD, IDLE, Errno.ETIMEDOUT, 5));
    }

    @Test
    void ended_etimedoutWithoutIdle_failsNamingIt() {
        IOException e = assertThrows(IOException.class,
                () -> ended(BsdKernel.Flavor.OPENBSD, SpliceOptions.defaults(), Errno.ETIMEDOUT, 5));
        assertTrue(e.getMessage().contains("ETIMEDOUT"), e.getMessage());
    }

    @Test
    void ended_noErrorAtTheLimit_isMaxBytes() throws IOException {
        assertEquals(SpliceEnd.MAX_BYTES, ended(BsdKernel.Flavor.FREEBSD, LIMIT, null, 100));
    }

    @Test
    void ended_noError_isEof() throws IOException {
        assertEquals(SpliceEnd.EOF, ended(BsdKernel.Flavor.FREEBSD, LIMIT, null, 99));
    }

    @Test
    void ended_sourceError_failsNamingIt() {
        IOException e = assertThrows(IOException.class,
                () -> ended(BsdKernel.Flavor.OPENBSD, SpliceOptions.defaults(), Errno.ECONNRESET, 5));
        assertTrue(e.getMessage().contains("ECONNRESET (" + Errno.ECONNRESET.intValue() + ")"), e.getMessage());
    }

    @Test
    void ended_drainError_failsNamingIt() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        k.drainErrors.add(Errno.EPIPE);
        IOException e = assertThrows(IOException.class, t::ended);
        assertTrue(e.getMessage().contains("EPIPE"), e.getMessage());
    }

    @Test
    void stop_notSplicedOnOpenBsd_hasNoEffect() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        k.unspliceFailure = Errno.EPROTO;
        t.stop();
        assertEquals("unsplice 3", k.calls.get(1));
    }

    @Test
    void stop_notSplicedOnFreeBsd_hasNoEffect() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        k.unspliceFailure = Errno.ENOTCONN;
        t.stop();
        assertEquals("unsplice 3", k.calls.get(1));
    }

    @Test
    void stop_otherErrno_fails() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        k.unspliceFailure = Errno.EBADF;
        IOException e = assertThrows(IOException.class, t::stop);
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }

    @Test
    void stop_pendingOwnEnd_isClearedQuietly() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, LIMIT);
        k.sourceErrors.add(Errno.EFBIG);
        t.stop();
        assertTrue(k.sourceErrors.isEmpty(), "EFBIG read, so the application's next read does not see it");
    }

    @Test
    void stop_pendingError_fails() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, LIMIT);
        k.sourceErrors.add(Errno.ECONNRESET);
        IOException e = assertThrows(IOException.class, t::stop);
        assertTrue(e.getMessage().contains("ECONNRESET"), e.getMessage());
    }

    /**
     * The engine keeps a spliced channel's descriptor pinned until it hands the channel back
     * (docs/spec.md, "No stray bytes"), so a source the application closed is still unspliced:
     * the kernel stops, and the count read next is final.
     */
    @Test
    void stop_closedSource_stillUnsplicesItsPinnedDescriptor() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.OPENBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        source.close();
        t.stop();
        assertEquals(2, k.calls.size(), "the splice call and the unsplice: " + k.calls);
        assertTrue(k.calls.get(1).startsWith("unsplice"), k.calls::toString);
    }

    @Test
    void polled_atTheLimit_isMaxBytesAndUnsplices() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, LIMIT);
        k.count = 100;
        t.transferred();
        k.unspliceFailure = Errno.ENOTCONN;  // the kernel let go already
        assertEquals(SpliceEnd.MAX_BYTES, t.polled());
        assertEquals("unsplice 3", k.calls.get(1));
    }

    @Test
    void polled_belowTheLimit_isNull() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, LIMIT);
        k.count = 99;
        t.transferred();
        assertNull(t.polled());
    }

    @Test
    void polled_drainError_fails() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, SpliceOptions.defaults());
        k.drainErrors.add(Errno.ECONNRESET);
        IOException e = assertThrows(IOException.class, t::polled);
        assertTrue(e.getMessage().contains("ECONNRESET"), e.getMessage());
    }

    @Test
    void pollNanos_openBsd_isNever() throws IOException {
        BsdTransfer t = BsdTransfer.start(new ScriptedKernel(BsdKernel.Flavor.OPENBSD), held, source, drain, LIMIT);
        assertEquals(0, t.pollNanos());
    }

    @Test
    void pollNanos_freeBsdWithoutLimit_backsOffToTheQuietInterval() throws IOException {
        BsdTransfer t = BsdTransfer.start(new ScriptedKernel(BsdKernel.Flavor.FREEBSD), held, source, drain,
                SpliceOptions.defaults());
        long last = 0;
        for (int i = 0; i < 20; i++) {
            last = t.pollNanos();
        }
        assertEquals(BsdTransfer.QUIET_POLL_NANOS, last);
    }

    @Test
    void pollNanos_freeBsdWithLimit_staysWithinTheLimitInterval() throws IOException {
        ScriptedKernel k = new ScriptedKernel(BsdKernel.Flavor.FREEBSD);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, LIMIT);
        for (int i = 0; i < 20; i++) {
            k.count = i;  // bytes trickling in, then not
            t.transferred();
            long next = t.pollNanos();
            assertTrue(next >= BsdTransfer.MIN_POLL_NANOS && next <= BsdTransfer.LIMIT_POLL_NANOS, "poll " + next);
        }
    }

    private SpliceEnd ended(BsdKernel.Flavor flavor, SpliceOptions options, Errno error, long count)
            throws IOException {
        ScriptedKernel k = new ScriptedKernel(flavor);
        BsdTransfer t = BsdTransfer.start(k, held, source, drain, options);
        if (error != null) {
            k.sourceErrors.add(error);
        }
        k.count = count;
        return t.ended();
    }

    private static SocketChannel open() {
        try {
            return SocketChannel.open();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Answers as told; the source is descriptor 3, the drain 4. */
    private final class ScriptedKernel implements BsdKernel {
        final Flavor flavor;
        final List<String> calls = new ArrayList<>();
        final Queue<Errno> sourceErrors = new ArrayDeque<>();
        final Queue<Errno> drainErrors = new ArrayDeque<>();
        Errno unspliceFailure;
        long count;

        ScriptedKernel(Flavor flavor) {
            this.flavor = flavor;
        }

        @Override
        public Flavor flavor() {
            return flavor;
        }

        @Override
        public Throwable probe() {
            return null;
        }

        @Override
        public int fd(SocketChannel channel) {
            return channel == source ? 3 : 4;
        }

        @Override
        public void spliceOn(int s, int d, long max, long idleNanos) {
            calls.add("splice " + s + " -> " + d + " max " + max + " idle " + idleNanos);
        }

        @Override
        public void unsplice(int s) throws IOException {
            calls.add("unsplice " + s);
            if (unspliceFailure != null) {
                throw Errnos.exception("setsockopt(SO_SPLICE)", unspliceFailure);
            }
        }

        @Override
        public long splicedBytes(int s) {
            return count;
        }

        @Override
        public Errno soError(int fd) {
            return fd == 3 ? sourceErrors.poll() : drainErrors.poll();
        }
    }
}
