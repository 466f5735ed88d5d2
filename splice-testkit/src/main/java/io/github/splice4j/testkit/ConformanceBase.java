package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every group of the suite shares: fresh loopback sockets per test, helper threads for the
 * test's own blocking ends, and splice calls that are remembered so that the end of each test can
 * check that every splice completed once its channels were closed (nothing hangs, docs/spec.md "Errors").
 */
abstract class ConformanceBase {

    /** How long a test waits for a splice that should end; generous, for a busy machine. */
    static final long WAIT_SECONDS = 10;

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    Loopback net;
    private ExecutorService helpers;
    private final List<SpliceHandle> handles = new ArrayList<>();

    /** The backend under test. */
    protected abstract SpliceBackend backend();

    /** See {@link SpliceConformanceTest#seesSilentDrainFailure()}. */
    boolean seesSilentDrainFailure() {
        return true;
    }

    @BeforeEach
    void openSockets() throws IOException {
        SpliceBackend backend = backend();
        assertTrue(backend.isAvailable(), () -> "backend " + backend.name() + " is unavailable here: "
                + backend.unavailabilityCause().map(Throwable::toString).orElse("?"));
        net = new Loopback();
        helpers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "splice-test-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @AfterEach
    void closeSocketsAndCheckNothingHangs() throws InterruptedException {
        net.close();
        helpers.shutdownNow();
        List<SpliceHandle> stuck = new ArrayList<>();
        for (SpliceHandle h : handles) {
            try {
                h.completion().get(5, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                stuck.add(h);
            } catch (ExecutionException e) {
                fail("completion() must never complete exceptionally", e);
            }
        }
        handles.clear();
        helpers.awaitTermination(5, TimeUnit.SECONDS);
        if (!stuck.isEmpty()) {
            fail("splices still running 5 s after all their channels were closed: " + stuck);
        }
    }

    SpliceHandle uni(SocketChannel source, SocketChannel drain) throws IOException {
        return track(backend().unidirectional(source, drain));
    }

    SpliceHandle uni(SocketChannel source, SocketChannel drain, SpliceOptions options) throws IOException {
        return track(backend().unidirectional(source, drain, options));
    }

    SpliceHandle bi(SocketChannel a, SocketChannel b) throws IOException {
        return track(backend().bidirectional(a, b));
    }

    SpliceHandle bi(SocketChannel a, SocketChannel b, SpliceOptions options) throws IOException {
        return track(backend().bidirectional(a, b, options));
    }

    SpliceHandle track(SpliceHandle h) {
        handles.add(h);
        return h;
    }

    /** The splice's result, failing the test if it does not complete within the wait. */
    static SpliceResult result(SpliceHandle h) throws InterruptedException {
        return result(h, WAIT_SECONDS);
    }

    static SpliceResult result(SpliceHandle h, long seconds) throws InterruptedException {
        try {
            return h.completion().get(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return fail("splice did not complete within " + seconds + " s: " + h);
        } catch (ExecutionException e) {
            return fail("completion() must never complete exceptionally", e);
        }
    }

    /** Runs {@code task} on a helper thread; the test's own blocking reads and writes go there. */
    <T> Future<T> async(Callable<T> task) {
        return helpers.submit(task);
    }

    /** The task's value, failing the test if it threw or took longer than the wait. */
    static <T> T await(Future<T> f) throws InterruptedException {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return fail("helper task did not finish within " + WAIT_SECONDS + " s");
        } catch (ExecutionException e) {
            return fail("helper task failed: " + e.getCause(), e.getCause());
        }
    }

    static SpliceOptions.Builder options() {
        return SpliceOptions.builder();
    }
}
