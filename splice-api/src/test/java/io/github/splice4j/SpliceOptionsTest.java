package io.github.splice4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SpliceOptionsTest {

    @Test
    void defaults_unlimitedNoTimeoutForwardEof() {
        SpliceOptions o = SpliceOptions.defaults();
        assertEquals(0, o.maxBytes());
        assertEquals(Duration.ZERO, o.idleTimeout());
        assertTrue(o.shutdownOnEof());
    }

    @Test
    void builder_untouched_buildsDefaults() {
        assertSame(SpliceOptions.defaults(), SpliceOptions.builder().build());
    }

    @Test
    void builder_values_kept() {
        SpliceOptions o = SpliceOptions.builder()
                .maxBytes(12_345).idleTimeout(Duration.ofSeconds(30)).shutdownOnEof(false).build();
        assertEquals(12_345, o.maxBytes());
        assertEquals(Duration.ofSeconds(30), o.idleTimeout());
        assertEquals(false, o.shutdownOnEof());
    }

    @Test
    void maxBytes_negative() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().maxBytes(-1).build());
        assertEquals("maxBytes must not be negative: -1", e.getMessage());
    }

    @Test
    void maxBytes_minValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().maxBytes(Long.MIN_VALUE).build());
        assertEquals("maxBytes must not be negative: -9223372036854775808", e.getMessage());
    }

    @Test
    void maxBytes_maxValue_accepted() {
        assertEquals(Long.MAX_VALUE, SpliceOptions.builder().maxBytes(Long.MAX_VALUE).build().maxBytes());
    }

    @Test
    void idleTimeout_negative() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().idleTimeout(Duration.ofMillis(-1)).build());
        assertEquals("idleTimeout must not be negative: PT-0.001S", e.getMessage());
    }

    @Test
    void idleTimeout_overflowingNanoseconds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().idleTimeout(Duration.ofSeconds(Long.MAX_VALUE)).build());
        assertEquals("idleTimeout is too large (over Long.MAX_VALUE nanoseconds): PT2562047788015215H30M7S",
                e.getMessage());
    }

    @Test
    void idleTimeout_oneNanosecondPastLimit() {
        Duration tooLong = Duration.ofNanos(Long.MAX_VALUE).plusNanos(1);
        assertThrows(IllegalArgumentException.class, () -> SpliceOptions.builder().idleTimeout(tooLong).build());
    }

    @Test
    void idleTimeout_longMaxNanoseconds_accepted() {
        Duration limit = Duration.ofNanos(Long.MAX_VALUE);
        assertEquals(limit, SpliceOptions.builder().idleTimeout(limit).build().idleTimeout());
    }

    @Test
    void idleTimeout_null() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> SpliceOptions.builder().idleTimeout(null));
        assertEquals("idleTimeout", e.getMessage());
    }

    @Test
    void build_checksMaxBytesFirst() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().maxBytes(-5).idleTimeout(Duration.ofSeconds(-1)).build());
        assertEquals("maxBytes must not be negative: -5", e.getMessage());
    }

    @Test
    void builder_changedAfterBuild_leavesBuiltOptionsAlone() {
        SpliceOptions.Builder b = SpliceOptions.builder().maxBytes(10);
        SpliceOptions first = b.build();
        b.maxBytes(20).idleTimeout(Duration.ofSeconds(1)).shutdownOnEof(false);
        assertEquals(10, first.maxBytes());
        assertEquals(Duration.ZERO, first.idleTimeout());
        assertTrue(first.shutdownOnEof());
        assertEquals(20, b.build().maxBytes());
    }

    @Test
    void builder_invalidValueFixed_buildsAgain() {
        SpliceOptions.Builder b = SpliceOptions.builder().maxBytes(-1);
        assertThrows(IllegalArgumentException.class, b::build);
        assertEquals(3, b.maxBytes(3).build().maxBytes());
    }

    @Test
    void equals_sameValues() {
        SpliceOptions x = SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofMillis(1500)).build();
        SpliceOptions y = SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofSeconds(1).plusMillis(500)).build();
        assertEquals(x, y);
        assertEquals(x.hashCode(), y.hashCode());
    }

    @Test
    void equals_eachFieldMatters() {
        SpliceOptions base = SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofSeconds(1)).build();
        assertNotEquals(base, SpliceOptions.builder().maxBytes(8).idleTimeout(Duration.ofSeconds(1)).build());
        assertNotEquals(base, SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofSeconds(2)).build());
        assertNotEquals(base, SpliceOptions.builder().maxBytes(7).idleTimeout(Duration.ofSeconds(1))
                .shutdownOnEof(false).build());
        assertNotEquals(base, null);
        assertNotEquals(base, "SpliceOptions");
    }

    @Test
    void toString_defaults() {
        assertEquals("SpliceOptions{maxBytes=unlimited, idleTimeout=none, tunnelIdleTimeout=none, shutdownOnEof=true}",
                SpliceOptions.defaults().toString());
    }

    @Test
    void toString_values() {
        assertEquals("SpliceOptions{maxBytes=100, idleTimeout=PT30S, tunnelIdleTimeout=none, shutdownOnEof=false}",
                SpliceOptions.builder().maxBytes(100).idleTimeout(Duration.ofSeconds(30)).shutdownOnEof(false)
                        .build().toString());
    }

    @Test
    void tunnelIdleTimeout_default_zero() {
        assertEquals(Duration.ZERO, SpliceOptions.defaults().tunnelIdleTimeout());
    }

    @Test
    void tunnelIdleTimeout_set() {
        SpliceOptions o = SpliceOptions.builder().tunnelIdleTimeout(Duration.ofSeconds(7)).build();
        assertEquals(Duration.ofSeconds(7), o.tunnelIdleTimeout());
        assertEquals(Duration.ZERO, o.idleTimeout());
    }

    @Test
    void tunnelIdleTimeout_negative() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().tunnelIdleTimeout(Duration.ofMillis(-1)).build());
        assertEquals("tunnelIdleTimeout must not be negative: PT-0.001S", e.getMessage());
    }

    @Test
    void tunnelIdleTimeout_overflowingNanoseconds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpliceOptions.builder().tunnelIdleTimeout(Duration.ofSeconds(Long.MAX_VALUE)).build());
        assertEquals("tunnelIdleTimeout is too large (over Long.MAX_VALUE nanoseconds): PT2562047788015215H30M7S",
                e.getMessage());
    }

    @Test
    void tunnelIdleTimeout_null() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> SpliceOptions.builder().tunnelIdleTimeout(null));
        assertEquals("tunnelIdleTimeout", e.getMessage());
    }

    @Test
    void tunnelIdleTimeout_inEquals() {
        SpliceOptions a = SpliceOptions.builder().tunnelIdleTimeout(Duration.ofSeconds(1)).build();
        assertNotEquals(SpliceOptions.defaults(), a);
        assertEquals(a, SpliceOptions.builder().tunnelIdleTimeout(Duration.ofSeconds(1)).build());
    }
}
