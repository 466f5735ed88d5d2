package io.github.splice4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Backend discovery and choice (docs/spec.md, "Choosing a backend"). Each test discovers through a class loader that sees
 * one scenario's services file; the plain test class path has no backend at all.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BackendsTest {

    @BeforeEach
    void forgetLog() {
        CapturingLoggerFinder.clear();
    }

    @AfterEach
    void restore() {
        System.clearProperty(Backends.PROPERTY);
        Backends.reset(Backends.class.getClassLoader());
    }

    @Test
    void noBackendOnPath_backendNamesTheArtifacts() {
        Backends.reset(Backends.class.getClassLoader());
        IllegalStateException e = assertThrows(IllegalStateException.class, Splice::backend);
        assertEquals("No splice4j backend found on the class path or module path: "
                + "add the dependency io.github.splice4j:splice4j (all backends), "
                + "or one of io.github.splice4j:splice-linux, splice-bsd, splice-fallback", e.getMessage());
    }

    @Test
    void noBackendOnPath_splicingFailsWithTheSameMessage() throws IOException {
        Backends.reset(Backends.class.getClassLoader());
        try (Pair p = new Pair()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Splice.unidirectional(p.client, p.accepted));
            assertEquals(Backends.NONE_FOUND, e.getMessage());
            assertTrue(p.client.isBlocking() && !p.client.isRegistered());
        }
    }

    @Test
    void noBackendOnPath_backendsEmptyAndUsingFails() {
        Backends.reset(Backends.class.getClassLoader());
        assertTrue(Splice.backends().isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Splice.using("nio"));
        assertEquals("no splice4j backend named 'nio'; found: none", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixed", "mixed-reversed"})
    void choice_highestAvailablePriority_whateverTheClassPathOrder(String scenario) {
        use(scenario);
        assertEquals("fake-kernel", Splice.backend());
        // the unavailable fake-native, of the same priority as fake-kernel, is listed last
        assertEquals(List.of("fake-kernel", "fake-copy", "fake-native"), names(Splice.backends()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tie", "tie-reversed"})
    void choice_samePriority_brokenByName(String scenario) {
        use(scenario);
        assertEquals("aardvark", Splice.backend());
        assertEquals(List.of("aardvark", "fake-kernel"), names(Splice.backends()));
    }

    @Test
    void choice_nativeUnavailable_fallsBackAndLogsWhyOnce() {
        use("fallback");
        assertEquals("fake-copy", Splice.backend());
        assertEquals("fake-copy", Splice.backend());
        String expected = "splice4j: using backend fake-copy; skipped fake-native unavailable: no kernel splice here";
        assertEquals(List.of(expected), messages(Level.INFO));
    }

    @Test
    void choiceMessage_nothingSkipped() {
        use("mixed");
        Backend kernel = (Backend) Backends.named("fake-kernel");
        assertEquals("splice4j: using backend fake-kernel", Backends.choiceMessage(kernel, null, backends()));
    }

    @Test
    void choiceMessage_forced() {
        use("mixed");
        Backend copy = (Backend) Backends.named("fake-copy");
        assertEquals("splice4j: using backend fake-copy (forced by -Dsplice4j.backend=fake-copy); "
                + "skipped fake-native unavailable: no kernel splice here",
                Backends.choiceMessage(copy, "forced by -Dsplice4j.backend=fake-copy", backends()));
    }

    @Test
    void choiceMessage_everyUnavailableHigherOneNamed() {
        use("broken");
        Backend copy = (Backend) Backends.named("fake-copy");
        assertEquals("splice4j: using backend fake-copy; skipped fake-broken unavailable: probe exploded",
                Backends.choiceMessage(copy, null, backends()));
    }

    @Test
    void forced_available_usedEvenIfNotTheHighest() {
        use("mixed");
        System.setProperty(Backends.PROPERTY, "fake-copy");
        assertEquals("fake-copy", Splice.backend());
    }

    @Test
    void forced_unavailable_splicingFailsWithTheCause() throws IOException {
        use("mixed");
        System.setProperty(Backends.PROPERTY, "fake-native");
        assertEquals("fake-native", Splice.backend());
        try (Pair p = new Pair()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Splice.bidirectional(p.client, p.accepted));
            assertEquals("splice4j backend 'fake-native' is unavailable: no kernel splice here", e.getMessage());
            assertInstanceOf(UnsupportedOperationException.class, e.getCause());
            assertUntouched(p);
        }
    }

    @Test
    void forced_missing_splicingFailsNamingWhatWasFound() throws IOException {
        use("mixed");
        System.setProperty(Backends.PROPERTY, " nope ");
        assertEquals("nope", Splice.backend());
        try (Pair p = new Pair()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Splice.unidirectional(p.client, p.accepted));
            assertEquals("splice4j backend 'nope' is unavailable: splice4j backend 'nope' was forced by "
                    + "-Dsplice4j.backend but is not on the path; found: fake-kernel, fake-native, fake-copy",
                    e.getMessage());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertUntouched(p);
        }
    }

    @Test
    void forced_blank_ignored() {
        use("mixed");
        System.setProperty(Backends.PROPERTY, "  ");
        assertEquals("fake-kernel", Splice.backend());
    }

    @Test
    void noneAvailable_highestReportsItsCauseOnUse() throws IOException {
        use("none-available");
        assertEquals("fake-native", Splice.backend());
        try (Pair p = new Pair()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Splice.unidirectional(p.client, p.accepted));
            assertEquals("splice4j backend 'fake-native' is unavailable: no kernel splice here", e.getMessage());
            assertUntouched(p);
        }
    }

    @Test
    void using_unavailable_reportsWhyAndRefusesToSplice() throws IOException {
        use("mixed");
        SpliceBackend b = Splice.using("fake-native");
        assertFalse(b.isAvailable());
        assertEquals("no kernel splice here", b.unavailabilityCause().orElseThrow().getMessage());
        try (Pair p = new Pair()) {
            assertThrows(IllegalStateException.class, () -> b.unidirectional(p.client, p.accepted));
            assertUntouched(p);
        }
    }

    @Test
    void using_unknownName() {
        use("mixed");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Splice.using("linux"));
        assertEquals("no splice4j backend named 'linux'; found: fake-kernel, fake-native, fake-copy", e.getMessage());
    }

    @Test
    void using_null() {
        use("mixed");
        assertEquals("name", assertThrows(NullPointerException.class, () -> Splice.using(null)).getMessage());
    }

    @Test
    void probe_throwing_makesBackendUnavailableWithThatCause() {
        use("broken");
        SpliceBackend b = Splice.using("fake-broken");
        assertFalse(b.isAvailable());
        assertEquals("probe exploded", b.unavailabilityCause().orElseThrow().getMessage());
        assertEquals("fake-copy", Splice.backend());
    }

    @Test
    void probe_runsOnce() {
        use("mixed");
        for (int i = 0; i < 5; i++) {
            Splice.backends().forEach(SpliceBackend::isAvailable);
            Splice.backend();
        }
        for (Backend b : backends()) {
            assertEquals(1, ((FakeProviders.Fake) b.provider()).probes.get(), b.name());
        }
    }

    @Test
    void providerFailingToLoad_skippedAndLogged() {
        use("broken");
        assertEquals(List.of("fake-copy", "fake-broken"), names(Splice.backends()));
        List<String> warnings = messages(Level.WARNING);
        assertEquals(2, warnings.size(), warnings::toString);
        assertTrue(warnings.stream().allMatch(m -> m.startsWith("splice4j: a backend failed to load and is skipped: ")),
                warnings::toString);
    }

    @Test
    void sameNameTwice_keptOnce() {
        use("duplicate");
        assertEquals(List.of("fake-copy"), names(Splice.backends()));
        assertEquals(1, messages(Level.WARNING).size());
    }

    @Test
    void backends_unmodifiable() {
        use("mixed");
        assertThrows(UnsupportedOperationException.class, () -> Splice.backends().clear());
    }

    @Test
    void backend_toString_namesPriorityAndAvailability() {
        use("mixed");
        assertEquals("fake-kernel (priority 100) available", Backends.named("fake-kernel").toString());
        assertEquals("fake-native (priority 100) unavailable: no kernel splice here",
                Backends.named("fake-native").toString());
    }

    private static void use(String scenario) {
        URL dir = BackendsTest.class.getResource("/scenarios/" + scenario + "/");
        Backends.reset(new URLClassLoader(new URL[] {dir}, BackendsTest.class.getClassLoader()));
    }

    private static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        for (SpliceBackend b : Backends.all()) {
            list.add((Backend) b);
        }
        return list;
    }

    private static List<String> names(List<SpliceBackend> backends) {
        return backends.stream().map(SpliceBackend::name).collect(Collectors.toList());
    }

    private static List<String> messages(Level level) {
        return CapturingLoggerFinder.messages(level);
    }

    private static void assertUntouched(Pair p) {
        assertTrue(p.client.isBlocking() && p.accepted.isBlocking(), "blocking mode changed");
        assertFalse(p.client.isRegistered() || p.accepted.isRegistered(), "registered");
    }

    /** Two connected loopback channels. */
    private static final class Pair implements AutoCloseable {
        final SocketChannel client;
        final SocketChannel accepted;

        Pair() throws IOException {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
                client = SocketChannel.open(server.getLocalAddress());
                accepted = server.accept();
            }
        }

        @Override
        public void close() throws IOException {
            client.close();
            accepted.close();
        }
    }
}
