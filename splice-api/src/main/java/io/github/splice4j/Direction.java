package io.github.splice4j;

/**
 * One direction of a splice.
 *
 * <p>For {@code Splice.bidirectional(a, b)}, {@link #FORWARD} moves bytes arriving on {@code a}
 * to {@code b} and {@link #REVERSE} moves bytes arriving on {@code b} to {@code a}. A
 * unidirectional splice has only {@link #FORWARD}: source to drain.
 */
public enum Direction {
    /** Source to drain; {@code a} to {@code b} in a bidirectional splice. */
    FORWARD,
    /** {@code b} to {@code a}; only in a bidirectional splice. */
    REVERSE
}
