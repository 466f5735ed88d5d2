package io.github.splice4j.testkit;

import io.github.splice4j.SpliceBackend;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite of docs/spec.md, over real TCP sockets on 127.0.0.1. A backend's
 * test module extends this one class and names the backend; it then runs every test:
 *
 * <pre>{@code
 * class NioConformanceTest extends SpliceConformanceTest {
 *     @Override
 *     protected SpliceBackend backend() {
 *         return Splice.using("nio");
 *     }
 * }
 * }</pre>
 *
 * <p>The tests are grouped by rule in nested classes, one per section of docs/spec.md: integrity
 * and data already waiting, byte limits, idle timeouts, end of stream, unsplice and close, errors,
 * no stray bytes, resources and blocking modes, bad input, the handle itself, and observability. Every test has its own sockets and a time limit, and checks at its end that
 * every splice it started completed once its sockets were closed. A test fails, rather than
 * skips, when the backend is unavailable: a subclass that runs only on some systems says so with
 * a JUnit condition such as {@code @EnabledOnOs}.
 *
 * <p>Timing assertions are for correctness only (never earlier than a timeout, within generous
 * bounds); the whole suite takes well under two minutes on two cores.
 */
public abstract class SpliceConformanceTest {

    /** Creates the suite; a backend's test class is instantiated by JUnit. */
    protected SpliceConformanceTest() {
    }

    /**
     * The backend under test; called by every test.
     *
     * @return the backend, for example {@code Splice.using("nio")}
     */
    protected abstract SpliceBackend backend();

    /**
     * Whether the backend notices, with no byte moving, that a drain's peer reset the connection
     * (see {@code Transfer#drainFailure}). True by default; a backend that cannot tell without
     * reading or writing the drain (nio: Java has no SO_ERROR) returns false, and the suite then
     * checks that the source's next byte ends the splice instead.
     *
     * @return whether a drain's silent failure ends the splice
     */
    protected boolean seesSilentDrainFailure() {
        return true;
    }

    @Nested
    class Integrity extends IntegrityTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Limit extends LimitTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Idle extends IdleTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class EndOfStream extends EofTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Unsplice extends UnspliceTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Errors extends ErrorTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }

        @Override
        boolean seesSilentDrainFailure() {
            return SpliceConformanceTest.this.seesSilentDrainFailure();
        }
    }

    @Nested
    class StrayBytes extends StrayBytesTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class BadInput extends BadInputTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Resources extends ResourceTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Handle extends HandleTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    @Nested
    class Observability extends ObservabilityTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }

    /** The kernels' own regress cases (OpenBSD's sosplice and FreeBSD's socket_splice suites). */
    @Nested
    class KernelRegress extends KernelRegressTests {
        @Override
        protected SpliceBackend backend() {
            return SpliceConformanceTest.this.backend();
        }
    }
}
