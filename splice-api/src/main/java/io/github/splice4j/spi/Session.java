package io.github.splice4j.spi;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.IllegalBlockingModeException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One splice: two channels and one or two {@link Flow}s, all owned by one {@link EventLoop}.
 * Public methods are thread-safe; everything else runs on the loop.
 */
final class Session implements SpliceHandle {

    private static final int RUNNING = 0;
    private static final int UNSPLICING = 1;
    private static final int CLOSING = 2;

    final Backend backend;
    final EventLoop loop;
    final SocketChannel a;
    final SocketChannel b;
    final SpliceOptions options;
    final Flow forward;
    final Flow reverse;
    private final CompletableFuture<SpliceResult> done = new CompletableFuture<>();
    private final AtomicInteger stop = new AtomicInteger(RUNNING);
    private boolean aWasBlocking;
    private boolean bWasBlocking;
    private SelectionKey ka;
    private SelectionKey kb;
    private boolean registered;
    private boolean finishing;

    Session(Backend backend, EventLoop loop, SocketChannel a, SocketChannel b, boolean bidirectional,
            SpliceOptions options) {
        this.backend = backend;
        this.loop = loop;
        this.a = a;
        this.b = b;
        this.options = options;
        this.forward = new Flow(this, Direction.FORWARD, a, b);
        this.reverse = bidirectional ? new Flow(this, Direction.REVERSE, b, a) : null;
    }

    /** On the caller's thread: switches both channels to non-blocking, undoing it on failure. */
    void takeOver() throws IOException {
        aWasBlocking = a.isBlocking();
        bWasBlocking = b.isBlocking();
        a.configureBlocking(false);
        try {
            b.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            if (aWasBlocking) {
                a.configureBlocking(true);
            }
            throw e;
        }
    }

    /** On the loop: registers the channels, sets up each direction and moves what is waiting. */
    void register() {
        loop.add(this);
        try {
            ka = a.register(loop.selector, 0, this);
            kb = b.register(loop.selector, 0, this);
            registered = true;
            forward.open();
            if (reverse != null) {
                reverse.open();
            }
        } catch (IOException | RuntimeException e) {
            IOException io = e instanceof IOException ? (IOException) e : new IOException(e.toString(), e);
            failAll(Errors.named("register", io));
            return;
        }
        forward.pump();
        if (reverse != null) {
            reverse.pump();
        }
        if (stop.get() != RUNNING) {
            stopOnLoop();
        }
        updateInterest();
    }

    /** On the loop: a key of this session is ready. */
    void onReady(SelectionKey key) {
        if (finishing) {
            return;
        }
        if (!checkOpen()) {
            return;
        }
        int ready = key.readyOps();
        if (key == ka) {
            if ((ready & SelectionKey.OP_READ) != 0) {
                forward.onReadable();
            }
            if ((ready & SelectionKey.OP_WRITE) != 0 && reverse != null) {
                reverse.pump();
            }
        } else {
            if ((ready & SelectionKey.OP_WRITE) != 0) {
                forward.pump();
            }
            if ((ready & SelectionKey.OP_READ) != 0 && reverse != null) {
                reverse.onReadable();
            }
        }
        updateInterest();
    }

    /**
     * On the loop: whether both channels are still open. The application may close one at any
     * time, which cancels its key without waking the selector; the loop calls this before
     * touching the channels and on a periodic sweep.
     */
    boolean checkOpen() {
        if (finishing || !registered) {
            return !finishing;
        }
        if (ka.isValid() && kb.isValid()) {
            return true;
        }
        String which = !ka.isValid() ? (reverse == null ? "source" : "a") : (reverse == null ? "drain" : "b");
        failAll(new IOException("splice ended: channel " + which
                + " was closed by the application (EBADF)"));
        return false;
    }

    /** On the loop: asks each running direction whether its drain died unseen (Flow#checkDrain). */
    void checkDrains() {
        if (finishing || !registered || !checkOpen()) {
            return;
        }
        forward.checkDrain();
        if (reverse != null) {
            reverse.checkDrain();
        }
        updateInterest();
    }

    /** On the loop: an unexpected exception from a backend; ends the splice rather than the loop. */
    void crash(Throwable t) {
        Backends.LOG.log(Level.ERROR, "splice4j: backend " + backend.name() + " failed unexpectedly", t);
        failAll(new IOException("splice4j backend " + backend.name() + " failed: " + t, t));
    }

    private void failAll(IOException e) {
        forward.fail(e, false);
        if (reverse != null) {
            reverse.fail(e, false);
        }
    }

    /** The flow going the other way, or null. */
    Flow other(Flow f) {
        return f == forward ? reverse : forward;
    }

    void updateInterest() {
        if (finishing || !registered) {
            return;
        }
        int ia = (forward.wantRead ? SelectionKey.OP_READ : 0)
                | (reverse != null && reverse.wantWrite ? SelectionKey.OP_WRITE : 0);
        int ib = (forward.wantWrite ? SelectionKey.OP_WRITE : 0)
                | (reverse != null && reverse.wantRead ? SelectionKey.OP_READ : 0);
        try {
            if (ka.isValid() && ka.interestOps() != ia) {
                ka.interestOps(ia);
            }
            if (kb.isValid() && kb.interestOps() != ib) {
                kb.interestOps(ib);
            }
        } catch (CancelledKeyException e) {
            // the application closed a channel just now, on another thread: the splice ends with ERROR
            checkOpen();
        }
    }

    /** On the loop, from a flow that ended. */
    void flowEnded() {
        if (!finishing && forward.end != null && (reverse == null || reverse.end != null)) {
            finishing = true;
            loop.finishing(this);
        }
    }

    void cancelKeys() {
        if (ka != null) {
            ka.cancel();
        }
        if (kb != null) {
            kb.cancel();
        }
    }

    /** On the loop, after the keys were deregistered: gives the channels back and completes. */
    void handBack() {
        loop.remove(this);
        if (stop.get() == CLOSING) {
            closeQuietly(a);
            closeQuietly(b);
        } else {
            restore(a, aWasBlocking);
            restore(b, bWasBlocking);
        }
        SpliceEngine.release(a, this);
        SpliceEngine.release(b, this);
        done.complete(result());
    }

    private static void restore(SocketChannel c, boolean blocking) {
        if (blocking && c.isOpen()) {
            try {
                c.configureBlocking(true);
            } catch (IOException | IllegalBlockingModeException e) {
                // closed meanwhile, or registered elsewhere by the application: leave it as it is
                Backends.LOG.log(Level.DEBUG, "splice4j: could not restore blocking mode of " + c, e);
            }
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            Backends.LOG.log(Level.DEBUG, "splice4j: close failed for " + c, e);
        }
    }

    private SpliceResult result() {
        Map<Direction, SpliceEnd> ends = new EnumMap<>(Direction.class);
        Map<Direction, Long> bytes = new EnumMap<>(Direction.class);
        Map<Direction, IOException> errors = new EnumMap<>(Direction.class);
        Map<Direction, ByteBuffer> undelivered = new EnumMap<>(Direction.class);
        for (Flow f : reverse == null ? new Flow[] {forward} : new Flow[] {forward, reverse}) {
            ends.put(f.direction, f.end);
            bytes.put(f.direction, f.delivered);
            if (f.error != null) {
                errors.put(f.direction, f.error);
            }
            if (f.undelivered != null) {
                undelivered.put(f.direction, f.undelivered);
            }
        }
        return SpliceResult.of(ends, bytes, errors, undelivered);
    }

    /** On the loop: ends every running direction as UNSPLICED, or as the close asks. */
    private void stopOnLoop() {
        if (finishing || !registered) {
            return;
        }
        boolean closing = stop.get() == CLOSING;
        forward.unsplice(closing);
        if (reverse != null) {
            reverse.unsplice(closing);
        }
        updateInterest();
    }

    // ---- SpliceHandle ----

    @Override
    public String backend() {
        return backend.name();
    }

    @Override
    public Set<Direction> directions() {
        return reverse == null ? EnumSet.of(Direction.FORWARD) : EnumSet.allOf(Direction.class);
    }

    @Override
    public long bytesSpliced() {
        return bytesSpliced(Direction.FORWARD) + (reverse == null ? 0 : bytesSpliced(Direction.REVERSE));
    }

    @Override
    public long bytesSpliced(Direction direction) {
        Flow f = flow(direction);
        if (f.isKernel() && !done.isDone()) {
            refreshKernelCounts();
        }
        return f.delivered;
    }

    private void refreshKernelCounts() {
        if (loop.inLoop()) {
            forward.refresh();
            if (reverse != null) {
                reverse.refresh();
            }
        } else if (!SpliceEngine.isLoopThread()) {
            CompletableFuture<Void> refreshed = new CompletableFuture<>();
            loop.execute(() -> {
                forward.refresh();
                if (reverse != null) {
                    reverse.refresh();
                }
                refreshed.complete(null);
            });
            try {
                refreshed.get(1, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the last count the loop saw is still a true lower bound
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private Flow flow(Direction direction) {
        if (direction == Direction.FORWARD) {
            return forward;
        }
        if (direction == Direction.REVERSE && reverse != null) {
            return reverse;
        }
        if (direction == null) {
            throw new NullPointerException("direction");
        }
        throw new IllegalArgumentException("a unidirectional splice has no " + direction + " direction");
    }

    @Override
    public CompletableFuture<SpliceResult> completion() {
        return done.copy();
    }

    @Override
    public boolean isDone() {
        return done.isDone();
    }

    @Override
    public void unsplice() {
        if (!done.isDone() && stop.compareAndSet(RUNNING, UNSPLICING)) {
            loop.execute(this::stopOnLoop);
        }
    }

    @Override
    public void close() {
        if (done.isDone()) {
            return;  // CONTRACT 3.9: no effect after completion; the channels are the application's again
        }
        if (stop.getAndSet(CLOSING) != CLOSING) {
            loop.execute(this::stopOnLoop);
        }
        // The loop closes the channels when it hands back a CLOSING splice, but the splice may
        // complete just before it sees the request; closing here too keeps the promise either way.
        CompletableFuture<Void> closed = done.thenRun(() -> {
            closeQuietly(a);
            closeQuietly(b);
        });
        if (!SpliceEngine.isLoopThread()) {
            closed.join();
        }
    }

    @Override
    public String toString() {
        return "SpliceHandle{" + backend.name() + ", " + (reverse == null ? a + " -> " + b : a + " <-> " + b)
                + (done.isDone() ? ", " + done.join() : ", running") + '}';
    }
}
