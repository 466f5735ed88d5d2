package io.github.splice4j.benchmarks;

import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
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
 * The fixed cost of a splice: start a bidirectional splice on two connected channels, unsplice
 * it and wait for completion (the channels are handed back, so the same pair serves every
 * operation). No data moves, so this is the overhead a short connection pays.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m"})
public class StartBenchmark {

    /** The backend under test; pass {@code -p backend=nio} where linux is unavailable. */
    @Param({"linux", "nio"})
    public String backend;

    private Relay relay;

    /** Opens the sockets, outside the measured method. */
    @Setup(Level.Trial)
    public void open() throws IOException {
        relay = new Relay(backend);
    }

    /** Closes the sockets. */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        relay.close();
    }

    /** One splice started and completed; returns its result so nothing is optimised away. */
    @Benchmark
    public SpliceResult startAndUnsplice() throws IOException {
        SpliceHandle h = relay.splice(SpliceOptions.defaults());
        h.unsplice();
        return h.completion().join();
    }
}
