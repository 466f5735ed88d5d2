package io.github.splice4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceHandle;
import io.github.splice4j.SpliceResult;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cases from the kernels' own splice suites (FreeBSD tests/sys/kern/socket_splice.c, OpenBSD
 * regress/sys/kern/sosplice) that every backend runs: IPv6 loopback and IPv4 spliced to IPv6,
 * tiny socket buffers on the relay's legs, splice, unsplice and splice again while bytes flow,
 * and a UNIX-domain channel spliced to TCP (which the BSD kernels refuse, so the bsd backend copies
 * it). Every byte is checked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class KernelRegressTests extends ConformanceBase {

    private static final int SIZE = 256 * 1024;
    /** Small, as in socket_splice.c's smallbuf cases; TCP on loopback is slow with 2 KiB. */
    private static final int SMALL_BUFFER = 4 * 1024;
    /**
     * Bytes each way through the small buffers: sixteen buffers' worth. TCP on a 64 KiB-MTU
     * loopback stalls through 4 KiB buffers (the receive window stays below a segment): 64 KiB
     * took 0.45 s, 128 KiB 2.3 s and 256 KiB 5.5 s alone, and over the 10 s a helper may take beside
     * another build.
     */
    private static final int SMALL_SIZE = 16 * SMALL_BUFFER;

    private final List<SocketChannel> own = new ArrayList<>();
    private final List<Path> paths = new ArrayList<>();

    @AfterEach
    void closeOwnChannels() throws IOException {
        for (SocketChannel c : own) {
            c.close();
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }

    @Test
    void ipv6Loopback_bidirectional_arrivesIntact() throws Exception {
        InetAddress v6 = ipv6Loopback();
        SocketChannel[] front = pair(v6);
        SocketChannel[] back = pair(v6);
        bothWaysIntact(front[0], front[1], back[0], back[1]);
    }

    @Test
    void ipv4SplicedToIpv6_bidirectional_arrivesIntact() throws Exception {
        InetAddress v6 = ipv6Loopback();
        SocketChannel[] front = pair(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
        SocketChannel[] back = pair(v6);
        bothWaysIntact(front[0], front[1], back[0], back[1]);
    }

    @Test
    void smallBuffersOnTheRelayLegs_bidirectional_arrivesIntact() throws Exception {
        Loopback.Relay r = net.relay();
        for (SocketChannel c : List.of(r.a(), r.b())) {
            c.setOption(StandardSocketOptions.SO_RCVBUF, SMALL_BUFFER);
            c.setOption(StandardSocketOptions.SO_SNDBUF, SMALL_BUFFER);
        }
        bothWaysIntact(r.client(), r.a(), r.b(), r.server(), SMALL_SIZE);
    }

    /** socket_splice.c splice_resplice: the second splice carries on where the first stopped. */
    @Test
    void spliceUnspliceSpliceAgain_whileBytesFlow_nothingLostOrDoubled() throws Exception {
        Loopback.Relay r = net.relay();
        byte[] data = Bytes.random(4 * SIZE, 17);
        Future<Void> writer = async(() -> {
            Bytes.writeFully(r.client(), data);
            r.client().shutdownOutput();
            return null;
        });
        Future<byte[]> reader = async(() -> Bytes.readExactly(r.server(), data.length));
        SpliceHandle first = uni(r.a(), r.b());
        Bytes.sleep(50);
        first.unsplice();
        SpliceResult stopped = result(first);
        // bytes the first splice took and could not deliver are the application's to pass on
        Bytes.writeFully(r.b(), stopped.undelivered(Direction.FORWARD));
        SpliceResult second = result(uni(r.a(), r.b()));
        await(writer);
        assertEquals(SpliceEnd.EOF, second.end(Direction.FORWARD), second::toString);
        assertEquals(data.length, stopped.bytes(Direction.FORWARD) + second.bytes(Direction.FORWARD),
                () -> stopped + " then " + second);
        assertArrayEquals(data, await(reader));
    }

    @Test
    void unixDomainSplicedToTcp_bidirectional_arrivesIntact() throws Exception {
        SocketChannel[] unix = unixPair();
        Loopback.Pair tcp = net.pair();
        bothWaysIntact(unix[0], unix[1], tcp.client(), tcp.accepted());
    }

    /** {@link #bothWaysIntact(SocketChannel, SocketChannel, SocketChannel, SocketChannel, int)} with {@link #SIZE}. */
    private void bothWaysIntact(SocketChannel client, SocketChannel a, SocketChannel b, SocketChannel server)
            throws Exception {
        bothWaysIntact(client, a, b, server, SIZE);
    }

    /**
     * Splices {@code a} with {@code b} and sends {@code size} bytes each way at once between
     * {@code client} (a's peer) and {@code server} (b's peer); both directions end at end of stream.
     */
    private void bothWaysIntact(SocketChannel client, SocketChannel a, SocketChannel b, SocketChannel server, int size)
            throws Exception {
        byte[] up = Bytes.random(size, 1);
        byte[] down = Bytes.random(size, 2);
        SpliceHandle h = bi(a, b);
        Future<Void> upWriter = async(() -> {
            Bytes.writeFully(client, up);
            client.shutdownOutput();
            return null;
        });
        Future<Void> downWriter = async(() -> {
            Bytes.writeFully(server, down);
            server.shutdownOutput();
            return null;
        });
        Future<byte[]> upReader = async(() -> Bytes.readExactly(server, size));
        Future<byte[]> downReader = async(() -> Bytes.readExactly(client, size));
        assertArrayEquals(up, await(upReader), "client to server");
        assertArrayEquals(down, await(downReader), "server to client");
        await(upWriter);
        await(downWriter);
        SpliceResult res = result(h);
        assertEquals(SpliceEnd.EOF, res.end(Direction.FORWARD), res::toString);
        assertEquals(SpliceEnd.EOF, res.end(Direction.REVERSE), res::toString);
        assertEquals(size, res.bytes(Direction.FORWARD));
        assertEquals(size, res.bytes(Direction.REVERSE));
    }

    /** ::1, or the test is skipped on a machine without IPv6 loopback. */
    private static InetAddress ipv6Loopback() throws IOException {
        InetAddress v6 = InetAddress.getByName("::1");
        boolean usable;
        try (ServerSocketChannel probe = ServerSocketChannel.open()) {
            probe.bind(new InetSocketAddress(v6, 0));
            usable = probe.getLocalAddress() instanceof InetSocketAddress isa && isa.getAddress() instanceof Inet6Address;
        } catch (IOException | UnsupportedOperationException e) {
            usable = false;
        }
        assumeTrue(usable, "no IPv6 loopback here");
        return v6;
    }

    /** A connected pair over {@code address}: the client end, then the accepted end. */
    private SocketChannel[] pair(InetAddress address) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(address, 0));
            return keep(SocketChannel.open(server.getLocalAddress()), server.accept());
        }
    }

    private SocketChannel[] unixPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(null);
            SocketAddress at = server.getLocalAddress();
            paths.add(Path.of(at.toString()));
            return keep(SocketChannel.open(at), server.accept());
        }
    }

    private SocketChannel[] keep(SocketChannel client, SocketChannel accepted) {
        own.add(client);
        own.add(accepted);
        return new SocketChannel[] {client, accepted};
    }
}
