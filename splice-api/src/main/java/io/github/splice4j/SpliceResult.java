package io.github.splice4j;

import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The outcome of a finished splice: for each of its directions, why it ended, how many bytes it
 * delivered and, if it ended {@link SpliceEnd#ERROR}, the exception. Immutable.
 */
public final class SpliceResult {

    private final Map<Direction, SpliceEnd> ends;
    private final Map<Direction, Long> bytes;
    private final Map<Direction, IOException> errors;

    private SpliceResult(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes,
            Map<Direction, IOException> errors) {
        this.ends = ends;
        this.bytes = bytes;
        this.errors = errors;
    }

    /**
     * Creates a result; used by backends. {@code errors} holds an entry exactly for the
     * directions whose end is {@link SpliceEnd#ERROR}.
     *
     * @throws IllegalArgumentException if the maps disagree on directions or errors
     */
    public static SpliceResult of(Map<Direction, SpliceEnd> ends, Map<Direction, Long> bytes,
            Map<Direction, IOException> errors) {
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
        return new SpliceResult(new EnumMap<>(ends), new EnumMap<>(bytes),
                errors.isEmpty() ? Map.of() : new EnumMap<>(errors));
    }

    /** The directions of the splice: {@code FORWARD}, and {@code REVERSE} if bidirectional. */
    public Set<Direction> directions() {
        return Collections.unmodifiableSet(ends.keySet());
    }

    /**
     * Why {@code direction} ended.
     *
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public SpliceEnd end(Direction direction) {
        return ends.get(check(direction));
    }

    /**
     * The bytes delivered to the drain in {@code direction}, final.
     *
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public long bytes(Direction direction) {
        return bytes.get(check(direction));
    }

    /**
     * The exception that ended {@code direction}: present if and only if its end is
     * {@link SpliceEnd#ERROR}.
     *
     * @throws IllegalArgumentException if the splice has no such direction
     */
    public Optional<IOException> error(Direction direction) {
        return Optional.ofNullable(errors.get(check(direction)));
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
            sep = ", ";
        }
        return sb.append('}').toString();
    }
}
