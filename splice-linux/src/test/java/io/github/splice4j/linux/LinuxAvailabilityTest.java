package io.github.splice4j.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceBackend;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Keeps CI honest: on Linux the backend must be available and chosen by default, so a broken probe
 * fails the build instead of quietly falling back to nio. (Surefire passes the JDK 24+ flags; the
 * flagless case is JvmFlagsTest.)
 */
class LinuxAvailabilityTest {

    private static final boolean LINUX = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");

    @Test
    void linux_availableOnLinux() {
        SpliceBackend linux = Splice.using("linux");
        if (LINUX) {
            assertTrue(linux.isAvailable(), () -> "unavailable: " + linux.unavailabilityCause().orElse(null));
            assertNull(new LinuxSpliceProvider().probe());
        } else {
            assertFalse(linux.isAvailable());
            assertTrue(linux.unavailabilityCause().orElseThrow().getMessage().contains("Linux-only"));
        }
    }

    @Test
    void backend_defaultIsLinuxWithNioBeside() {
        assertTrue(Splice.backends().stream().anyMatch(b -> b.name().equals("nio")), "nio is on the test class path");
        assertEquals(LINUX ? "linux" : "nio", Splice.backend());
    }

    @Test
    void probe_samePerInstance() {
        assertEquals(new LinuxSpliceProvider().probe(), new LinuxSpliceProvider().probe());
    }

    @Test
    void provider_nameAndPriority() {
        LinuxSpliceProvider p = new LinuxSpliceProvider();
        assertEquals("linux", p.name());
        assertEquals(LinuxSpliceProvider.NATIVE_PRIORITY, p.priority());
    }
}
