package io.github.splice4j;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine every backend shares: a fixed set of event-loop threads, each with its own
 * {@link java.nio.channels.Selector}, serving any number of splices. Both channels of a splice
 * belong to one loop for the splice's whole life, so all of its state (byte counts, limits, idle
 * timers, ends) is touched by one thread, and a backend's raw-descriptor system calls happen only
 * on the thread whose selector holds the channels' registrations: a channel the application
 * closes keeps its descriptor until that thread deregisters it, so no call can reach a reused
 * descriptor number.
 *
 * <p>The number of loops is {@code splice4j.threads} (default: available processors), started
 * on the first splice, daemon threads named {@code splice4j-loop-N}.
 */
final class SpliceEngine {

    private static final ConcurrentHashMap<SocketChannel, Session> SPLICED = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static volatile EventLoop[] loops;

    private SpliceEngine() {
    }

    /** Validates, claims both channels, makes them non-blocking and hands the splice to a loop. */
    static SpliceHandle start(Backend backend, SocketChannel a, SocketChannel b, boolean bidirectional,
            SpliceOptions options) throws IOException {
        String an = bidirectional ? "a" : "source";
        String bn = bidirectional ? "b" : "drain";
        Objects.requireNonNull(a, an);
        Objects.requireNonNull(b, bn);
        Objects.requireNonNull(options, "options");
        if (a == b) {
            throw new IllegalArgumentException(an + " and " + bn + " must be different channels: " + a);
        }
        checkUsable(a);
        checkUsable(b);
        backend.checkAvailable();
        EventLoop loop = nextLoop();
        Session session = new Session(backend, loop, a, b, bidirectional, options);
        claim(a, session, an);
        try {
            claim(b, session, bn);
        } catch (IllegalStateException e) {
            SPLICED.remove(a, session);
            throw e;
        }
        try {
            session.takeOver();
        } catch (IOException | RuntimeException e) {
            SPLICED.remove(a, session);
            SPLICED.remove(b, session);
            throw e;
        }
        session.started();
        loop.execute(session::register);
        return session;
    }

    /** Whether the calling thread is one of the engine's event-loop threads. */
    static boolean isLoopThread() {
        return Thread.currentThread() instanceof EventLoop.LoopThread;
    }

    /** {@code t} itself if it is an IOException, else an IOException wrapping it. */
    static IOException asIOException(Throwable t) {
        return t instanceof IOException ? (IOException) t : new IOException(t.toString(), t);
    }

    static void release(SocketChannel channel, Session session) {
        SPLICED.remove(channel, session);
    }

    private static void checkUsable(SocketChannel c) throws ClosedChannelException {
        if (!c.isOpen()) {
            throw new ClosedChannelException();
        }
        if (!c.isConnected()) {
            throw new NotYetConnectedException();
        }
    }

    private static void claim(SocketChannel c, Session session, String name) {
        Session other = SPLICED.putIfAbsent(c, session);
        if (other != null) {
            throw new IllegalStateException("already spliced: " + name + " " + c + " takes part in a running splice");
        }
    }

    private static EventLoop nextLoop() throws IOException {
        EventLoop[] l = loops();
        return l[Math.floorMod(NEXT.getAndIncrement(), l.length)];
    }

    private static EventLoop[] loops() throws IOException {
        EventLoop[] l = loops;
        if (l == null) {
            synchronized (SpliceEngine.class) {
                l = loops;
                if (l == null) {
                    EngineProperties properties = EngineProperties.read();
                    try {
                        l = EventLoop.start(properties);
                    } catch (IOException e) {
                        // nothing was left running: a later splice tries again
                        throw new IOException("splice4j: cannot start the event loops: " + e.getMessage(), e);
                    }
                    loops = l;
                }
            }
        }
        return l;
    }
}
