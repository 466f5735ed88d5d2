package io.github.splice4j.reliability;

import io.github.splice4j.SpliceEnd;
import io.github.splice4j.reliability.RelayProcess.ConnLine;
import io.github.splice4j.reliability.SoakTraffic.Conn;
import io.github.splice4j.reliability.SoakTraffic.Fault;
import io.github.splice4j.reliability.SoakTraffic.Peer;
import io.github.splice4j.reliability.SoakTraffic.Plan;
import io.github.splice4j.reliability.SoakTraffic.Side;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What must hold for each soak connection, given its plan, what its two peers saw and the line
 * the relay logged; and the counts the report prints.
 *
 * <p>For every connection: no byte appears that was not sent, and what each peer received is
 * exactly the start of what the other sent (SHA-256 of the prefix), so nothing was lost,
 * duplicated or reordered before the point where the connection was cut. For a clean connection
 * (and a half-close, and a stall shorter than the idle timeout) every byte arrives, both
 * directions end EOF and the digests match the senders'. For a faulty one the end reasons follow
 * the fault:
 * <ul>
 *   <li>a reset peer: ERROR on the direction it is the source of;
 *   <li>a vanished peer: each direction EOF or ERROR, or IDLE_TIMEOUT when the other peer stays
 *       silent past the idle timeout;
 *   <li>a reader stalled past the idle timeout (the relay's --idle is the tunnel form: it ends the
 *       connection once neither direction moved): its incoming direction IDLE_TIMEOUT, or everything
 *       delivered; the other direction EOF if it had finished, else IDLE_TIMEOUT with it, or
 *       UNSPLICED (the relay closes both ways when a direction ends other than by EOF).
 * </ul>
 * An ERROR end must come with an error message naming the errno.
 */
final class SoakCheck {

    private static final Pattern ERRNO = Pattern.compile("\\bE[A-Z0-9]{2,}\\b");

    /** The report's counts, over every connection checked. */
    static final class Tally {
        final Map<String, Integer> kinds = new TreeMap<>();
        final Map<String, Integer> ends = new TreeMap<>();
        final Map<String, Long> maxQuietMillis = new TreeMap<>();
        long connections;
        long bytesRelayed;
        long bytesVerifiedWhole;
        long bytesVerifiedPrefix;
        long endedWithError;
        long bytesUp;
        long bytesDown;
        /** Directions that ended IDLE_TIMEOUT instead of EOF or ERROR after really having nothing to move that long. */
        long quietTimeouts;

        long faults() {
            return connections - kinds.getOrDefault("clean", 0);
        }
    }

    private SoakCheck() {
    }

    /** The problems with {@code c}, each one line; adds it to {@code tally}. */
    static List<String> verify(Conn c, String backend, long idleMillis, Tally tally) {
        List<String> bad = new ArrayList<>();
        Plan p = c.plan;
        String kind = p.kind(idleMillis);
        tally.connections++;
        tally.kinds.merge(kind, 1, Integer::sum);
        ConnLine l = c.line;
        if (l == null) {
            bad.add("the relay logged nothing for it");
            return bad;
        }
        tally.ends.merge(kind + ": up " + l.upEnd() + ", down " + l.downEnd(), 1, Integer::sum);
        tally.maxQuietMillis.merge(kind, TimeUnit.NANOSECONDS.toMillis(Math.max(0, c.quietAtLineNanos)), Math::max);
        tally.bytesRelayed += l.up() + l.down();
        tally.bytesUp += l.up();
        tally.bytesDown += l.down();
        if (l.upEnd() == SpliceEnd.ERROR || l.downEnd() == SpliceEnd.ERROR) {
            tally.endedWithError++;
            if (l.error() == null || !ERRNO.matcher(l.error()).find()) {
                bad.add("an ERROR end whose message names no errno: " + l.error());
            }
        }
        if (!l.backend().equals(backend)) {
            bad.add("spliced by backend " + l.backend() + ", not " + backend);
        }
        Peer cl = c.clientPeer;
        Peer sv = c.serverPeer;
        long clientSent = cl.header.position() + cl.sent;
        if (l.up() > clientSent) {
            bad.add("the relay delivered " + l.up() + " bytes up, the client sent only " + clientSent);
        }
        long serverSent = sv == null ? 0 : sv.sent;
        if (l.down() > serverSent) {
            bad.add("the relay delivered " + l.down() + " bytes down, the server sent only " + serverSent);
        }
        if (cl.received > l.down()) {
            bad.add("the client received " + cl.received + " bytes, the relay delivered only " + l.down());
        }
        if (sv != null && SoakTraffic.HEADER + sv.received > l.up()) {
            bad.add("the server received " + (SoakTraffic.HEADER + sv.received) + " bytes, the relay delivered only "
                    + l.up());
        }
        // integrity: each side received exactly a prefix of what the other sent
        if (sv == null) {
            if (cl.received != 0) {
                bad.add("the client received " + cl.received + " bytes from a server that never saw it");
            }
        } else {
            checkPrefix("down", cl, sv, p.downSeed(), bad, tally);
            checkPrefix("up", sv, cl, p.upSeed(), bad, tally);
        }
        expectEnds(c, l, idleMillis, tally, bad);
        return bad;
    }

    private static void checkPrefix(String direction, Peer receiver, Peer sender, long seed, List<String> bad,
            Tally tally) {
        String got = Payload.hex(receiver.receivedDigest);
        if (receiver.received == sender.sent) {
            if (!got.equals(Payload.hex(sender.sentDigest))) {
                bad.add(direction + ": " + receiver.received + " bytes arrived, all of them, but their SHA-256 differs "
                        + "from the sender's");
            }
            tally.bytesVerifiedWhole += receiver.received;
        } else if (!got.equals(Payload.digest(seed, 0, receiver.received))) {
            bad.add(direction + ": the " + receiver.received + " bytes that arrived are not the first "
                    + receiver.received + " the sender sent (SHA-256 differs)");
        } else {
            tally.bytesVerifiedPrefix += receiver.received;
        }
    }

    private static void expectEnds(Conn c, ConnLine l, long idleMillis, Tally tally, List<String> bad) {
        Plan p = c.plan;
        Peer cl = c.clientPeer;
        Peer sv = c.serverPeer;
        boolean shortStall = p.fault() == Fault.STALL && p.stallMillis() < idleMillis;
        Set<SpliceEnd> eofOrError = EnumSet.of(SpliceEnd.EOF, SpliceEnd.ERROR);
        switch (p.fault()) {
            case NONE:
            case HALF_CLOSE:
                expectWholeUnlessQuiet(c, l, idleMillis, tally, bad);
                return;
            case STALL:
                if (shortStall) {
                    expectWholeUnlessQuiet(c, l, idleMillis, tally, bad);
                    return;
                }
                boolean clientStalls = p.faulty() == Side.CLIENT;
                SpliceEnd stalledEnd = clientStalls ? l.downEnd() : l.upEnd();
                SpliceEnd otherEnd = clientStalls ? l.upEnd() : l.downEnd();
                // EOF, or, now that a non-EOF end closes the connection, IDLE_TIMEOUT (the tunnel timeout
                // ends both directions) or UNSPLICED (the relay unspliced it after the stalled one ended)
                boolean otherQuiet = expectEnd(c, clientStalls ? SoakTraffic.UP : SoakTraffic.DOWN, otherEnd,
                        EnumSet.of(SpliceEnd.EOF, SpliceEnd.IDLE_TIMEOUT, SpliceEnd.UNSPLICED),
                        "the direction towards the healthy peer", idleMillis, tally, bad);
                if (stalledEnd == SpliceEnd.EOF) {
                    if (!otherQuiet) {
                        expectWhole(c, l, bad);
                    }
                } else if (stalledEnd != SpliceEnd.IDLE_TIMEOUT) {
                    bad.add("the direction towards the stalled reader ended " + stalledEnd
                            + ", expected IDLE_TIMEOUT or everything delivered");
                } else if (otherEnd == SpliceEnd.EOF && (clientStalls ? cl.received != l.down()
                        : sv == null || SoakTraffic.HEADER + sv.received != l.up())) {
                    // the other direction ended with EOF, so the relay closed this socket with nothing
                    // unread: every byte it counted as delivered must have reached the stalled peer (had
                    // the stalled peer's own bytes been left unread, its kernel may reset the connection)
                    bad.add("after IDLE_TIMEOUT the stalled peer got fewer bytes than the relay delivered");
                }
                return;
            case RESET:
                SpliceEnd fromReset = p.faulty() == Side.CLIENT ? l.upEnd() : l.downEnd();
                SpliceEnd toReset = p.faulty() == Side.CLIENT ? l.downEnd() : l.upEnd();
                int fromDir = p.faulty() == Side.CLIENT ? SoakTraffic.UP : SoakTraffic.DOWN;
                expectEnd(c, fromDir, fromReset, EnumSet.of(SpliceEnd.ERROR), "the direction whose source was reset",
                        idleMillis, tally, bad);
                expectEnd(c, 1 - fromDir, toReset, eofOrError, "the direction towards the reset peer", idleMillis, tally,
                        bad);
                return;
            case VANISH:
                // IDLE_TIMEOUT too: when the remaining peer reacts to the vanished one later than the idle
                // timeout (a loaded machine), the tunnel timeout ends the connection, as it should
                Set<SpliceEnd> vanished = EnumSet.of(SpliceEnd.EOF, SpliceEnd.ERROR, SpliceEnd.IDLE_TIMEOUT);
                expectEnd(c, SoakTraffic.UP, l.upEnd(), vanished, "a vanished peer: up", idleMillis, tally, bad);
                expectEnd(c, SoakTraffic.DOWN, l.downEnd(), vanished, "a vanished peer: down", idleMillis, tally, bad);
                return;
            default:
                throw new AssertionError(p.fault());
        }
    }

    /**
     * {@link #expectWhole}, unless a direction ended IDLE_TIMEOUT while its peers may really have
     * been quiet that long: on a loaded machine this JVM's traffic loop can be held up for
     * seconds, and then the relay is right to time out. Such an end is accepted only with that
     * evidence ({@link Conn#mayHaveBeenQuiet}); the other direction must then have ended EOF or
     * the same way. What arrived was checked byte for byte (exact prefixes) in {@link #verify}
     * either way.
     */
    private static void expectWholeUnlessQuiet(Conn c, ConnLine l, long idleMillis, Tally tally, List<String> bad) {
        boolean upIdle = l.upEnd() == SpliceEnd.IDLE_TIMEOUT;
        boolean downIdle = l.downEnd() == SpliceEnd.IDLE_TIMEOUT;
        if (!upIdle && !downIdle) {
            expectWhole(c, l, bad);
            return;
        }
        Set<SpliceEnd> eof = EnumSet.of(SpliceEnd.EOF);
        expectEnd(c, SoakTraffic.UP, l.upEnd(), eof, "up", idleMillis, tally, bad);
        expectEnd(c, SoakTraffic.DOWN, l.downEnd(), eof, "down", idleMillis, tally, bad);
    }

    /**
     * Checks that direction {@code d} ended in one of {@code expected}, or IDLE_TIMEOUT where it
     * may really have had nothing to move for the idle timeout ({@link Conn#mayHaveBeenQuiet}):
     * under load this JVM's peers can be held up that long (a late accept, a stalled loop), and
     * then the relay is right. Returns true for such an accepted IDLE_TIMEOUT.
     */
    private static boolean expectEnd(Conn c, int d, SpliceEnd actual, Set<SpliceEnd> expected, String what,
            long idleMillis, Tally tally, List<String> bad) {
        if (expected.contains(actual)) {
            return false;
        }
        if (actual == SpliceEnd.IDLE_TIMEOUT && c.mayHaveBeenQuiet(d, idleMillis)) {
            tally.quietTimeouts++;
            return true;
        }
        bad.add(what + " ended " + actual + ", expected " + expected
                + (actual == SpliceEnd.IDLE_TIMEOUT ? " (the relay always had work within " + idleMillis + " ms: "
                        + c.quietReport(d) + ")" : ""));
        return false;
    }

    /** Everything planned arrived, both ways, and both directions ended EOF. */
    private static void expectWhole(Conn c, ConnLine l, List<String> bad) {
        Plan p = c.plan;
        Peer cl = c.clientPeer;
        Peer sv = c.serverPeer;
        long up = p.faulty() == Side.CLIENT && p.fault() == Fault.HALF_CLOSE ? p.faultAt() : p.up();
        long down = p.faulty() == Side.SERVER && p.fault() == Fault.HALF_CLOSE ? p.faultAt() : p.down();
        if (l.upEnd() != SpliceEnd.EOF || l.downEnd() != SpliceEnd.EOF) {
            bad.add("ends up " + l.upEnd() + ", down " + l.downEnd() + ", expected EOF both ways"
                    + (l.error() == null ? "" : " (error: " + l.error() + ")"));
        }
        if (l.up() != SoakTraffic.HEADER + up || l.down() != down) {
            bad.add("the relay moved up " + l.up() + ", down " + l.down() + " bytes; planned " + (SoakTraffic.HEADER + up)
                    + " and " + down);
        }
        if (sv == null) {
            bad.add("the server never saw the connection");
            return;
        }
        if (cl.sent != up || cl.received != down || sv.sent != down || sv.received != up) {
            bad.add("peers moved client " + cl.sent + "/" + cl.received + ", server " + sv.sent + "/" + sv.received
                    + " (sent/received); planned " + up + " up and " + down + " down");
        }
        if (!cl.eof || !sv.eof) {
            bad.add("a peer saw no end of stream: client " + cl.eof + ", server " + sv.eof);
        }
        if (cl.error != null || sv.error != null) {
            bad.add("a peer failed: client " + cl.error + ", server " + sv.error);
        }
    }
}
