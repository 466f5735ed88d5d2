package io.github.splice4j.bsd;

import io.github.splice4j.spi.ErrnoException;
import io.github.splice4j.spi.Errors;
import io.github.splice4j.unix.Errnos;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jnr.constants.platform.Errno;

/**
 * A SIMULATED BSD kernel, for machines without one (this project is built and tested on Linux):
 * {@link BsdKernel} with OpenBSD's or FreeBSD's SO_SPLICE semantics, in Java, moving bytes
 * between the real loopback sockets on a thread of its own, as the BSDs' splice task and worker
 * threads do. The bsd backend's own code ({@link BsdTransfer}, the engine) runs unchanged on top;
 * only the system calls are simulated. Passing tests on it say the backend handles these
 * semantics, not that a real kernel behaves so: that takes {@code RealKernelConformanceTest} on
 * a BSD machine.
 *
 * <p>What it models, following the kernels' functions (docs/bsd.md, "How the simulated kernels
 * follow the sources", has the table):
 * <ul>
 *   <li>A spliced socket is not readable: the engine is told "readable" (through
 *       {@link #reportsReadable}, since the JDK's selector sees the Linux socket) only once the
 *       splice ended and an error is set, end of stream reached, or bytes wait.
 *   <li>Bytes waiting when the splice starts move at once; at most {@code sp_max} bytes move;
 *       bytes after that stay in the source; end of stream ends the splice with no error once
 *       everything moved, and is not forwarded.
 *   <li>OpenBSD: the limit sets EFBIG; {@code sp_idle} is re-armed by every {@code somove()} pass
 *       and sets ETIMEDOUT; unsplicing a socket that is not spliced is EPROTO.
 *   <li>FreeBSD: the limit sets no error ({@code so_splice_xfer()} calls {@code so_unsplice()},
 *       which sets no so_error; its {@code sorwakeup()} makes the source readable only when bytes
 *       wait); {@code sp_idle} is one deadline from the splice call ({@code so_splice()} arms it
 *       once, {@code so_splice_timeout()} unsplices) and sets no error; unsplicing a socket that is
 *       not spliced is ENOTCONN ({@code so_unsplice()}: no {@code SB_SPLICED}); a FIN that
       arrives while the drain is full ends the splice with no error and bytes still in the
       source ({@code so_splice_xfer_data()}: nothing can move, {@code SBS_CANTRCVMORE}).
 *   <li>The splice call's checks ({@link #refusal}): EPROTONOSUPPORT, ENOTCONN (also after a
 *       reset), EINVAL, EBUSY; OpenBSD's ELOOP for a socket spliced to its own peer.
 *   <li>A drain whose connection was reset ends the splice as soon as its state shows it, written
 *       to or not ({@link #drainGone}); an OpenBSD source reset stops the splice with the bytes
 *       still in the source; a failed write to a drain shut for output sets EPIPE on the source.
 *       Closing either socket dissolves the splice.
 * </ul>
 *
 * <p>Where it cannot be the kernel: it reads a chunk from the source before writing it, so for a
 * moment bytes are neither in the source nor in the drain; a kernel moves them between buffers at
 * once. To stay faithful it reads a chunk only when the drain is writable (end of stream and
 * errors, which bring no bytes, it reads at once), which for TCP means it
 * takes the chunk whole; should a chunk still be left in flight, an unsplice or end waits for it
 * to be written, giving up after the drain took nothing for {@link #FLUSH_PATIENCE_NANOS} (which
 * a test would see as lost bytes, and the log says so).
 */
final class SimulatedBsdKernel implements BsdKernel {

    private static final System.Logger LOG = System.getLogger(SimulatedBsdKernel.class.getName());
    private static final int CHUNK = 16 * 1024;
    /** How long an end waits for a chunk in flight while the drain accepts nothing. */
    static final long FLUSH_PATIENCE_NANOS = 1_000_000_000L;
    /** How long a caller waits for the simulation thread to take its call. */
    private static final long CALL_TIMEOUT_NANOS = 30_000_000_000L;
    /** How often the thread looks for sockets closed under a running splice. */
    private static final long TICK_MILLIS = 100;
    private static final Pattern ERRNO_NAME = Pattern.compile("\\bE[A-Z0-9]{2,}\\b");

    private final Flavor flavor;
    private final Selector selector;
    private final Map<Integer, Sock> byFd = new HashMap<>();
    private final Map<SocketChannel, Sock> byChannel = new IdentityHashMap<>();
    private final Set<Splice> running = new LinkedHashSet<>();
    private final Queue<Call> calls = new ArrayDeque<>();
    /** Splices that ended and whose source is readable; announced once deregistrations are done. */
    private final List<Splice> readableSoon = new ArrayList<>();
    /** Calls answered; their callers are released once deregistrations are done. */
    private final List<Call> answeredSoon = new ArrayList<>();
    private final List<Sock> registerLater = new ArrayList<>();
    private boolean keysCancelled;
    private int nextFd = 1_000;
    /** Passes of the simulation thread's loop, and SO_ERROR reads of spliced sources: tests see from them that nothing spins. */
    final AtomicLong passes = new AtomicLong();
    final AtomicLong errorReads = new AtomicLong();
    /** FreeBSD splices ended by a FIN while the drain was full, bytes still in the source: tests wait for one. */
    final AtomicLong earlyEnds = new AtomicLong();
    /** Selects the simulation thread began; only that thread uses it. */
    private long selects;

    /** A simulated kernel with {@code flavor}'s semantics; starts its thread (a daemon). */
    SimulatedBsdKernel(Flavor flavor) {
        this.flavor = flavor;
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread t = new Thread(this::run, "simulated-" + flavor.osName().toLowerCase(java.util.Locale.ROOT) + "-kernel");
        t.setDaemon(true);
        t.start();
    }

    /** One socket as the simulated kernel knows it. */
    private static final class Sock {
        final int fd;
        final SocketChannel channel;
        /** so_error. */
        Errno error;
        /** The count getsockopt(SO_SPLICE) reports; kept after the splice ends. */
        long spliced;
        /** The running splice this socket is the source of. */
        Splice out;
        /** The running splice this socket is the drain of. */
        Splice in;
        /** An ended splice whose source turns readable only when bytes arrive. */
        Splice watched;
        /** The latest splice from this socket, for {@link #reportsReadable}. */
        Splice last;
        SelectionKey key;
        /** The backend released a splice of this socket (as source or drain): its descriptor may go. */
        volatile boolean released;

        Sock(int fd, SocketChannel channel) {
            this.fd = fd;
            this.channel = channel;
        }

        boolean idle() {
            return out == null && in == null && watched == null;
        }
    }

    /** One splice, source to drain. */
    private static final class Splice {
        final Sock source;
        final Sock drain;
        final long max;
        final long idleNanos;
        final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        long idleDeadline;
        /** Taken from the source, not yet all written: buffer, flipped. */
        boolean inFlight;
        /** The source has bytes (or its end): the next chunk is read once the drain is writable. */
        boolean awaitingDrain;
        /** {@link #selects} when {@link #awaitingDrain} was set: a later select that left it set found the drain full. */
        long awaitingSince;
        /**
         * Ended by FreeBSD's FIN with the drain full: what is in flight stands for bytes already in
         * the drain's buffer, so it waits for the drain however long (unless a call waits too).
         */
        boolean early;
        /** Ends as soon as nothing is in flight. */
        boolean ending;
        /** The error the end sets on the source; null for none. */
        Errno endError;
        boolean eof;
        /** Ended by unsplice: nobody is told readable. */
        boolean byCall;
        Call waiter;
        /** When the drain last took bytes, or the end began: an end waits this long at most. */
        long lastProgress;
        Runnable readable;
        boolean readableNow;
        /** OpenBSD: the drain is the source's own peer, so moved bytes come straight back. */
        boolean loop;

        Splice(Sock source, Sock drain, long max, long idleNanos) {
            this.source = source;
            this.drain = drain;
            this.max = max;
            this.idleNanos = idleNanos;
        }
    }

    /** A system call handed to the simulation thread; its caller waits for the answer. */
    private abstract static class Call {
        final String name;
        boolean done;
        IOException failure;

        Call(String name) {
            this.name = name;
        }

        /** Runs on the simulation thread; answers now, or keeps the call to answer later. */
        abstract void start();
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
    public synchronized int fd(SocketChannel channel) throws IOException {
        if (!channel.isOpen()) {
            throw new IOException("fd(..) failed with error EBADF: channel closed");
        }
        // forget sockets closed since, once the backend let go of them: until then the engine
        // keeps a closed channel's descriptor open (its pin), so the real kernel still answers on it
        for (Iterator<Sock> it = byChannel.values().iterator(); it.hasNext();) {
            Sock s = it.next();
            if (!s.channel.isOpen() && s.idle() && s.key == null && s.released) {
                it.remove();
                byFd.remove(s.fd);
            }
        }
        Sock s = byChannel.get(channel);
        if (s == null) {
            s = new Sock(nextFd++, channel);
            byChannel.put(channel, s);
            byFd.put(s.fd, s);
        }
        return s.fd;
    }

    @Override
    public void spliceOn(int source, int drain, long max, long idleNanos) throws IOException {
        call(new Call("setsockopt(SO_SPLICE)") {
            @Override
            void start() {
                Sock s = byFd.get(source);
                Sock d = byFd.get(drain);
                Errno refused = s == null || d == null || !s.channel.isOpen() || !d.channel.isOpen()
                        ? Errno.EBADF : refusal(s, d, max);
                if (refused != null) {
                    answer(this, refused);
                } else {
                    Splice sp = new Splice(s, d, max, idleNanos);
                    sp.loop = flavor == Flavor.OPENBSD && isPeerOf(d, s);
                    s.watched = null;
                    s.out = sp;
                    d.in = sp;
                    s.last = sp;
                    s.spliced = 0;
                    if (idleNanos > 0) {
                        sp.idleDeadline = System.nanoTime() + idleNanos;
                    }
                    running.add(sp);
                    // bytes already waiting move at once: the kernels move them inside the call
                    // (OpenBSD sosplice() -> somove(), FreeBSD so_splice() -> so_splice_xfer()),
                    // this simulation right after it returns
                    awaitDrain(sp);
                    updateInterest(s);
                    updateInterest(d);
                    answer(this, null);
                }
            }
        });
    }

    /**
     * The checks of the splice call; null if it may go ahead. OpenBSD {@code sosplice()} and
     * FreeBSD {@code so_splice()}: TCP only (EPROTONOSUPPORT, a UNIX-domain socket included), a
     * source that is not connected (ENOTCONN, also after a reset, which the JDK's
     * {@code isConnected()} does not show), a negative limit (EINVAL), a source already spliced or
     * a drain already a drain (EBUSY), a drain that is not connected (ENOTCONN).
     * A listening socket (OpenBSD EOPNOTSUPP, FreeBSD EINVAL) never gets here: the backend splices
     * {@code SocketChannel}s only.
     * The order is not FreeBSD {@code so_splice()}'s, which tests a negative limit first, zeroes
     * the count right after the protocol check, then tests the source (ENOTCONN, EBUSY) and only
     * then the drain (ENOTCONN, EBUSY): it differs only when two checks fail at once, or (the
     * count) for a source refused ENOTCONN.
     */
    private Errno refusal(Sock s, Sock d, long max) {
        if (!isTcp(s) || !isTcp(d)) {
            return Errno.EPROTONOSUPPORT;
        }
        if (!s.channel.isConnected() || resetHoldsError(s)) {
            return Errno.ENOTCONN;
        }
        if (max < 0) {
            return Errno.EINVAL;
        }
        if (flavor == Flavor.FREEBSD) {
            s.spliced = 0;  // FreeBSD so_splice() zeroes so_splice_sent before its socket-state checks
        }
        if (s.out != null || d.in != null) {
            return Errno.EBUSY;
        }
        if (!d.channel.isConnected() || resetHoldsError(d)) {
            return Errno.ENOTCONN;
        }
        return null;
    }

    /**
     * Whether {@code s} was reset; if so, its so_error is ECONNRESET (the kernel set it when the
     * reset arrived, tcp_drop(), and it stays until read) and it is no longer SS_ISCONNECTED.
     */
    private static boolean resetHoldsError(Sock s) {
        if (!LinuxTcpState.isReset(s.channel)) {
            return false;
        }
        if (s.error == null) {
            s.error = Errno.ECONNRESET;
        }
        return true;
    }

    private static boolean isTcp(Sock s) {
        try {
            return s.channel.getLocalAddress() instanceof java.net.InetSocketAddress;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code d} is the other end of {@code s}'s own connection: spliced, bytes would go round. */
    private static boolean isPeerOf(Sock d, Sock s) {
        try {
            return d.channel.getRemoteAddress().equals(s.channel.getLocalAddress())
                    && d.channel.getLocalAddress().equals(s.channel.getRemoteAddress());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void unsplice(int source) throws IOException {
        call(new Call("setsockopt(SO_SPLICE)") {
            @Override
            void start() {
                Sock s = byFd.get(source);
                if (s == null) {
                    answer(this, Errno.EBADF);
                } else if (s.out != null) {
                    Splice sp = s.out;
                    sp.byCall = true;
                    sp.waiter = this;
                    end(sp, null);
                } else {
                    if (s.watched != null) {
                        s.watched = null;
                        updateInterest(s);
                    }
                    // FreeBSD so_unsplice(): ENOTCONN when SB_SPLICED is not set; OpenBSD: EPROTO
                    answer(this, flavor == Flavor.OPENBSD ? Errno.EPROTO : Errno.ENOTCONN);
                }
            }
        });
    }

    /**
     * The backend is done with this splice; if it still runs, its source was closed under it (a
     * real kernel dissolves it on close): end it now, so that no key of ours is left on the
     * channels when the engine hands them back.
     */
    @Override
    public void release(int source) {
        try {
            call(new Call("release") {
                @Override
                void start() {
                    Sock s = byFd.get(source);
                    if (s != null) {
                        s.released = true;
                        if (s.last != null) {
                            s.last.drain.released = true;
                        }
                    }
                    if (s != null && s.watched != null) {
                        s.watched = null;
                        updateInterest(s);
                    }
                    if (s != null && s.out != null) {
                        Splice sp = s.out;
                        sp.byCall = true;
                        sp.waiter = this;
                        end(sp, null);
                    } else {
                        answer(this, null);
                    }
                }
            });
        } catch (IOException e) {
            LOG.log(Level.WARNING, "simulated kernel: release failed", e);
        }
    }

    /** For tests: whether {@code source} is the source of a running splice. */
    synchronized boolean isSpliced(int source) throws IOException {
        return sock(source).out != null;
    }

    @Override
    public synchronized long splicedBytes(int source) throws IOException {
        return sock(source).spliced;
    }

    @Override
    public synchronized Errno soError(int fd) throws IOException {
        Sock s = sock(fd);
        if (s.out != null) {
            errorReads.incrementAndGet();  // asked while spliced: the engine thought the source readable
        }
        Errno e = s.error;
        s.error = null;
        return e;
    }

    @Override
    public boolean reportsReadable(int source, Runnable readable) {
        boolean now;
        synchronized (this) {
            Sock s = byFd.get(source);
            if (s == null || s.last == null) {
                return false;
            }
            s.last.readable = readable;
            now = s.last.readableNow;
        }
        if (now) {
            readable.run();
        }
        return true;
    }

    private Sock sock(int fd) throws ErrnoException {
        Sock s = byFd.get(fd);
        if (s == null) {
            throw Errnos.exception("getsockopt [simulated]", Errno.EBADF);
        }
        return s;
    }

    // ---- the caller's side of a call ----

    private synchronized void call(Call c) throws IOException {
        calls.add(c);
        selector.wakeup();
        long deadline = System.nanoTime() + CALL_TIMEOUT_NANOS;
        while (!c.done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException(c.name + " failed with error ETIMEDOUT: the simulated kernel did not answer");
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(c.name + " failed with error EINTR: interrupted", e);
            }
        }
        if (c.failure != null) {
            throw c.failure;
        }
    }

    /** Answers {@code c} (on the simulation thread) with success, or with {@code errno}. */
    private void answer(Call c, Errno errno) {
        if (errno != null) {
            c.failure = Errnos.exception(c.name + " [simulated " + flavor.osName() + "]", errno);
        }
        answeredSoon.add(c);
    }

    // ---- the simulation thread ----

    private void run() {
        while (true) {
            try {
                selects++;
                selector.select(this::onKey, timeoutMillis());
                passes.incrementAndGet();
                List<Runnable> announce = new ArrayList<>();
                synchronized (this) {
                    flushDeregistrations();
                    Call c;
                    while ((c = calls.poll()) != null) {
                        try {
                            c.start();
                        } catch (RuntimeException e) {
                            LOG.log(Level.ERROR, "simulated kernel: " + c.name + " failed", e);
                            answer(c, Errno.EIO);
                        }
                    }
                    expire(System.nanoTime());
                    flushDeregistrations();
                    for (Call a : answeredSoon) {
                        a.done = true;
                    }
                    answeredSoon.clear();
                    for (Splice sp : readableSoon) {
                        sp.readableNow = true;
                        if (sp.readable != null) {
                            announce.add(sp.readable);
                        }
                    }
                    readableSoon.clear();
                    notifyAll();
                }
                announce.forEach(Runnable::run);
            } catch (Throwable t) {
                // a bug here must not stop the kernel: every splice would hang
                LOG.log(Level.ERROR, "simulated kernel: unexpected error", t);
            }
        }
    }

    private synchronized long timeoutMillis() {
        if (!calls.isEmpty()) {
            return 1;
        }
        long now = System.nanoTime();
        long until = Long.MAX_VALUE;
        for (Splice sp : running) {
            if (sp.idleNanos > 0) {
                until = Math.min(until, sp.idleDeadline - now);
            }
            if (sp.ending && sp.inFlight) {
                until = Math.min(until, sp.lastProgress + FLUSH_PATIENCE_NANOS - now);
            }
        }
        if (until == Long.MAX_VALUE) {
            return running.isEmpty() ? 0 : TICK_MILLIS;
        }
        return Math.max(1, Math.min(TICK_MILLIS, (until + 999_999) / 1_000_000));
    }

    private void onKey(SelectionKey key) {
        synchronized (this) {
            if (!key.isValid()) {
                return;
            }
            Sock s = (Sock) key.attachment();
            int ready = key.readyOps();
            if ((ready & SelectionKey.OP_WRITE) != 0 && s.in != null) {
                s.in.awaitingDrain = false;
                move(s.in, CHUNK);
            }
            if ((ready & SelectionKey.OP_READ) != 0) {
                if (s.out != null && !s.out.inFlight && !s.out.ending && available(s.channel) == 0) {
                    // readable with no bytes: end of stream or an error, which ends the splice now
                    move(s.out, 1);
                } else if (s.out != null) {
                    restartIdle(s.out);  // OpenBSD: sorwakeup() runs a somove() pass, which re-arms the timer
                    awaitDrain(s.out);  // move once the drain can take a chunk whole
                    updateInterest(s);
                    updateInterest(s.out.drain);
                } else if (s.watched != null) {
                    // bytes (or end of stream) arrived at a socket whose splice ended without an error
                    Splice sp = s.watched;
                    s.watched = null;
                    updateInterest(s);
                    readableSoon.add(sp);
                }
            }
        }
    }

    /**
     * Moves one chunk when the drain is writable: what is in flight, else what the source has, at
     * most {@code chunk} bytes and never past the limit (or, with {@code chunk} 1, reads the end of
     * stream or error of a source readable with nothing waiting). A writable TCP socket takes such a
     * chunk whole, so bytes are almost never left in flight, as in the kernel, which moves only
     * what the drain has room for (OpenBSD somove(), FreeBSD so_splice_xfer_data()).
     */
    private void move(Splice sp, int chunk) {
        if (!running.contains(sp)) {
            return;
        }
        if (sp.loop && !sp.inFlight && !sp.ending && available(sp.source.channel) > 0) {
            // OpenBSD somove(): the bytes would go round through loopback until their mbuf's loop
            // counter reaches M_MAXLOOP, then ELOOP on the source; here at once, bytes left in it
            fail(sp, Errno.ELOOP);
            return;
        }
        if (!sp.inFlight && !sp.ending) {
            long room = sp.max > 0 ? sp.max - sp.source.spliced : chunk;
            sp.buffer.clear().limit((int) Math.min(chunk, room));
            int r;
            try {
                r = sp.source.channel.read(sp.buffer);
            } catch (IOException e) {
                fail(sp, errnoOf(e));
                return;
            }
            if (r < 0) {
                // end of stream with nothing left: OpenBSD somove() unsplices at SS_CANTRCVMORE;
                // FreeBSD so_splice_xfer_data() returns EPIPE, but only on the next wakeup after
                // the pass that moved the last bytes (so_splice_xfer() does not recheck): here at once
                sp.eof = true;
                end(sp, null);
                return;
            }
            sp.buffer.flip();
            sp.inFlight = r > 0;
        }
        if (sp.inFlight) {
            int w;
            try {
                w = sp.drain.channel.write(sp.buffer);
            } catch (IOException e) {
                sp.inFlight = false;  // lost with the drain, as in the kernel
                if (LinuxTcpState.isReset(sp.drain.channel)) {
                    drainGone(sp);
                } else {
                    // a drain shut for output is EPIPE in both kernels, as in the engine's naming
                    fail(sp, errnoOf(Errors.writeFailed(sp.drain.channel, e)));
                }
                return;
            }
            if (w > 0) {
                sp.source.spliced += w;
                sp.lastProgress = System.nanoTime();
            }
            sp.inFlight = sp.buffer.hasRemaining();
        }
        if (!sp.inFlight) {
            if (sp.ending) {
                finish(sp);
                return;
            }
            if (sp.max > 0 && sp.source.spliced >= sp.max) {
                end(sp, flavor.signalsMax() ? Errno.EFBIG : null);
                return;
            }
        }
        restartIdle(sp);
        updateInterest(sp.source);
        updateInterest(sp.drain);
    }

    /** The source has bytes or its end: the next chunk moves once the drain is writable. */
    private void awaitDrain(Splice sp) {
        sp.awaitingDrain = true;
        sp.awaitingSince = selects;
    }

    /**
     * Whether the drain of {@code sp} has no room: a write to it left bytes in flight, or a select
     * since bytes waited did not find it writable. (Linux stops calling a socket writable a little
     * before its send buffer is full, so this takes a drain for full a little early.)
     */
    private boolean drainFull(Splice sp) {
        return sp.inFlight || (sp.awaitingDrain && selects > sp.awaitingSince);
    }

    /** For tests: whether the splice of {@code source} runs and waits for room in its drain. */
    synchronized boolean waitsOnFullDrain(int source) throws IOException {
        Splice sp = sock(source).out;
        return sp != null && !sp.ending && drainFull(sp);
    }

    /**
     * OpenBSD somove(): every pass that does not end the splice re-arms the idle timer, also one
     * that moved nothing (the drain full); FreeBSD's sp_idle is one deadline from the splice call
     * (so_splice() arms its timeout task once and nothing re-arms it; so_splice_timeout() calls
     * so_unsplice(), which sets no error).
     */
    private void restartIdle(Splice sp) {
        if (sp.idleNanos > 0 && flavor.restartsIdle() && !sp.ending) {
            sp.idleDeadline = System.nanoTime() + sp.idleNanos;
        }
    }

    /**
     * The drain's connection is gone (reset): it can send no more, and its own so_error is
     * ECONNRESET, which stays there.
     * OpenBSD somove(): SS_CANTSENDMORE on the drain sets EPIPE on the source and unsplices, which
     * wakes the source (sounsplice() -> sorwakeup()); the bytes stay in the source.
     * FreeBSD: the reset's soisdisconnected() sets SBS_CANTSENDMORE on the drain, and its wakeup
     * (sowwakeup_locked() -> splice_pull() -> so_splice_dispatch()) runs so_splice_xfer(), where
     * so_splice_xfer_data() returns EPIPE, an error it sets nowhere, and so_unsplice() dissolves the
     * splice: the source's SO_ERROR stays 0 and it turns readable only when bytes arrive, as after
     * FreeBSD's limit; the drain keeps ECONNRESET (sosend_generic_locked() tests SBS_CANTSENDMORE
     * before so_error). Not modelled: FreeBSD takes bytes waiting in the source, up to the drain's
     * emptied send buffer, and drops them with the failed send; here they stay in the source.
     */
    private void drainGone(Splice sp) {
        if (sp.drain.error == null) {
            sp.drain.error = Errno.ECONNRESET;
        }
        if (flavor == Flavor.OPENBSD) {
            fail(sp, Errno.EPIPE);
        } else {
            sp.ending = true;
            sp.inFlight = false;
            finish(sp);
        }
    }

    /** The splice ends as soon as nothing is in flight; with {@code error} set on the source. */
    private void end(Splice sp, Errno error) {
        if (!sp.ending) {
            sp.ending = true;
            sp.lastProgress = System.nanoTime();
        }
        if (error != null && sp.endError == null) {
            sp.endError = error;
        }
        if (!sp.inFlight) {
            finish(sp);
        } else {
            updateInterest(sp.source);
            updateInterest(sp.drain);
        }
    }

    /** A read or write failed: ends at once, with that error on the source. */
    private void fail(Splice sp, Errno error) {
        sp.ending = true;
        sp.endError = error;
        finish(sp);
    }

    private void finish(Splice sp) {
        if (!running.remove(sp)) {
            return;
        }
        Sock src = sp.source;
        src.out = null;
        sp.drain.in = null;
        if (sp.inFlight) {
            LOG.log(Level.WARNING, "simulated kernel: dropping " + sp.buffer.remaining()
                    + " bytes in flight; the drain took nothing for " + FLUSH_PATIENCE_NANOS / 1_000_000 + " ms");
            sp.inFlight = false;
        }
        if (sp.endError != null) {
            src.error = sp.endError;
        }
        if (!sp.byCall) {
            if (sp.endError != null || sp.eof) {
                readableSoon.add(sp);
            } else {
                // readable once bytes wait (FreeBSD's limit and idle end: so_unsplice() sets no error)
                src.watched = sp;
            }
        }
        if (sp.waiter != null) {
            answer(sp.waiter, null);
        }
        updateInterest(src);
        updateInterest(sp.drain);
    }

    /** Idle timeouts, ends waiting too long on a stalled drain, and sockets closed under a splice. */
    private void expire(long now) {
        for (Splice sp : new ArrayList<>(running)) {
            if (!sp.ending && sp.source.channel.isOpen() && sp.drain.channel.isOpen()) {
                if (flavor == Flavor.OPENBSD && LinuxTcpState.isReset(sp.source.channel)) {
                    // OpenBSD somove(): so_error is checked first; the bytes still waiting stay in
                    // the source. (FreeBSD moves them first: soreceive_stream_locked() delivers
                    // them despite so_error, as Linux's read() does, and so_splice_xfer_data() then
                    // ends with EPIPE, leaving ECONNRESET in so_error. Not modelled: with the drain
                    // full at the reset's wakeup FreeBSD ends at once, the bytes left in the source.)
                    fail(sp, Errno.ECONNRESET);
                    continue;
                }
                if (LinuxTcpState.isReset(sp.drain.channel)) {
                    // both kernels are woken by the drain's state, not by a write: OpenBSD
                    // sowwakeup() -> somove(), FreeBSD sowwakeup_locked() -> splice_pull()
                    drainGone(sp);
                    continue;
                }
                if (flavor == Flavor.FREEBSD && drainFull(sp) && LinuxTcpState.finReceived(sp.source.channel)) {
                    // FreeBSD: the FIN's wakeup (sorwakeup_locked() -> splice_push()) runs
                    // so_splice_xfer(); so_splice_xfer_data() moves min(max, sbspace(drain),
                    // sbavail(source)) bytes, which is 0 with the drain full, and a 0 with
                    // SBS_CANTRCVMORE is EPIPE, set nowhere; so_unsplice() dissolves the splice
                    // and wakes the source (sorwakeup()): SO_ERROR 0, bytes still in it. (OpenBSD's
                    // somove() unsplices at SS_CANTRCVMORE only once the source is empty.) Here on
                    // the next pass after the FIN arrived, not inside its wakeup.
                    sp.early = true;
                    earlyEnds.incrementAndGet();
                    end(sp, null);
                    continue;
                }
            }
            if (!sp.source.channel.isOpen() || !sp.drain.channel.isOpen()) {
                sp.inFlight = false;
                sp.byCall = !sp.source.channel.isOpen();
                // closing a socket dissolves its splice: OpenBSD soclose() -> sounsplice();
                // FreeBSD soclose() does not unsplice, but the disconnect's wakeups (splice_push(),
                // splice_pull()) run so_splice_xfer(), which ends with EPIPE and so_unsplice()
                end(sp, null);
            } else if (sp.ending && sp.inFlight && (!sp.early || sp.waiter != null)
                    && now - sp.lastProgress >= FLUSH_PATIENCE_NANOS) {
                finish(sp);
            } else if (!sp.ending && sp.idleNanos > 0 && now - sp.idleDeadline >= 0) {
                end(sp, flavor.restartsIdle() ? Errno.ETIMEDOUT : null);
            }
        }
    }

    /** Registers, changes or cancels the key of {@code s} for what its splices wait for. */
    private void updateInterest(Sock s) {
        int ops = 0;
        if (s.out != null && !s.out.inFlight && !s.out.ending && !s.out.awaitingDrain) {
            ops |= SelectionKey.OP_READ;
        }
        if (s.watched != null) {
            ops |= SelectionKey.OP_READ;
        }
        if (s.in != null && (s.in.inFlight || s.in.awaitingDrain)) {
            ops |= SelectionKey.OP_WRITE;
        }
        try {
            if (s.idle() || !s.channel.isOpen()) {
                if (s.key != null) {
                    s.key.cancel();
                    s.key = null;
                    keysCancelled = true;
                }
            } else if (s.key == null || !s.key.isValid()) {
                s.key = s.channel.register(selector, ops, s);
            } else if (s.key.interestOps() != ops) {
                s.key.interestOps(ops);
            }
        } catch (CancelledKeyException e) {
            // its old key is cancelled but not yet dropped by the selector: register after the next flush
            registerLater.add(s);
            keysCancelled = true;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, "simulated kernel: cannot watch " + s.channel, e);
        }
    }

    /**
     * Lets the selector drop cancelled keys now, so that no channel handed back is still
     * registered here (a channel registered anywhere cannot go back to blocking mode).
     */
    private void flushDeregistrations() throws IOException {
        while (keysCancelled) {
            keysCancelled = false;
            selector.selectNow(this::onKey);
            List<Sock> again = new ArrayList<>(registerLater);
            registerLater.clear();
            again.forEach(this::updateInterest);
        }
    }

    /** Bytes waiting in {@code channel} (FIONREAD), or -1 if that cannot be told. */
    private static int available(SocketChannel channel) {
        try {
            return channel.socket().getInputStream().available();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The errno an I/O failure stands for, by the name the engine's message mapping finds. */
    static Errno errnoOf(IOException e) {
        Matcher m = ERRNO_NAME.matcher(String.valueOf(Errors.named("io", e).getMessage()));
        if (m.find()) {
            try {
                return Errno.valueOf(m.group());
            } catch (IllegalArgumentException unknownName) {
                // fall through
            }
        }
        return Errno.EIO;
    }
}
