package io.github.splice4j.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Loopback;
import io.github.splice4j.testkit.Loopback.Relay;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CONTRACT §3.7 ("a reset or closed peer: the direction ends ERROR ... Nothing hangs") for a
 * direction whose drain goes away while its source is silent. Found by {@link BadInputFuzzTest}:
 * the engine watches a running direction's source only, so a reset drain is noticed at the next
 * write; with no idle timeout and a silent source the splice never ends. That is every
 * unidirectional splice, and a bidirectional one whose other direction has ended (EOF after a
 * half-close, MAX_BYTES, IDLE_TIMEOUT): in a relay, a client that half-closes and then gives up
 * holds both connections until the server speaks. OpenBSD's SO_SPLICE ends the splice with the
 * drain's error.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DrainGoneTest {

    private static final long WAIT_SECONDS = 5;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.splice4j.reliability.AvailableBackends#names")
    void unidirectional_drainPeerResets_sourceSilent_endsError(String backend) throws Exception {
        try (Loopback net = new Loopback()) {
            Relay r = net.relay();
            SpliceHandle h = Splice.using(backend).unidirectional(r.a(), r.b());
            Loopback.reset(r.server());
            assertEquals(SpliceEnd.ERROR, result(h).end(Direction.FORWARD));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.github.splice4j.reliability.AvailableBackends#names")
    void bidirectional_clientHalfClosesThenResets_serverSilent_endsError(String backend) throws Exception {
        try (Loopback net = new Loopback()) {
            Relay r = net.relay();
            SpliceHandle h = Splice.using(backend).bidirectional(r.a(), r.b());
            r.client().write(ByteBuffer.wrap(new byte[] {1}));
            r.client().shutdownOutput();
            ByteBuffer got = ByteBuffer.allocate(2);
            while (r.server().read(got) >= 0) {
                // the request and its end: the forward direction has ended EOF
            }
            Loopback.reset(r.client());
            assertEquals(SpliceEnd.ERROR, result(h).end(Direction.REVERSE));
        }
    }

    private static SpliceResult result(SpliceHandle h) throws InterruptedException {
        try {
            return h.completion().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            h.close();
            return fail("the splice still runs " + WAIT_SECONDS + " s after its drain's peer reset: " + h);
        } catch (ExecutionException e) {
            return fail("completion() completed exceptionally", e);
        }
    }
}
