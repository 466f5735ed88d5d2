/**
 * Backend {@code nio}: the pure-Java backend, available wherever the JDK is. Its provider leaves
 * every direction to the engine's copy through pooled direct buffers; it is chosen when no
 * kernel-splicing backend is available, or when forced with {@code -Dsplice4j.backend=nio}.
 */
package io.github.splice4j.nio;
