package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WarmupTest {

    /** Every backend available here (linux and nio on Linux). */
    static Stream<String> backends() {
        return Splice.backends().stream().filter(SpliceBackend::isAvailable).map(SpliceBackend::name);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void run_movesEveryByteAndHandsEverythingBack(String backend) throws Exception {
        String line = Warmup.run(Splice.using(backend), 8L << 20);
        Matcher m = Pattern.compile("splice-proxy relay warmed up \\(backend " + backend + "\\): 8 MiB each way, "
                + Warmup.TRIPS + " round trips, (\\d+) connections and (\\d+) settling rounds in \\d+ ms").matcher(line);
        assertTrue(m.matches(), line);
        assertEquals(Warmup.CONNECTIONS + Integer.parseInt(m.group(2)) * Warmup.SETTLE_CONNECTIONS,
                Integer.parseInt(m.group(1)), line);
        long loops = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("splice4j-loop-")).count();
        assertTrue(loops <= Runtime.getRuntime().availableProcessors() || System.getProperty("splice4j.threads") != null,
                loops + " splice4j-loop threads");
    }
}
