package io.github.splice4j;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The JFR event of one finished splice (docs/observability.md). Committed by the event-loop
 * thread that handed the channels back; no stack trace, as it would only show the loop.
 */
@Name("io.github.splice4j.Splice")
@Label("Splice")
@Category("splice4j")
@Description("A splice that completed: its backend, the bytes and end reason of each direction, and how long it ran")
@StackTrace(false)
final class SpliceEvent extends jdk.jfr.Event {
    @Label("Backend")
    String backend;

    @Label("Forward Bytes")
    @DataAmount
    long forwardBytes;

    @Label("Forward End")
    String forwardEnd;

    @Label("Reverse Bytes")
    @Description("Bytes of the reverse direction; 0 for a unidirectional splice")
    @DataAmount
    long reverseBytes;

    @Label("Reverse End")
    @Description("Why the reverse direction ended; null for a unidirectional splice")
    String reverseEnd;

    @Label("Error")
    @Description("The error of the first direction that ended ERROR; null if none did")
    String error;

    @Label("Spliced For")
    @Description("From the start of the splice to the hand-back of its channels")
    @Timespan(Timespan.NANOSECONDS)
    long splicedFor;
}
