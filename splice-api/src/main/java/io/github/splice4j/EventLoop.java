package io.github.splice4j;

import io.github.splice4j.spi.Errors;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One selector and the thread that runs it. Everything here but {@link #execute} is confined to
 * that thread.
 *
 * <p><b>Selects and descriptors.</b> A channel the application closes keeps its descriptor while
 * any selector still holds a key of it; keys are dropped only inside a select. Every spliced
 * channel also has a key in {@link #pins}, which is selected only when the splice hands the
 * channel back, so its descriptor is its socket for the splice's whole life. {@link #epoch()}
 * counts the selects of the main selector, so that {@link Session#enter()} can tell whether a
 * check of the channels was made in this iteration: see docs/spec.md, "No stray bytes".
 *
 * <p><b>Cost of idle splices.</b> Nothing here walks every splice on a timer. Timers are kept in
 * deadline order and only due ones run. A channel the application closed is found by counting:
 * after each select the selector's key count is compared with the keys this loop registered and
 * has not cancelled itself; only a difference (a key the application's close cancelled and the
 * select removed) makes the loop look at its sessions. So that such a close is seen without any
 * event, a loop with splices never sleeps longer than {@link #TICK_NANOS}.
 */
final class EventLoop {

    /** The longest a loop with splices sleeps: how soon a channel the application closed is noticed. */
    static final long TICK_NANOS = 50_000_000L;

    private final Selector selector;
    /**
     * Holds a second key of every spliced channel and is never selected while a splice runs, so
     * that the JDK cannot close a spliced channel's descriptor before the splice hands it back
     * (see Session, "The descriptor guard").
     */
    private final Selector pins;
    private final LoopThread thread;
    /**
     * Bytes one direction takes per readiness event before it yields to the other splices on this
     * loop (level-triggered, the selector comes straight back). Bounded in bytes, not in reads: a
     * bulk transfer must not hold the loop for megabytes while a small request waits behind it.
     */
    private final int eventBudget;
    /** The size of the engine's copy buffers ({@code splice4j.nio.bufferSize}). */
    private final int copyBufferSize;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final TreeSet<Timer> timers = new TreeSet<>(
            Comparator.comparingLong((Timer t) -> t.deadline).thenComparingLong(t -> t.seq));
    private final Set<Session> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Session> finishing = new ArrayList<>();
    private long timerSeq;
    /** Keys registered here and not yet deregistered at this loop's own request. */
    private int ownKeys;
    /** Selects so far; see {@link Session#enter()}. */
    private long epoch;

    /** Something that runs at a deadline on the loop: an idle timer, a poll. */
    interface Timed {
        /** The deadline came; {@code now} is the loop's clock ({@link System#nanoTime()}). */
        void onTimer(long now);

        /** The splice this timer belongs to. */
        Session session();
    }

    /** One scheduled deadline. Immutable, so the timer set's order never changes under it. */
    static final class Timer {
        final long deadline;
        final long seq;
        final Timed target;

        private Timer(long deadline, long seq, Timed target) {
            this.deadline = deadline;
            this.seq = seq;
            this.target = target;
        }
    }

    static final class LoopThread extends Thread {
        LoopThread(Runnable r, String name) {
            super(r, name);
        }
    }

    private EventLoop(Selector selector, Selector pins, int index, EngineProperties properties) {
        this.eventBudget = properties.eventBudget;
        this.copyBufferSize = properties.nioBufferSize;
        this.selector = selector;
        this.pins = pins;
        thread = new LoopThread(this::run, "splice4j-loop-" + index);
        thread.setDaemon(true);
    }

    /**
     * Opens {@code n} selectors and only then starts their threads, so that a failure (the
     * open-file limit, say) leaves nothing behind: no thread, no descriptor.
     *
     * @throws IOException if a selector cannot be opened; those already opened are closed
     */
    static EventLoop[] start(EngineProperties properties) throws IOException {
        int n = properties.threads;
        EventLoop[] loops = new EventLoop[n];
        List<Selector> opened = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Selector s = Selector.open();
                opened.add(s);
                Selector p = Selector.open();
                opened.add(p);
                loops[i] = new EventLoop(s, p, i, properties);
            }
        } catch (IOException | RuntimeException e) {
            for (Selector s : opened) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw SpliceEngine.asIOException(e);
        }
        for (EventLoop l : loops) {
            l.thread.start();
        }
        return loops;
    }

    /** Bytes a direction moves per readiness event before it yields to the other splices here. */
    int eventBudget() {
        return eventBudget;
    }

    /** A new engine copy of one direction (see {@link NioCopy}). */
    NioCopy newCopy(java.nio.channels.SocketChannel source, java.nio.channels.SocketChannel drain) {
        return new NioCopy(source, drain, copyBufferSize);
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on this loop, soon; from any thread. */
    void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            selector.wakeup();
        }
    }

    /** Selects so far. A check of a session's keys holds until this changes. */
    long epoch() {
        return epoch;
    }

    /**
     * Registers {@code channel} with this loop's selector for {@code session}, counting the key,
     * and pins it (see {@link #pins}): cancel both returned keys to let go of it.
     *
     * @return {selected key, pin key}
     */
    SelectionKey[] register(java.nio.channels.SocketChannel channel, Session session) throws IOException {
        SelectionKey pin = channel.register(pins, 0, session);
        SelectionKey k;
        try {
            k = channel.register(selector, 0, session);
        } catch (IOException | RuntimeException e) {
            pin.cancel();
            throw e;
        }
        ownKeys++;
        return new SelectionKey[] {k, pin};
    }

    void add(Session s) {
        sessions.add(s);
    }

    /** Schedules {@code target} at {@code deadline}; cancel the returned timer to take it back. */
    Timer schedule(Timed target, long deadline) {
        Timer t = new Timer(deadline, timerSeq++, target);
        timers.add(t);
        return t;
    }

    /** Takes back a timer from {@link #schedule}; null is ignored. */
    void cancel(Timer t) {
        if (t != null) {
            timers.remove(t);
        }
    }

    void finishing(Session s) {
        finishing.add(s);
    }

    private void run() {
        while (true) {
            try {
                runTasks();
                if (tasks.isEmpty()) {
                    long timeout = timeoutMillis();
                    epoch++;
                    if (timeout < 0) {
                        selector.selectNow(this::onKey);
                    } else {
                        selector.select(this::onKey, timeout);
                    }
                } else {
                    epoch++;
                    selector.selectNow(this::onKey);
                }
                findClosed();
                runTimers(System.nanoTime());
                finishPending();
            } catch (Throwable t) {
                // a bug must not kill the loop and strand every splice on it
                Backends.LOG.log(Level.ERROR, "splice4j: unexpected error in " + thread.getName(), t);
            }
        }
    }

    private void runTasks() {
        Runnable r;
        while ((r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                Backends.LOG.log(Level.ERROR, "splice4j: task failed in " + thread.getName(), t);
            }
        }
        finishPending();
    }

    private void onKey(SelectionKey key) {
        Session s = (Session) key.attachment();
        try {
            s.onReady(key);
        } catch (CancelledKeyException e) {
            // the application closed a channel on another thread while its event was handled
            s.checkClosed();
        } catch (Throwable t) {
            s.crash(t);
        }
    }

    /**
     * After a select: if the selector holds fewer keys than this loop registered and did not
     * cancel itself, the application closed a channel; the sessions with an invalid key end.
     */
    private void findClosed() {
        if (selector.keys().size() != ownKeys) {
            for (Session s : sessions.toArray(new Session[0])) {
                s.checkClosed();
            }
        }
    }

    /** Milliseconds to sleep in select: 0 for "until something happens", -1 for "don't". */
    private long timeoutMillis() {
        long now = System.nanoTime();
        long until = Long.MAX_VALUE;
        if (!timers.isEmpty()) {
            until = timers.first().deadline - now;
        }
        if (!sessions.isEmpty()) {
            until = Math.min(until, TICK_NANOS);
        }
        if (until == Long.MAX_VALUE) {
            return 0;
        }
        if (until <= 0) {
            return -1;
        }
        return Math.max(1, (until + 999_999) / 1_000_000);
    }

    private void runTimers(long now) {
        while (!timers.isEmpty() && timers.first().deadline - now <= 0) {
            Timer t = timers.pollFirst();
            try {
                t.target.onTimer(now);
            } catch (CancelledKeyException e) {
                t.target.session().checkClosed();
            } catch (Throwable e) {
                t.target.session().crash(e);
            }
        }
    }

    /**
     * Hands back the channels of every session whose directions all ended: cancels the keys, lets
     * the selector deregister them (events for other sessions seen meanwhile are handled), then
     * restores blocking modes and completes the futures.
     */
    private void finishPending() {
        while (!finishing.isEmpty()) {
            List<Session> batch = new ArrayList<>(finishing);
            finishing.clear();
            for (Session s : batch) {
                ownKeys -= s.cancelKeys();
                sessions.remove(s);
            }
            try {
                epoch++;
                selector.selectNow(this::onKey);
                // only now may the JDK close a channel the application closed: its last key goes
                pins.selectNow();
            } catch (IOException e) {
                Backends.LOG.log(Level.ERROR, "splice4j: selectNow failed in " + thread.getName(), e);
            }
            for (Session s : batch) {
                s.handBack();
            }
        }
    }
}
