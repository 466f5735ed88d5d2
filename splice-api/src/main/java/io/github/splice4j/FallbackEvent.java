package io.github.splice4j;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JFR event of a direction a native backend could not move in the kernel and the engine's
 * copy path moves instead (docs/observability.md, docs/spec.md "Choosing a backend").
 */
@Name("io.github.splice4j.Fallback")
@Label("Splice Fallback")
@Category("splice4j")
@Description("A direction a native backend cannot splice in the kernel, copied by the copy path instead")
@StackTrace(false)
final class FallbackEvent extends jdk.jfr.Event {
    @Label("Backend")
    String backend;

    @Label("Reason")
    String reason;

    @Label("Source")
    String source;

    @Label("Drain")
    String drain;
}
