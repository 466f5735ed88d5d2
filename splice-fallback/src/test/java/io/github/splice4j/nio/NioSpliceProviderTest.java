package io.github.splice4j.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.spi.SpliceProvider;
import io.github.splice4j.spi.Transfer;
import io.github.splice4j.testkit.Loopback;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The nio provider as discovery sees it. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class NioSpliceProviderTest {

    private Loopback net;

    @BeforeEach
    void open() throws IOException {
        net = new Loopback();
    }

    @AfterEach
    void close() {
        net.close();
    }

    @Test
    void discovery_onlyNioOnPath_choosesNio() {
        assertEquals("nio", Splice.backend());
        List<SpliceBackend> all = Splice.backends();
        assertEquals(1, all.size());
        assertTrue(all.get(0).isAvailable());
        assertEquals(SpliceProvider.FALLBACK_PRIORITY, all.get(0).priority());
    }

    @Test
    void probe_alwaysAvailable() {
        assertNull(new NioSpliceProvider().probe());
    }

    @Test
    void newTransfer_isTheEnginesCopy() throws IOException {
        Loopback.Pair p = net.pair();
        assertSame(Transfer.copiedByEngine(),
                new NioSpliceProvider().newTransfer(p.client(), p.accepted(), SpliceOptions.defaults()));
    }
}
