package io.github.splice4j.spi;

/**
 * Reads the {@code splice4j.*} system properties the one way they are all read: unset or blank
 * means the default, anything else must parse and lie in range, or the read throws an
 * {@link IllegalArgumentException} naming the property, what it allows and the value given, e.g.
 * {@code splice4j.threads must be an integer from 1 to 256: 0}. A caller reads a property when it
 * is first needed (not in a static initializer), so a bad value fails that first use with this
 * message rather than being ignored or surfacing as a class-initialization error. Every property
 * is listed in docs/spec.md, "Properties".
 */
public final class SystemProperties {

    private SystemProperties() {
    }

    /**
     * The integer property {@code name}.
     *
     * @param name the property, e.g. {@code "splice4j.threads"}
     * @param defaultValue the value when it is unset or blank; not checked against the range
     * @param min the smallest value allowed
     * @param max the largest value allowed
     * @return the value set, or {@code defaultValue}
     * @throws IllegalArgumentException if the value set is not a decimal integer from {@code min}
     *     to {@code max}
     */
    public static int integer(String name, int defaultValue, int min, int max) {
        String raw = System.getProperty(name);
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw outOfRange(name, min, max, raw);
        }
        if (value < min || value > max) {
            throw outOfRange(name, min, max, raw);
        }
        return value;
    }

    /**
     * The string property {@code name}, trimmed.
     *
     * @param name the property's name
     * @return the value set, trimmed, or null if it is unset or blank
     */
    public static String string(String name) {
        String raw = System.getProperty(name);
        return raw == null || raw.isBlank() ? null : raw.trim();
    }

    private static IllegalArgumentException outOfRange(String name, int min, int max, String raw) {
        return new IllegalArgumentException(name + " must be an integer from " + min + " to " + max + ": " + raw);
    }
}
