package io.github.splice4j.benchmarks;

import io.github.splice4j.SpliceOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * Throughput of one spliced connection: each operation writes {@code payload} bytes into the
 * client end and reads them all at the server end, through the splice. Reported as operations
 * per second; multiply by the payload for bytes per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class ThroughputBenchmark {

    /** The backend under test. */
    @Param({"linux", "nio"})
    public String backend;

    /** Bytes per operation. */
    @Param({"65536", "1048576", "16777216"})
    public int payload;

    private Relay relay;
    private ByteBuffer out;
    private ByteBuffer in;
    private ExecutorService writer;

    /** Opens and splices the sockets, outside the measured method. */
    @Setup(Level.Trial)
    public void open() throws IOException {
        relay = new Relay(backend);
        relay.splice(SpliceOptions.defaults());
        out = ByteBuffer.allocateDirect(payload);
        in = ByteBuffer.allocateDirect(Math.min(payload, 1 << 20));
        writer = Executors.newSingleThreadExecutor();
    }

    /** Stops the writer and closes everything. */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        writer.shutdownNow();
        relay.close();
    }

    /** Moves one payload through the splice; returns the bytes read. */
    @Benchmark
    public long transfer() throws Exception {
        Future<?> sent = writer.submit(() -> {
            out.clear();
            while (out.hasRemaining()) {
                relay.client.write(out);
            }
            return null;
        });
        long got = 0;
        while (got < payload) {
            in.clear();
            int n = relay.server.read(in);
            if (n < 0) {
                throw new IOException("unexpected end of stream after " + got + " bytes");
            }
            got += n;
        }
        sent.get();
        return got;
    }
}
