package io.github.splice4j.reliability;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.LoopThreads;
import io.github.splice4j.testkit.Loopback;
import io.github.splice4j.testkit.Loopback.Pair;
import io.github.splice4j.testkit.Loopback.Relay;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input across the API boundary, fuzzed, on every available backend (docs/spec.md, "Bad input", and the
 * {@link Splice} javadoc): random option values; channels in every state (unconnected, connect
 * pending, closed, input or output shut down, blocking, non-blocking, registered with another
 * selector, already spliced as source or drain, null, the same one twice); several threads
 * splicing the same channels at once; and unsplice, close and application closes from several
 * threads while data flows.
 *
 * <p>Every call either succeeds or throws exactly an exception the documentation names for one
 * of the bad inputs it was given (the exact class: a {@link NotYetConnectedException} where an
 * "already spliced" {@link IllegalStateException} is due is wrong, although it is one); a call
 * that throws changes nothing; every completion is done within {@value #BOUND_SECONDS} s; bytes
 * are never lost, duplicated or reordered at a max, idle, unsplice or close boundary; and at the
 * end no descriptor, spliced-channel entry or loop thread is left beyond the baseline.
 *
 * <p>Seeded: {@code -Dsplice4j.fuzz.seed=N} replays a run (the seed is printed, and named in
 * every failure with the iteration's own seed); {@code splice4j.fuzz.iterations} [1000] and
 * {@code splice4j.fuzz.seconds} [20] bound it per backend.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class BadInputFuzzTest {

    static final long BOUND_SECONDS = 10;
    private static final Path FDS = Paths.get("/proc/self/fd");

    /** What a channel handed to a splice call looks like. */
    enum State {
        BLOCKING, NON_BLOCKING, UNCONNECTED, PENDING, CLOSED, INPUT_SHUT, OUTPUT_SHUT, REGISTERED,
        SPLICED_SOURCE, SPLICED_DRAIN, NULL
    }

    /** What one iteration does. */
    enum Scenario { OPTIONS, STATES, LIFECYCLE, RACE_TO_SPLICE }

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fuzz-helper");
        t.setDaemon(true);
        return t;
    });

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.splice4j.reliability.AvailableBackends#names")
    void fuzz_badInputStatesAndRaces_documentedExceptionsOnly_nothingHangsOrLeaks(String name) throws Exception {
        SpliceBackend backend = Splice.using(name);
        long seed = Report.property("splice4j.fuzz.seed", System.nanoTime());
        long iterations = Report.property("splice4j.fuzz.iterations", 1000L);
        long seconds = Report.property("splice4j.fuzz.seconds", 20L);
        System.out.println("fuzz " + name + ": seed " + seed);
        List<String> failures = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        String replay = System.getProperty("splice4j.fuzz.replay", "");
        if (!replay.isBlank()) {
            // SCENARIO:SEED from a failure message: that one iteration only
            String[] p = replay.trim().split(":");
            run(backend, Scenario.valueOf(p[0]), Long.parseLong(p[1]), failures, counts);
            threads.shutdownNow();
            if (!failures.isEmpty()) {
                fail(String.join("\n", failures));
            }
            return;
        }
        // the library logs at ERROR only what it did not expect (a backend or loop bug it survived)
        List<String> logged = Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.splice4j");
        java.util.logging.Handler errors = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                    logged.add(r.getMessage() + (r.getThrown() == null ? "" : ": " + r.getThrown()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(errors);
        try {
            // one of each first: loop threads, selectors, buffers and what the JDK opens lazily
            for (Scenario s : Scenario.values()) {
                run(backend, s, seed - 1 - s.ordinal(), failures, counts);
            }
            Map<String, Integer> fdsBefore = descriptors();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            SplittableRandom rnd = new SplittableRandom(seed);
            int done = 0;
            for (; done < iterations && System.nanoTime() - until < 0 && failures.size() < 20; done++) {
                Scenario s = Scenario.values()[rnd.nextInt(Scenario.values().length)];
                run(backend, s, rnd.nextLong(), failures, counts);
            }
            long loops = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("splice4j-loop-")).count();
            if (loops > LoopThreads.configured()) {
                failures.add("leak: " + loops + " splice4j-loop threads, splice4j.threads is "
                        + LoopThreads.configured());
            }
            Map<String, Integer> fdsAfter = descriptors();
            for (String kind : List.of("socket", "pipe", "eventpoll", "eventfd")) {
                // a pipe backend may keep empty pipes for reuse: a bounded pool, not a leak (splice-linux keeps
                // at most 32 per loop thread, two descriptors each); a leak per splice would pass this by far
                int allowed = kind.equals("pipe") ? RelayProcess.PIPE_POOL_FDS_PER_LOOP * LoopThreads.configured() : 0;
                if (fdsAfter.getOrDefault(kind, 0) > fdsBefore.getOrDefault(kind, 0) + allowed) {
                    failures.add("leak: " + kind + " descriptors " + fdsBefore + " before, " + fdsAfter + " after");
                }
            }
            Report.print("fuzz " + name, "seed " + seed + ", " + done + " iterations (" + counts + "), "
                    + failures.size() + " failures; descriptors before " + fdsBefore + ", after " + fdsAfter);
        } finally {
            threads.shutdownNow();
            log.removeHandler(errors);
        }
        for (String m : logged) {
            failures.add("the library logged an unexpected error: " + m);
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " failures on " + name + " with -Dsplice4j.fuzz.seed=" + seed + ":\n  "
                    + String.join("\n  ", failures));
        }
    }

    private void run(SpliceBackend backend, Scenario s, long seed, List<String> failures, Map<String, Integer> counts) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<SpliceHandle> handles = new ArrayList<>();
        List<SocketChannel> extra = new ArrayList<>();
        String[] doing = {s.toString()};
        try {
            try (Loopback net = new Loopback(); Selector other = Selector.open();
                    ServerSocketChannel silent = silentListener()) {
                Ctx ctx = new Ctx(backend, net, other, silent, rnd, handles, extra, doing);
                switch (s) {
                    case OPTIONS:
                        doing[0] = options(rnd);
                        break;
                    case STATES:
                        doing[0] = states(ctx);
                        break;
                    case LIFECYCLE:
                        doing[0] = lifecycle(ctx);
                        break;
                    default:
                        doing[0] = race(ctx);
                        break;
                }
            } finally {
                closeAll(extra);
            }
            // nothing hangs: every splice this iteration started ends once its sockets are closed
            for (SpliceHandle h : handles) {
                consistent(await(h, "after its sockets were closed"));
            }
            counts.merge(s.toString(), 1, Integer::sum);
        } catch (Throwable t) {
            failures.add(s + " iteration seed " + seed + " (" + doing[0] + "): " + t);
            if (failures.size() == 1) {
                t.printStackTrace(System.out);
            }
            for (SpliceHandle h : handles) {
                h.close();
            }
        }
    }

    private static void closeAll(List<SocketChannel> channels) {
        for (SocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                // cleanup only
            }
        }
    }

    /** Everything an iteration needs. */
    private record Ctx(SpliceBackend backend, Loopback net, Selector other, ServerSocketChannel silent,
            SplittableRandom rnd, List<SpliceHandle> handles, List<SocketChannel> extra, String[] doing) {

        SpliceHandle track(SpliceHandle h) {
            synchronized (handles) {
                handles.add(h);
            }
            return h;
        }
    }

    // ---- options ----

    private static String options(SplittableRandom rnd) {
        long max = someLong(rnd);
        Duration idle = someDuration(rnd);
        boolean eof = rnd.nextBoolean();
        String what = "maxBytes " + max + ", idleTimeout " + idle + ", shutdownOnEof " + eof;
        SpliceOptions.Builder b = SpliceOptions.builder().maxBytes(max).idleTimeout(idle).shutdownOnEof(eof);
        boolean tooLong = false;
        try {
            idle.toNanos();
        } catch (ArithmeticException e) {
            tooLong = true;
        }
        boolean valid = max >= 0 && !idle.isNegative() && !tooLong;
        SpliceOptions o;
        try {
            o = b.build();
        } catch (IllegalArgumentException e) {
            check(!valid, "build() refused valid options (" + what + "): " + e);
            String value = max < 0 ? Long.toString(max) : idle.toString();
            check(String.valueOf(e.getMessage()).contains(value), "the message does not name " + value + ": " + e);
            return what;
        } catch (RuntimeException e) {
            throw new AssertionError("build() threw " + e + ", documented: IllegalArgumentException", e);
        }
        check(valid, "build() accepted " + what);
        check(o.maxBytes() == max && o.idleTimeout().equals(idle) && o.shutdownOnEof() == eof,
                "built " + o + " from " + what);
        b.maxBytes(max == 0 ? 1 : 0).shutdownOnEof(!eof);
        check(o.maxBytes() == max && o.shutdownOnEof() == eof, "options changed with their builder");
        try {
            SpliceOptions.builder().idleTimeout(null);
            throw new AssertionError("idleTimeout(null) accepted");
        } catch (NullPointerException e) {
            // documented
        }
        return what;
    }

    private static long someLong(SplittableRandom rnd) {
        long[] edges = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32};
        switch (rnd.nextInt(4)) {
            case 0:
                return edges[rnd.nextInt(edges.length)];
            case 1:
                return rnd.nextLong();
            case 2:
                return rnd.nextLong(1 << 20);
            default:
                return -1 - rnd.nextLong(1 << 20);
        }
    }

    private static Duration someDuration(SplittableRandom rnd) {
        Duration[] edges = {Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofNanos(Long.MAX_VALUE),
            Duration.ofNanos(Long.MIN_VALUE), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999),
            Duration.ofSeconds(Long.MIN_VALUE), Duration.ofSeconds(9_223_372_036L, 854_775_807),
            Duration.ofSeconds(9_223_372_036L, 854_775_808), Duration.ofSeconds(-9_223_372_036L, -854_775_808),
            Duration.ofSeconds(-9_223_372_036L, -854_775_809), Duration.ofDays(106_751), Duration.ofDays(106_752)};
        switch (rnd.nextInt(4)) {
            case 0:
            case 1:
                return edges[rnd.nextInt(edges.length)];
            case 2:
                return Duration.ofMillis(rnd.nextLong(2_000_001) - 1_000_000);
            default:
                return Duration.ofSeconds(rnd.nextLong(), rnd.nextLong(1_000_000_000));
        }
    }

    // ---- channel states ----

    /** A channel in a state, with what it takes to check it later. */
    private static final class Made {
        final State state;
        final SocketChannel channel;
        /** The splice it takes part in (SPLICED_*), which a rejected call must not disturb. */
        SpliceHandle existing;
        /** The far end of that splice's source, to show it still runs. */
        Relay existingRelay;

        Made(State state, SocketChannel channel) {
            this.state = state;
            this.channel = channel;
        }
    }

    private static Made make(State s, Ctx ctx) throws IOException {
        switch (s) {
            case NULL:
                return new Made(s, null);
            case UNCONNECTED:
                return new Made(s, track(ctx, SocketChannel.open()));
            case PENDING: {
                SocketChannel c = track(ctx, SocketChannel.open());
                c.configureBlocking(false);
                c.connect(ctx.silent.getLocalAddress());  // never accepted; pending until finishConnect()
                return new Made(s, c);
            }
            case SPLICED_SOURCE:
            case SPLICED_DRAIN: {
                Relay r = ctx.net.relay();
                Made m = new Made(s, s == State.SPLICED_SOURCE ? r.a() : r.b());
                m.existing = ctx.track(ctx.rnd.nextBoolean() ? ctx.backend.unidirectional(r.a(), r.b())
                        : ctx.backend.bidirectional(r.a(), r.b()));
                m.existingRelay = r;
                // the splice registers its channels on its loop thread: wait, so "unchanged" can be checked
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
                while (!(r.a().isRegistered() && r.b().isRegistered()) && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                return m;
            }
            default:
                break;
        }
        Pair p = ctx.net.pair();
        SocketChannel c = p.accepted();
        switch (s) {
            case NON_BLOCKING:
                c.configureBlocking(false);
                break;
            case CLOSED:
                c.close();
                break;
            case INPUT_SHUT:
                c.shutdownInput();
                break;
            case OUTPUT_SHUT:
                c.shutdownOutput();
                break;
            case REGISTERED:
                c.configureBlocking(false);
                c.register(ctx.other, SelectionKey.OP_READ);
                break;
            default:
                break;
        }
        return new Made(s, c);
    }

    /** Loopback closes the channels it made; the iteration closes these. */
    private static SocketChannel track(Ctx ctx, SocketChannel c) {
        ctx.extra().add(c);
        return c;
    }

    private String states(Ctx ctx) throws Exception {
        SplittableRandom rnd = ctx.rnd;
        State sa = State.values()[rnd.nextInt(State.values().length)];
        State sb = State.values()[rnd.nextInt(State.values().length)];
        boolean same = rnd.nextInt(8) == 0;
        boolean bi = rnd.nextBoolean();
        boolean nullOptions = rnd.nextInt(12) == 0;
        Made ma = make(sa, ctx);
        Made mb = same ? ma : make(sb, ctx);
        SocketChannel x = ma.channel;
        SocketChannel y = mb.channel;
        SpliceOptions o = nullOptions ? null : SpliceOptions.defaults();
        String what = (bi ? "bidirectional(" : "unidirectional(") + sa + ", " + (same ? "the same channel" : sb)
                + (nullOptions ? ", null options)" : ")");
        ctx.doing()[0] = what;

        Map<Class<?>, String> allowed = new java.util.HashMap<>();
        List<String> nullNames = new ArrayList<>();
        if (x == null) {
            nullNames.add(bi ? "a" : "source");
        }
        if (y == null) {
            nullNames.add(bi ? "b" : "drain");
        }
        if (nullOptions) {
            nullNames.add("options");
        }
        if (!nullNames.isEmpty()) {
            allowed.put(NullPointerException.class, "null " + nullNames);
        }
        if (x != null && x == y) {
            allowed.put(IllegalArgumentException.class, "the same channel twice");
        }
        for (Made m : same ? List.of(ma) : List.of(ma, mb)) {
            SocketChannel c = m.channel;
            if (c == null) {
                continue;
            }
            if (!c.isOpen()) {
                allowed.put(ClosedChannelException.class, "a closed channel");
            } else if (!c.isConnected()) {
                allowed.put(NotYetConnectedException.class, "a channel not connected");
            } else if (m.existing != null) {
                allowed.put(IllegalStateException.class, "a channel already spliced");
            }
        }
        List<Object[]> before = new ArrayList<>();
        for (SocketChannel c : new SocketChannel[] {x, y}) {
            if (c != null) {
                before.add(new Object[] {c, c.isOpen(), c.isOpen() && c.isBlocking(), c.isRegistered()});
            }
        }
        SpliceHandle h;
        try {
            h = bi ? ctx.backend.bidirectional(x, y, o) : ctx.backend.unidirectional(x, y, o);
        } catch (Exception e) {
            if (!allowed.containsKey(e.getClass())) {
                throw new AssertionError(what + " threw " + e + "; documented for these inputs: "
                        + (allowed.isEmpty() ? "nothing (it must succeed)" : allowed), e);
            }
            if (e instanceof NullPointerException) {
                String m = String.valueOf(e.getMessage());
                check(nullNames.stream().anyMatch(n -> m.matches(n + "\\b.*")),
                        what + ": the NullPointerException names none of " + nullNames + ": " + m);
            }
            if (e.getClass() == IllegalStateException.class) {
                check(String.valueOf(e.getMessage()).contains("already spliced"), what + ": " + e);
            }
            // nothing started, nothing changed
            for (Object[] b : before) {
                SocketChannel c = (SocketChannel) b[0];
                check(c.isOpen() == (boolean) b[1] && (!c.isOpen() || c.isBlocking() == (boolean) b[2])
                        && c.isRegistered() == (boolean) b[3], what + " threw " + e + " but changed " + c);
            }
            for (Made m : List.of(ma, mb)) {
                if (m.existing != null) {
                    check(!m.existing.isDone(), what + " threw " + e + " but ended the splice already running");
                    stillFlows(m.existingRelay);
                }
            }
            return what + " -> " + e.getClass().getSimpleName();
        }
        ctx.track(h);
        if (!allowed.isEmpty()) {
            throw new AssertionError(what + " succeeded; documented: " + allowed);
        }
        // accepted: it must end when asked, and hand the channels back as they were given
        if (ctx.rnd.nextBoolean()) {
            h.unsplice();
            SpliceResult r = await(h, "after unsplice()");
            consistent(r);
            for (Object[] b : before) {
                SocketChannel c = (SocketChannel) b[0];
                check(c.isOpen(), what + ": unsplice closed " + c);
                check(c.isBlocking() == (boolean) b[2], what + ": blocking mode not restored on " + c);
            }
            return what + " -> " + r;
        }
        h.close();
        check(h.isDone(), what + ": close() returned before completion");
        SpliceResult r = h.completion().join();
        consistent(r);
        if (r.directions().stream().anyMatch(d -> r.end(d) == SpliceEnd.UNSPLICED)) {
            check(!x.isOpen() && !y.isOpen(), what + ": close() left a channel open (" + r + ")");
        } else {
            // it had ended by itself (say EOF from a source whose input was shut down) before close()
            // began, which then has no effect, as documented
            check(x.isOpen() == y.isOpen(), what + ": close() closed one channel only (" + r + ")");
        }
        return what + " -> closed";
    }

    /** A running splice still carries a byte from its source's peer to its drain's peer. */
    private static void stillFlows(Relay r) throws IOException {
        r.client().write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer one = ByteBuffer.allocate(1);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        r.server().configureBlocking(false);
        while (one.hasRemaining() && System.nanoTime() - until < 0) {
            if (r.server().read(one) < 0) {
                break;
            }
            Thread.onSpinWait();
        }
        r.server().configureBlocking(true);
        check(!one.hasRemaining() && one.get(0) == 42, "the splice already running stopped carrying bytes");
    }

    // ---- lifecycle: valid splices ended every way, while data flows ----

    /** How a lifecycle iteration ends its splice. */
    enum Ending { PEER_EOF, UNSPLICE, CLOSE, MIXED, APPLICATION_CLOSES, PEER_RESET }

    private String lifecycle(Ctx ctx) throws Exception {
        SplittableRandom rnd = ctx.rnd;
        Relay r = ctx.net.relay();
        boolean aBlocking = rnd.nextBoolean();
        boolean bBlocking = rnd.nextBoolean();
        r.a().configureBlocking(aBlocking);
        r.b().configureBlocking(bBlocking);
        boolean bi = rnd.nextBoolean();
        long[] maxes = {0, 0, 0, 1, 1 + rnd.nextLong(64 * 1024), 1 + rnd.nextLong(512 * 1024), Long.MAX_VALUE};
        long max = maxes[rnd.nextInt(maxes.length)];
        Duration[] idles = {Duration.ZERO, Duration.ZERO, Duration.ofNanos(1), Duration.ofMillis(1 + rnd.nextLong(50)),
            Duration.ofSeconds(5), Duration.ofDays(365 * 200)};
        Duration idle = idles[rnd.nextInt(idles.length)];
        boolean eof = rnd.nextInt(4) != 0;
        SpliceOptions o = SpliceOptions.builder().maxBytes(max).idleTimeout(idle).shutdownOnEof(eof).build();
        Ending ending = Ending.values()[rnd.nextInt(Ending.values().length)];
        long up = rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextLong(512 * 1024);
        long down = bi ? (rnd.nextInt(4) == 0 ? 0 : 1 + rnd.nextLong(512 * 1024)) : 0;
        long upSeed = rnd.nextLong();
        long downSeed = rnd.nextLong();
        String what = (bi ? "bidirectional" : "unidirectional") + " a " + (aBlocking ? "blocking" : "non-blocking")
                + ", b " + (bBlocking ? "blocking" : "non-blocking") + ", " + o + ", " + up + " up, " + down + " down, "
                + ending;
        ctx.doing()[0] = what;

        SpliceHandle h = ctx.track(bi ? ctx.backend.bidirectional(r.a(), r.b(), o)
                : ctx.backend.unidirectional(r.a(), r.b(), o));
        // the peers: each writes its payload (then, for PEER_EOF, shuts down) and reads what comes
        CompletableFuture<Void> upSent = new CompletableFuture<>();
        Future<Long> upWriter = threads.submit(() -> write(r.client(), upSeed, up, ending == Ending.PEER_EOF, upSent));
        Future<Tally> upReader = threads.submit(() -> read(r.server()));
        CompletableFuture<Void> downSent = new CompletableFuture<>();
        Future<Long> downWriter = bi ? threads.submit(() -> write(r.server(), downSeed, down,
                ending == Ending.PEER_EOF, downSent)) : null;
        Future<Tally> downReader = bi ? threads.submit(() -> read(r.client())) : null;

        Thread.sleep(rnd.nextInt(20));
        switch (ending) {
            case PEER_EOF:
                break;
            case UNSPLICE:
            case CLOSE:
            case MIXED:
                hammer(h, bi, ending, rnd.nextLong(), r);
                break;
            case APPLICATION_CLOSES:
                (rnd.nextBoolean() ? r.a() : r.b()).close();
                break;
            default:
                boolean serverGoes = rnd.nextBoolean();
                Loopback.reset(serverGoes ? r.server() : r.client());
                // A running direction watches only its source, so it learns of a reset drain at its next
                // write (DrainGoneTest holds the stricter expectation): once its payload is out, the
                // survivor goes on with its stream a byte at a time until the splice has ended. (One
                // byte is not enough: the reset may reach the kernel after that byte got through.)
                SocketChannel survivor = serverGoes ? r.client() : r.server();
                CompletableFuture<Void> survivorSent = serverGoes ? upSent : bi ? downSent : CompletableFuture.completedFuture(null);
                long next = serverGoes ? up : down;
                long nextSeed = serverGoes ? upSeed : downSeed;
                threads.submit(() -> {
                    survivorSent.get(BOUND_SECONDS, TimeUnit.SECONDS);
                    byte[] one = new byte[1];
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
                    for (long at = next; !h.isDone() && System.nanoTime() - until < 0; at++) {
                        Payload.fill(nextSeed, at, one, 0, 1);
                        survivor.write(ByteBuffer.wrap(one));
                        Thread.sleep(20);
                    }
                    return null;
                });
                break;
        }
        SpliceResult res = await(h, "ended by " + ending);
        consistent(res);
        // after completion unsplice() has no effect, and close() closes both channels
        boolean openBefore = r.a().isOpen() && r.b().isOpen();
        h.unsplice();
        check(!openBefore || (r.a().isOpen() && r.b().isOpen()), "unsplice() after completion closed a channel");
        h.close();
        check(!r.a().isOpen() && !r.b().isOpen(), "close() after completion left a channel open");

        Set<SpliceEnd> allowed = EnumSet.noneOf(SpliceEnd.class);
        if (max > 0) {
            allowed.add(SpliceEnd.MAX_BYTES);
        }
        if (!idle.isZero()) {
            allowed.add(SpliceEnd.IDLE_TIMEOUT);
        }
        switch (ending) {
            case PEER_EOF:
                allowed.add(SpliceEnd.EOF);
                break;
            case UNSPLICE:
            case CLOSE:
            case MIXED:
                allowed.add(SpliceEnd.UNSPLICED);
                break;
            default:
                allowed.add(SpliceEnd.ERROR);  // or MAX_BYTES, IDLE_TIMEOUT: ended before the fault
                break;
        }
        for (Direction d : res.directions()) {
            check(allowed.contains(res.end(d)), what + ": " + d + " ended " + res.end(d) + "; expected one of "
                    + allowed + " (" + res + ")");
        }
        if (ending == Ending.CLOSE && res.directions().stream().anyMatch(d -> res.end(d) == SpliceEnd.UNSPLICED)) {
            // only close() unsplices here: it acted, so it closed both
            check(!r.a().isOpen() && !r.b().isOpen(), what + ": close() returned, a channel is still open");
        }
        if (ending == Ending.APPLICATION_CLOSES || ending == Ending.PEER_RESET || !r.a().isOpen() || !r.b().isOpen()) {
            // connections torn down: what arrived must still be the exact start of what was sent
            r.client().close();
            r.server().close();
            r.a().close();
            r.b().close();
            prefixOnly(upReader, upSeed, res.bytes(Direction.FORWARD), what + " up");
            if (bi) {
                prefixOnly(downReader, downSeed, res.bytes(Direction.REVERSE), what + " down");
            }
            drainQuietly(upWriter, downWriter);
            return what + " -> " + res;
        }
        // graceful: the channels are handed back as they were given...
        check(r.a().isOpen() && r.b().isOpen(), what + ": a channel was closed (" + res + ")");
        check(r.a().isBlocking() == aBlocking && r.b().isBlocking() == bBlocking,
                what + ": blocking modes not restored");
        check(!r.a().isRegistered() && !r.b().isRegistered(), what + ": a channel is still registered");
        // ...and every byte sent reached the drain's peer or is still in the source, in order
        Future<Tally> upRest = rest(r.a());
        Future<Tally> downRest = bi ? rest(r.b()) : null;
        whole(r.client(), r.b(), upWriter, upSent, upReader, upRest, upSeed, up, res, Direction.FORWARD,
                ending == Ending.PEER_EOF, what);
        if (bi) {
            whole(r.server(), r.a(), downWriter, downSent, downReader, downRest, downSeed, down, res,
                    Direction.REVERSE, ending == Ending.PEER_EOF, what);
        }
        return what + " -> " + res;
    }

    /**
     * From 1 to 4 threads at once: unsplice, close (for CLOSE and MIXED), live counts and
     * completion checks, none of which may throw; close() must return only once the splice is
     * done and both channels are closed.
     */
    private void hammer(SpliceHandle h, boolean bi, Ending ending, long seed, Relay r) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 1 + rnd.nextInt(4);
        CyclicBarrier start = new CyclicBarrier(n);
        List<Future<Void>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long s = rnd.nextLong();
            boolean closer = ending == Ending.CLOSE || (ending == Ending.MIXED && (i == 0 || new SplittableRandom(s).nextBoolean()));
            calls.add(threads.submit(() -> {
                SplittableRandom t = new SplittableRandom(s);
                start.await(BOUND_SECONDS, TimeUnit.SECONDS);
                for (int k = t.nextInt(4); k > 0; k--) {
                    h.bytesSpliced();
                    h.bytesSpliced(Direction.FORWARD);
                    if (bi) {
                        h.bytesSpliced(Direction.REVERSE);
                    } else {
                        try {
                            h.bytesSpliced(Direction.REVERSE);
                            throw new AssertionError("bytesSpliced(REVERSE) of a unidirectional splice answered");
                        } catch (IllegalArgumentException e) {
                            // documented
                        }
                    }
                    h.isDone();
                    h.completion().getNow(null);
                    if (ending != Ending.CLOSE) {
                        h.unsplice();
                    }
                }
                if (closer) {
                    h.close();
                    check(h.isDone(), "close() returned before completion");
                } else {
                    h.unsplice();
                }
                return null;
            }));
        }
        for (Future<Void> f : calls) {
            get(f, "a thread calling unsplice/close");
        }
        // Once every close() returned: both closed, or (if the splice completed through unsplice() or a
        // limit before any close() began, which then has no effect, as documented) both open. Not checked
        // per thread: a close() that finds the splice done returns at once, while another one that acted
        // may still be closing the second channel.
        check(r.a().isOpen() == r.b().isOpen(), "after close() one channel is open, one closed");
    }

    /** What is left unread in a channel handed back, read (blocking) to its end of stream. */
    private Future<Tally> rest(SocketChannel source) throws IOException {
        source.configureBlocking(true);
        return threads.submit(() -> read(source));
    }

    /** Every byte sent either reached the drain's peer or is still unread in the source, in order. */
    private void whole(SocketChannel sender, SocketChannel drain, Future<Long> writer, CompletableFuture<Void> sent,
            Future<Tally> reader, Future<Tally> rest, long seed, long size, SpliceResult res, Direction d,
            boolean senderShutDown, String what) throws Exception {
        long delivered = res.bytes(d);
        // let the drain's peer see the end of what was delivered (a no-op if the splice forwarded EOF)
        drain.shutdownOutput();
        Tally got = get(reader, what + " " + d + " reader");
        check(got.bytes == delivered, what + ": " + d + " delivered " + delivered + " bytes by its count, "
                + got.bytes + " arrived");
        check(got.digest.equals(Payload.digest(seed, 0, got.bytes)), what + ": " + d + " the " + got.bytes
                + " bytes that arrived are not the start of what was sent");
        // the rest must still be in the source, in order: the application reads it
        sent.get(BOUND_SECONDS, TimeUnit.SECONDS);
        check(get(writer, what + " " + d + " writer") == size, what + ": writer short");
        if (!senderShutDown) {
            sender.shutdownOutput();
        }
        Tally left = get(rest, what + " " + d + " rest of the source");
        check(delivered + left.bytes == size, what + ": " + d + " " + delivered + " delivered + " + left.bytes
                + " left in the source != " + size + " sent (" + res + ")");
        check(left.digest.equals(Payload.digest(seed, delivered, delivered + left.bytes)),
                what + ": " + d + " the bytes left in the source are not the rest of what was sent");
        if (res.end(d) == SpliceEnd.EOF) {
            check(left.bytes == 0, what + ": " + d + " ended EOF with bytes left");
        }
    }

    private void prefixOnly(Future<Tally> reader, long seed, long delivered, String what) throws Exception {
        Tally got = get(reader, what + " reader");
        check(got.bytes <= delivered, what + ": " + got.bytes
                + " bytes arrived, the splice counted " + delivered);
        check(got.digest.equals(Payload.digest(seed, 0, got.bytes)), what + ": the " + got.bytes
                + " bytes that arrived are not the start of what was sent");
    }

    private static void drainQuietly(Future<?>... fs) {
        for (Future<?> f : fs) {
            if (f != null) {
                try {
                    f.get(BOUND_SECONDS, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a writer on a torn-down connection fails; that is expected
                }
            }
        }
    }

    /** Writes {@code size} bytes of the seed's stream, blocking; then shuts down if asked. */
    private static long write(SocketChannel c, long seed, long size, boolean shutdown, CompletableFuture<Void> sent)
            throws IOException {
        byte[] b = new byte[64 * 1024];
        long at = 0;
        try {
            while (at < size) {
                int n = (int) Math.min(b.length, size - at);
                Payload.fill(seed, at, b, 0, n);
                ByteBuffer buf = ByteBuffer.wrap(b, 0, n);
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
                at += n;
            }
            if (shutdown) {
                c.shutdownOutput();
            }
            sent.complete(null);
        } catch (IOException e) {
            sent.complete(null);
            throw e;
        }
        return at;
    }

    /** What a peer read: its count and SHA-256. */
    private record Tally(long bytes, String digest) {
    }

    /** Reads to the end of stream (or a reset: what arrived until then counts). */
    private static Tally read(SocketChannel c) {
        MessageDigest md = Payload.sha256();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long n = 0;
        try {
            int r;
            while ((r = c.read(buf)) >= 0) {
                md.update(buf.array(), 0, r);
                n += r;
                buf.clear();
            }
        } catch (IOException e) {
            // reset or closed: the count so far stands
        }
        return new Tally(n, Payload.hex(md));
    }

    // ---- several threads splicing the same channels ----

    private String race(Ctx ctx) throws Exception {
        Relay r = ctx.net.relay();
        int n = 2 + ctx.rnd.nextInt(3);
        CyclicBarrier start = new CyclicBarrier(n);
        List<Future<SpliceHandle>> calls = new ArrayList<>();
        StringBuilder what = new StringBuilder(n + " threads:");
        for (int i = 0; i < n; i++) {
            boolean swap = ctx.rnd.nextBoolean();
            boolean bi = ctx.rnd.nextBoolean();
            SocketChannel x = swap ? r.b() : r.a();
            SocketChannel y = swap ? r.a() : r.b();
            what.append(bi ? " bi" : " uni").append(swap ? "(b,a)" : "(a,b)");
            calls.add(threads.submit(() -> {
                start.await(BOUND_SECONDS, TimeUnit.SECONDS);
                return bi ? ctx.backend.bidirectional(x, y) : ctx.backend.unidirectional(x, y);
            }));
        }
        List<SpliceHandle> won = new ArrayList<>();
        for (Future<SpliceHandle> f : calls) {
            try {
                won.add(ctx.track(f.get(BOUND_SECONDS, TimeUnit.SECONDS)));
            } catch (ExecutionException e) {
                Throwable t = e.getCause();
                check(t.getClass() == IllegalStateException.class && String.valueOf(t.getMessage()).contains("already spliced"),
                        what + ": a losing call threw " + t + "; documented: IllegalStateException (already spliced)");
            }
        }
        check(won.size() <= 1, what + ": " + won.size() + " splices of the same channels started");
        if (won.isEmpty()) {
            // both lost to each other: acceptable, but nothing may be left behind
            check(r.a().isBlocking() && r.b().isBlocking() && !r.a().isRegistered() && !r.b().isRegistered(),
                    what + ": no call won, yet the channels were changed");
            SpliceHandle h = ctx.track(ctx.backend.bidirectional(r.a(), r.b()));
            h.unsplice();
            consistent(await(h, "a splice after a race nobody won"));
            return what + " -> none won";
        }
        SpliceHandle h = won.get(0);
        h.unsplice();
        consistent(await(h, "the race's winner after unsplice()"));
        check(r.a().isBlocking() && r.b().isBlocking() && !r.a().isRegistered() && !r.b().isRegistered(),
                what + ": the winner did not hand the channels back");
        return what + " -> one won";
    }

    // ---- helpers ----

    private static SpliceResult await(SpliceHandle h, String when) throws InterruptedException {
        try {
            return h.completion().get(BOUND_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("hang: not complete " + BOUND_SECONDS + " s " + when + ": " + h);
        } catch (ExecutionException e) {
            throw new AssertionError("completion() completed exceptionally " + when, e.getCause());
        }
    }

    /** A result's ends and errors agree, and counts are not negative. */
    private static void consistent(SpliceResult r) {
        for (Direction d : r.directions()) {
            check(r.end(d) != null && r.bytes(d) >= 0, "result " + r);
            check((r.end(d) == SpliceEnd.ERROR) == r.error(d).isPresent(), "error present iff ERROR: " + r);
        }
    }

    private static <T> T get(Future<T> f, String what) throws Exception {
        try {
            return f.get(BOUND_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError("hang: " + what + " did not finish in " + BOUND_SECONDS + " s");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw (Exception) e.getCause();
        }
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }

    /** A listener that never accepts, so a non-blocking connect to it stays pending. */
    private static ServerSocketChannel silentListener() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        return s;
    }

    /** This process's descriptors by kind (socket, pipe, eventpoll, eventfd, other). */
    static Map<String, Integer> descriptors() throws IOException {
        Map<String, Integer> kinds = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(FDS)) {
            for (Path fd : dir) {
                try {
                    kinds.merge(RelayProcess.kind(Files.readSymbolicLink(fd).toString()), 1, Integer::sum);
                } catch (IOException e) {
                    // closed while listing (or the directory's own descriptor)
                }
            }
        }
        return kinds;
    }
}
