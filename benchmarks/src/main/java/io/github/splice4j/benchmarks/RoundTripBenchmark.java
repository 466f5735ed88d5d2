package io.github.splice4j.benchmarks;

import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of a small-message round trip through a bidirectional splice: the client writes
 * {@code size} bytes, the server reads them and writes them back, the client reads them. Both
 * ends run on the benchmark thread in blocking mode, so the time is two passes through the
 * splice plus four loopback hops.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class RoundTripBenchmark {

    /** The backend under test. */
    @Param({"linux", "nio"})
    public String backend;

    /** Message size in bytes. */
    @Param({"64", "1024"})
    public int size;

    private Relay relay;
    private ByteBuffer buf;

    /** Opens and splices the sockets, outside the measured method. */
    @Setup(Level.Trial)
    public void open() throws IOException {
        relay = new Relay(backend);
        relay.splice(SpliceOptions.defaults());
        buf = ByteBuffer.allocateDirect(size);
    }

    /** Closes everything. */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        relay.close();
    }

    /** One request and its echo; returns the last byte read. */
    @Benchmark
    public byte roundTrip() throws IOException {
        move(relay.client, relay.server);
        move(relay.server, relay.client);
        return buf.get(size - 1);
    }

    private void move(java.nio.channels.SocketChannel from, java.nio.channels.SocketChannel to) throws IOException {
        buf.clear();
        while (buf.hasRemaining()) {
            from.write(buf);
        }
        buf.clear();
        while (buf.hasRemaining()) {
            if (to.read(buf) < 0) {
                throw new IOException("unexpected end of stream");
            }
        }
    }
}
