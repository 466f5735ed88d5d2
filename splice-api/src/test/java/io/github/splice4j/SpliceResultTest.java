package io.github.splice4j;

import static io.github.splice4j.Direction.FORWARD;
import static io.github.splice4j.Direction.REVERSE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpliceResultTest {

    private static final IOException RESET = new IOException("read failed with error ECONNRESET: Connection reset");

    @Test
    void bidirectional_reportsEachDirection() {
        SpliceResult r = SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.EOF, REVERSE, SpliceEnd.ERROR),
                Map.of(FORWARD, 10L, REVERSE, 20L),
                Map.of(REVERSE, RESET));
        assertEquals(EnumSet.allOf(Direction.class), r.directions());
        assertEquals(SpliceEnd.EOF, r.end(FORWARD));
        assertEquals(SpliceEnd.ERROR, r.end(REVERSE));
        assertEquals(10, r.bytes(FORWARD));
        assertEquals(20, r.bytes(REVERSE));
        assertEquals(Optional.empty(), r.error(FORWARD));
        assertSame(RESET, r.error(REVERSE).orElseThrow());
    }

    @Test
    void unidirectional_reverse() {
        SpliceResult r = SpliceResult.of(Map.of(FORWARD, SpliceEnd.MAX_BYTES), Map.of(FORWARD, 5L), Map.of());
        assertEquals(EnumSet.of(FORWARD), r.directions());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.end(REVERSE));
        assertEquals("a unidirectional splice has no REVERSE direction", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> r.bytes(REVERSE));
        assertThrows(IllegalArgumentException.class, () -> r.error(REVERSE));
    }

    @Test
    void direction_null() {
        SpliceResult r = SpliceResult.of(Map.of(FORWARD, SpliceEnd.EOF), Map.of(FORWARD, 0L), Map.of());
        NullPointerException e = assertThrows(NullPointerException.class, () -> r.end(null));
        assertEquals("direction", e.getMessage());
    }

    @Test
    void of_errorWithoutErrorEnd() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.EOF), Map.of(FORWARD, 0L), Map.of(FORWARD, RESET)));
        assertEquals("error must be present iff end is ERROR, for FORWARD", e.getMessage());
    }

    @Test
    void of_errorEndWithoutError() {
        assertThrows(IllegalArgumentException.class, () -> SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.ERROR), Map.of(FORWARD, 0L), Map.of()));
    }

    @Test
    void of_directionsDisagree() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.EOF), Map.of(REVERSE, 0L), Map.of()));
        assertEquals("ends and bytes must name the same directions: [FORWARD] vs [REVERSE]", e.getMessage());
    }

    @Test
    void of_noDirection() {
        assertThrows(IllegalArgumentException.class, () -> SpliceResult.of(Map.of(), Map.of(), Map.of()));
    }

    @Test
    void of_nullMaps() {
        assertEquals("ends", assertThrows(NullPointerException.class,
                () -> SpliceResult.of(null, Map.of(), Map.of())).getMessage());
        assertEquals("bytes", assertThrows(NullPointerException.class,
                () -> SpliceResult.of(Map.of(), null, Map.of())).getMessage());
        assertEquals("errors", assertThrows(NullPointerException.class,
                () -> SpliceResult.of(Map.of(), Map.of(), null)).getMessage());
    }

    @Test
    void of_inputMapsChangedLater_resultUnchanged() {
        Map<Direction, SpliceEnd> ends = new EnumMap<>(Direction.class);
        Map<Direction, Long> bytes = new EnumMap<>(Direction.class);
        ends.put(FORWARD, SpliceEnd.UNSPLICED);
        bytes.put(FORWARD, 3L);
        SpliceResult r = SpliceResult.of(ends, bytes, Map.of());
        ends.put(FORWARD, SpliceEnd.EOF);
        ends.put(REVERSE, SpliceEnd.EOF);
        bytes.put(FORWARD, 4L);
        assertEquals(SpliceEnd.UNSPLICED, r.end(FORWARD));
        assertEquals(3, r.bytes(FORWARD));
        assertEquals(EnumSet.of(FORWARD), r.directions());
    }

    @Test
    void toString_namesEndsBytesAndErrors() {
        SpliceResult r = SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.IDLE_TIMEOUT, REVERSE, SpliceEnd.ERROR),
                Map.of(FORWARD, 1L, REVERSE, 2L),
                Map.of(REVERSE, RESET));
        assertEquals("SpliceResult{FORWARD=IDLE_TIMEOUT 1 B, REVERSE=ERROR 2 B "
                + "(read failed with error ECONNRESET: Connection reset)}", r.toString());
    }

    @Test
    void directions_iterationOrder() {
        SpliceResult r = SpliceResult.of(
                Map.of(REVERSE, SpliceEnd.EOF, FORWARD, SpliceEnd.EOF), Map.of(REVERSE, 0L, FORWARD, 0L), Map.of());
        assertTrue(r.directions().iterator().next() == FORWARD);
    }

    @Test
    void undelivered_idleTimeout_copiedReadOnlyAndRepeatable() {
        ByteBuffer held = ByteBuffer.wrap(new byte[] {1, 2, 3});
        SpliceResult r = SpliceResult.of(Map.of(FORWARD, SpliceEnd.IDLE_TIMEOUT), Map.of(FORWARD, 7L), Map.of(),
                Map.of(FORWARD, held));
        held.put(0, (byte) 9);
        ByteBuffer first = r.undelivered(FORWARD);
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), first);
        assertThrows(ReadOnlyBufferException.class, () -> first.put((byte) 0));
        first.get();
        assertEquals(3, r.undelivered(FORWARD).remaining());
        assertEquals("SpliceResult{FORWARD=IDLE_TIMEOUT 7 B (3 B undelivered)}", r.toString());
    }

    @Test
    void undelivered_none_empty() {
        SpliceResult r = SpliceResult.of(Map.of(FORWARD, SpliceEnd.EOF), Map.of(FORWARD, 7L), Map.of());
        assertFalse(r.undelivered(FORWARD).hasRemaining());
        assertThrows(IllegalArgumentException.class, () -> r.undelivered(REVERSE));
    }

    @Test
    void of_undeliveredWithoutIdleEnd() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpliceResult.of(
                Map.of(FORWARD, SpliceEnd.EOF), Map.of(FORWARD, 0L), Map.of(), Map.of(FORWARD, ByteBuffer.allocate(1))));
        assertEquals("undelivered bytes only at an idle timeout, not for FORWARD ending EOF", e.getMessage());
    }
}
