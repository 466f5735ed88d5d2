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
import io.github.splice4j.testkit.Bytes.Generator;
import io.github.splice4j.testkit.Bytes.Tally;
import io.github.splice4j.testkit.Loopback.Relay;
import java.nio.ByteBuffer;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docs/spec.md "End of stream" end of stream: forwarded with shutdownOnEof, kept back without it, half-close. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
abstract class EofTests extends ConformanceBase {

    @Test
    void eof_shutdownOnEof_peerSeesEndOfStream() throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(3_000, 20);
        SpliceHandle h = uni(r.a(), r.b());
        Bytes.writeFully(r.client(), data);
        r.client().shutdownOutput();
        assertArrayEquals(data, Bytes.readExactly(r.server(), data.length));
        assertEquals(-1, r.server().read(ByteBuffer.allocate(1)), "the server sees the client's end of stream");
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(data.length, res.bytes(FORWARD));
    }

    @Test
    void eof_withoutShutdownOnEof_peerSeesNoEndOfStreamAndDrainStaysWritable() throws Exception {
        Relay r = net.relay();
        byte[] data = Bytes.random(3_000, 21);
        SpliceHandle h = uni(r.a(), r.b(), options().shutdownOnEof(false).build());
        Bytes.writeFully(r.client(), data);
        r.client().shutdownOutput();
        assertArrayEquals(data, Bytes.readExactly(r.server(), data.length));
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(data.length, res.bytes(FORWARD));
        Bytes.assertNothingToRead(r.server(), 50);
        // the application finishes the response itself, then ends it
        byte[] trailer = {'e', 'n', 'd'};
        Bytes.writeFully(r.b(), trailer);
        r.b().shutdownOutput();
        assertArrayEquals(trailer, Bytes.readExactly(r.server(), trailer.length));
        assertEquals(-1, r.server().read(ByteBuffer.allocate(1)));
        assertEquals(-1, r.a().read(ByteBuffer.allocate(1)), "the source's end of stream stays visible");
    }

    @Test
    void eof_whileDrainStalled_deliversEverythingBeforeForwardingEof() throws Exception {
        Relay r = net.relay();
        SpliceHandle h = uni(r.a(), r.b());
        Future<Tally> sent = async(() -> {
            Generator g = new Generator(24);
            g.write(r.client(), 16L << 20);
            r.client().shutdownOutput();
            return g.tally();
        });
        // the server reads nothing until the splice has filled every buffer on its way
        UnspliceTests.awaitStalled(h);
        Tally received = Bytes.readToEof(r.server());
        assertEquals(await(sent), received);
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(16L << 20, res.bytes(FORWARD));
    }

    @Test
    void eof_halfClose_otherDirectionKeepsFlowing() throws Exception {
        Relay r = net.relay();
        byte[] request = Bytes.random(100_000, 22);
        SpliceHandle h = bi(r.a(), r.b());
        Bytes.writeFully(r.client(), request);
        r.client().shutdownOutput();
        assertArrayEquals(request, Bytes.readExactly(r.server(), request.length));
        assertEquals(-1, r.server().read(ByteBuffer.allocate(1)), "the client's half-close reaches the server");
        assertFalse(h.isDone(), "the reverse direction is still open");
        // only now does the server answer, with more than the socket buffers hold
        long size = 4L << 20;
        Future<Tally> sent = async(() -> {
            Generator g = new Generator(23);
            g.write(r.server(), size);
            r.server().shutdownOutput();
            return g.tally();
        });
        Tally received = Bytes.readToEof(r.client());
        assertEquals(await(sent), received);
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(FORWARD));
        assertEquals(SpliceEnd.EOF, res.end(REVERSE));
        assertEquals(request.length, res.bytes(FORWARD));
        assertEquals(size, res.bytes(REVERSE));
        assertTrue(r.a().isOpen() && r.b().isOpen(), "an ended splice leaves the channels open");
    }
}
