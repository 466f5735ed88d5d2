package io.github.splice4j.testkit;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.testkit.Loopback.Relay;
import java.util.Arrays;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** docs/spec.md "Byte limits" maxBytes: exactly N bytes, the rest stays in the source for the application. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class LimitTests extends ConformanceBase {

    private static final int EXTRA = 40_000;

    /** 64 KiB and 256 KiB are the copy buffer sizes of common backends: the limit meets a full buffer. */
    @ParameterizedTest(name = "maxBytes {0}")
    @ValueSource(ints = {1, 12_345, 64 * 1024, 256 * 1024})
    void maxBytes_reached_deliversExactlyAndLeavesRestInSource(int max) throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(max + EXTRA, max);
        SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(max).build());
        // the client may block until the application reads the rest, so it writes on its own thread
        Future<?> writer = async(() -> {
            Bytes.writeFully(r.client(), data);
            return null;
        });
        assertArrayEquals(Arrays.copyOf(data, max), Bytes.readExactly(r.server(), max));
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.MAX_BYTES, res.end(FORWARD));
        assertEquals(max, res.bytes(FORWARD));
        assertTrue(r.a().isBlocking(), "source not back in blocking mode");
        assertTrue(r.b().isBlocking(), "drain not back in blocking mode");
        assertArrayEquals(Arrays.copyOfRange(data, max, data.length), Bytes.readExactly(r.a(), EXTRA),
                "the bytes after the limit, read by the application from the source");
        await(writer);
        // nothing past the limit reached the server, and its connection was not shut down
        Bytes.assertNothingToRead(r.server(), 50);
    }

    @Test
    void maxBytes_firstBytes_deliveredWithoutWaitingForTheRest() throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(12_345, 7);
        SpliceHandle h = uni(r.a(), r.b(), options().maxBytes(data.length).build());
        Bytes.writeFully(r.client(), Arrays.copyOf(data, 100));
        assertArrayEquals(Arrays.copyOf(data, 100), Bytes.readExactly(r.server(), 100));
        assertFalse(h.isDone());
        Bytes.writeFully(r.client(), Arrays.copyOfRange(data, 100, data.length));
        assertArrayEquals(Arrays.copyOfRange(data, 100, data.length), Bytes.readExactly(r.server(), data.length - 100));
        assertEquals(SpliceEnd.MAX_BYTES, result(h).end(FORWARD));
    }

    @Test
    void maxBytes_thenSpliceAgain_carriesTheNextBody() throws Exception {
        // HTTP-like: header, body 1, header, body 2; the application parses headers, splices bodies
        Relay r = net.relay();
        byte[] body1 = Bytes.random(5_000, 8);
        byte[] body2 = Bytes.random(70_000, 9);
        byte[] header = "NEXT\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Future<?> writer = async(() -> {
            Bytes.writeFully(r.client(), body1);
            Bytes.writeFully(r.client(), header);
            Bytes.writeFully(r.client(), body2);
            return null;
        });
        SpliceHandle first = uni(r.a(), r.b(), options().maxBytes(body1.length).build());
        assertEquals(SpliceEnd.MAX_BYTES, result(first).end(FORWARD));
        assertArrayEquals(header, Bytes.readExactly(r.a(), header.length));
        SpliceHandle second = uni(r.a(), r.b(), options().maxBytes(body2.length).build());
        assertArrayEquals(body1, Bytes.readExactly(r.server(), body1.length));
        assertArrayEquals(body2, Bytes.readExactly(r.server(), body2.length));
        assertEquals(SpliceEnd.MAX_BYTES, result(second).end(FORWARD));
        await(writer);
        Bytes.assertNothingToRead(r.server(), 20);
    }

    @Test
    void maxBytes_bidirectional_limitsEachDirectionOnItsOwn() throws Exception {
        Relay r = net.relay();
        int max = 10_000;
        byte[] up = Bytes.random(max + 5_000, 10);
        byte[] down = Bytes.random(max + 6_000, 11);
        SpliceHandle h = bi(r.a(), r.b(), options().maxBytes(max).build());
        Bytes.writeFully(r.client(), up);
        Bytes.writeFully(r.server(), down);
        assertArrayEquals(Arrays.copyOf(up, max), Bytes.readExactly(r.server(), max));
        assertArrayEquals(Arrays.copyOf(down, max), Bytes.readExactly(r.client(), max));
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.MAX_BYTES, res.end(FORWARD));
        assertEquals(SpliceEnd.MAX_BYTES, res.end(REVERSE));
        assertEquals(max, res.bytes(FORWARD));
        assertEquals(max, res.bytes(REVERSE));
        assertArrayEquals(Arrays.copyOfRange(up, max, up.length), Bytes.readExactly(r.a(), 5_000));
        assertArrayEquals(Arrays.copyOfRange(down, max, down.length), Bytes.readExactly(r.b(), 6_000));
    }
}
