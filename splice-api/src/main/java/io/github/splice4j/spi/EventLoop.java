package io.github.splice4j.spi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One selector and the thread that runs it. Everything here but {@link #execute} is confined to
 * that thread. Idle timers are a priority queue of directions by deadline, so a timer costs no
 * thread and a moved byte only updates a timestamp.
 */
final class EventLoop {

    /** How often the loop checks for channels the application closed (no event tells it). */
    private static final long SWEEP_NANOS = 50_000_000L;
    /** How often the sweep also asks unwatched drains whether they died (a syscall each, on native backends). */
    private static final long DRAIN_CHECK_NANOS = 1_000_000_000L;

    final Selector selector;
    private final LoopThread thread;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Flow> timers = new PriorityQueue<>(Comparator.comparingLong(f -> f.deadline));
    private final Set<Session> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Session> finishing = new ArrayList<>();
    private long nextSweep;
    private long nextDrainCheck;

    EventLoop(int index) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("splice4j: cannot open a selector", e);
        }
        thread = new LoopThread(this::run, "splice4j-loop-" + index);
        thread.setDaemon(true);
        thread.start();
    }

    static final class LoopThread extends Thread {
        LoopThread(Runnable r, String name) {
            super(r, name);
        }
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

    void add(Session s) {
        sessions.add(s);
    }

    void remove(Session s) {
        sessions.remove(s);
    }

    void schedule(Flow f) {
        timers.add(f);
    }

    void unschedule(Flow f) {
        timers.remove(f);
    }

    void finishing(Session s) {
        finishing.add(s);
    }

    private void run() {
        while (true) {
            try {
                runTasks();
                if (tasks.isEmpty()) {
                    selector.select(this::onKey, timeoutMillis());
                } else {
                    selector.selectNow(this::onKey);
                }
                long now = System.nanoTime();
                runTimers(now);
                if (!sessions.isEmpty() && now - nextSweep >= 0) {
                    nextSweep = now + SWEEP_NANOS;
                    boolean drains = now - nextDrainCheck >= 0;
                    if (drains) {
                        nextDrainCheck = now + DRAIN_CHECK_NANOS;
                    }
                    for (Session s : new ArrayList<>(sessions)) {
                        if (drains) {
                            s.checkDrains();
                        } else {
                            s.checkOpen();
                        }
                    }
                }
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
            s.checkOpen();
        } catch (Throwable t) {
            s.crash(t);
        }
    }

    private long timeoutMillis() {
        long now = System.nanoTime();
        long until = Long.MAX_VALUE;
        Flow f = timers.peek();
        if (f != null) {
            until = Math.max(0, f.deadline - now);
        }
        if (!sessions.isEmpty()) {
            until = Math.min(until, Math.max(0, nextSweep - now));
        }
        if (until == Long.MAX_VALUE) {
            return 0;  // no deadline: block until an event or a task
        }
        return Math.max(1, (until + 999_999) / 1_000_000);
    }

    private void runTimers(long now) {
        Flow f;
        while ((f = timers.peek()) != null && f.deadline - now <= 0) {
            timers.poll();
            f.onTimer(now);
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
                s.cancelKeys();
            }
            try {
                selector.selectNow(this::onKey);
            } catch (IOException e) {
                Backends.LOG.log(Level.ERROR, "splice4j: selectNow failed in " + thread.getName(), e);
            }
            for (Session s : batch) {
                s.handBack();
            }
        }
    }
}
