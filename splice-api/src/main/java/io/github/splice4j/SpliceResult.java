package io.github.splice4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of a finished splice: for each of its directions, why it ended, how many bytes it
 * delivered and, if it ended {@link SpliceEnd#ERROR}, the exception; and the bytes it took from
 * its source but could not deliver before an idle timeout ({@link #undelivered}). Immutable.
 */
public final class SpliceResult {

    private final Map<Direction, SpliceEnd> ends;
    private final Map<Direction, Long> bytes;
    private final Map<Direction, IOException> errors;
    private final Map<Direction, ByteBuffer> undelivered;

    private SpliceResult(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes,
            Map<Direction, IOException> errors, Map<Direction, ByteBuffer> undelivered) {
        this.ends = ends;
        this.bytes = bytes;
        this.errors = errors;
        this.undelivered = undelivered;
    }

    /**
     * Creates a result; used by the engine. {@code errors} holds an entry exactly for the
     * directions whose end is {@link SpliceEnd#ERROR}.
     *
     * @param ends why each direction ended
     * @param bytes the bytes each direction delivered, for the same directions as {@code ends}
     * @param errors the exception of each direction that ended {@link SpliceEnd#ERROR}
     * @return the result, holding copies of the maps
     * @throws IllegalArgumentException if the maps disagree on directions or errors
     */
    static SpliceResult of(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes,
            Map<Direction, IOException> errors) {
        return of(ends, bytes, errors, Map.of());
    }

    /**
     * Creates a result with bytes left undelivered; used by the engine. {@code undelivered} holds
     * an entry only for directions that ended {@link SpliceEnd#IDLE_TIMEOUT} holding bytes taken
     * from the source; each buffer's bytes between its position and limit are copied.
     *
     * @param ends why each direction ended
     * @param bytes the bytes each direction delivered, for the same directions as {@code ends}
     * @param errors the exception of each direction that ended {@link SpliceEnd#ERROR}
     * @param undelivered the bytes taken but not delivered by directions that ended
     *     {@link SpliceEnd#IDLE_TIMEOUT}
     * @return the result, holding copies of the maps and buffers
     * @throws IllegalArgumentException if the maps disagree on directions, errors or undelivered bytes
     */
    static SpliceResult of(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes,
            Map<Direction, IOException> errors, Map<Direction, ByteBuffer> undelivered) {
        Objects.requireNonNull(undelivered, "undelivered");
        Objects.requireNonNull(ends, "ends");
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(errors, "errors");
        if (ends.isEmpty() || !ends.keySet().equals(bytes.keySet())) {
            throw new IllegalArgumentException("ends and bytes must name the same directions: "
                    + ends.keySet() + " vs " + bytes.keySet());
        }
        for (Direction d : ends.keySet()) {
            if ((ends.get(d) == SpliceEnd.ERROR) != errors.containsKey(d)) {
                throw new IllegalArgumentException("error must be present iff end is ERROR, for " + d);
            }
        }
        Map<Direction, ByteBuffer> left = new EnumMap<>(Direction.class);
        for (Map.Entry<Direction, ByteBuffer> e : undelivered.entrySet()) {
            if (ends.get(e.getKey()) != SpliceEnd.IDLE_TIMEOUT) {
                throw new IllegalArgumentException("undelivered bytes only at an idle timeout, not for "
                        + e.getKey() + " ending " + ends.get(e.getKey()));
            }
            if (e.getValue().hasRemaining()) {
                ByteBuffer copy = ByteBuffer.allocate(e.getValue().remaining());
                copy.put(e.getValue().duplicate()).flip();
                left.put(e.getKey(), copy.asReadOnlyBuffer());
            }
        }
        return new SpliceResult(new EnumMap<>(ends), new EnumMap<>(bytes),
                errors.isEmpty() ? Map.of() : new EnumMap<>(errors), left.isEmpty() ? Map.of() : left);
    }

    /**
     * The directions of the splice.
     *
     * @return {@code FORWARD}, and {@code REVERSE} if bidirectional; unmodifiable
     */
    public Set<Direction> directions() {
        return Collections.unmodifiableSet(ends.keySet());
    }

    /**
     * Why {@code direction} ended.
     *
     * @param direction the direction, not null
     * @return the end of that direction
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public SpliceEnd end(Direction direction) {
        return ends.get(check(direction));
    }

    /**
     * The bytes delivered to the drain in {@code direction}, final.
     *
     * @param direction the direction, not null
     * @return the byte count
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public long bytes(Direction direction) {
        return bytes.get(check(direction));
    }

    /**
     * The exception that ended {@code direction}: present if and only if its end is
     * {@link SpliceEnd#ERROR}.
     *
     * @param direction the direction, not null
     * @return the exception, or empty
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public Optional<IOException> error(Direction direction) {
        return Optional.ofNullable(errors.get(check(direction)));
    }

    /**
     * Bytes {@code direction} took from its source but could not deliver: the drain accepted
     * none of them before the idle timeout ended the direction. They come right after the
     * {@link #bytes delivered} ones and right before whatever is still unread in the source, so
     * an application that goes on using the channels writes them to the drain itself first, and
     * nothing is lost (docs/spec.md, "Integrity"). Empty for every other end, for a kernel backend (bsd),
     * whose bytes never leave the sockets' buffers, and whenever the drain took everything.
     *
     * @param direction the direction, not null
     * @return a read-only buffer, a new view on each call, from position 0 to its limit
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public ByteBuffer undelivered(Direction direction) {
        ByteBuffer b = undelivered.get(check(direction));
        return b == null ? ByteBuffer.allocate(0).asReadOnlyBuffer() : b.duplicate();
    }

    private Direction check(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        if (!ends.containsKey(direction)) {
            throw new IllegalArgumentException("a unidirectional splice has no " + direction + " direction");
        }
        return direction;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SpliceResult{");
        String sep = "";
        for (Direction d : ends.keySet()) {
            sb.append(sep).append(d).append('=').append(ends.get(d)).append(' ').append(bytes.get(d)).append(" B");
            IOException e = errors.get(d);
            if (e != null) {
                sb.append(" (").append(e.getMessage()).append(')');
            }
            ByteBuffer left = undelivered.get(d);
            if (left != null) {
                sb.append(" (").append(left.remaining()).append(" B undelivered)");
            }
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
