package io.github.splice4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EnginePropertiesTest {

    @AfterEach
    void clear() {
        System.clearProperty(EngineProperties.THREADS);
        System.clearProperty(EngineProperties.EVENT_BUDGET);
        System.clearProperty(EngineProperties.BACKEND);
        System.clearProperty(EngineProperties.NIO_BUFFER_SIZE);
    }

    @Test
    void threads_zero() {
        assertEquals("splice4j.threads must be an integer from 1 to 256: 0", failure(EngineProperties.THREADS, "0"));
    }

    @Test
    void threads_notAnInteger() {
        assertEquals("splice4j.threads must be an integer from 1 to 256: two",
                failure(EngineProperties.THREADS, "two"));
    }

    @Test
    void threads_aboveMaximum() {
        assertEquals("splice4j.threads must be an integer from 1 to 256: 257",
                failure(EngineProperties.THREADS, "257"));
    }

    @Test
    void threads_set() {
        System.setProperty(EngineProperties.THREADS, " 3 ");
        assertEquals(3, EngineProperties.read().threads);
    }

    @Test
    void threads_unset() {
        assertEquals(Math.min(256, Runtime.getRuntime().availableProcessors()), EngineProperties.read().threads);
    }

    @Test
    void eventBudget_belowMinimum() {
        assertEquals("splice4j.eventBudget must be an integer from 4096 to 1073741824: 100",
                failure(EngineProperties.EVENT_BUDGET, "100"));
    }

    @Test
    void eventBudget_notAnInteger() {
        assertEquals("splice4j.eventBudget must be an integer from 4096 to 1073741824: 64k",
                failure(EngineProperties.EVENT_BUDGET, "64k"));
    }

    @Test
    void eventBudget_blank() {
        System.setProperty(EngineProperties.EVENT_BUDGET, " ");
        assertEquals(EngineProperties.DEFAULT_EVENT_BUDGET, EngineProperties.read().eventBudget);
    }

    @Test
    void nioBufferSize_belowMinimum() {
        assertEquals("splice4j.nio.bufferSize must be an integer from 4096 to 1073741824: 1024",
                failure(EngineProperties.NIO_BUFFER_SIZE, "1024"));
    }

    @Test
    void nioBufferSize_set() {
        System.setProperty(EngineProperties.NIO_BUFFER_SIZE, "65536");
        assertEquals(65536, EngineProperties.read().nioBufferSize);
    }

    @Test
    void backend_blank() {
        System.setProperty(EngineProperties.BACKEND, "  ");
        assertNull(EngineProperties.backend());
    }

    @Test
    void backend_trimmed() {
        System.setProperty(EngineProperties.BACKEND, " nio ");
        assertEquals("nio", EngineProperties.backend());
    }

    private static String failure(String property, String value) {
        System.setProperty(property, value);
        return assertThrows(IllegalArgumentException.class, EngineProperties::read).getMessage();
    }
}
