package io.github.splice4j.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.splice4j.Direction;
import io.github.splice4j.Splice;
import io.github.splice4j.SpliceEnd;
import io.github.splice4j.SpliceOptions;
import io.github.splice4j.SpliceResult;
import io.github.splice4j.proxy.Demo.Received;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The public relay on loopback: real sockets, real splices, what a client and a target see. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RelayTest {

    private final BlockingQueue<Relay.Finished> finished = new LinkedBlockingQueue<>();
    private final List<java.nio.channels.Channel> opened = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private ServerSocketChannel target;
    private Relay relay;

    @BeforeEach
    void openTarget() throws IOException {
        target = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void closeAll() throws IOException {
        if (relay != null) {
            relay.close();
        }
        pool.shutdownNow();
        for (java.nio.channels.Channel c : opened) {
            c.close();
        }
        target.close();
    }

    private Relay.Builder builder(SpliceOptions options) throws IOException {
        return Relay.builder().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .target(target.getLocalAddress()).backend(Splice.using("nio")).options(options)
                .onFinished(finished::add);
    }

    private Relay start(SpliceOptions options) throws IOException {
        relay = builder(options).start();
        return relay;
    }

    /** A client connected through the relay, and the target's end of the relay's upstream connection. */
    private SocketChannel[] connect() throws IOException {
        SocketChannel client = SocketChannel.open(relay.localAddress());
        opened.add(client);
        SocketChannel server = target.accept();
        opened.add(server);
        return new SocketChannel[] {client, server};
    }

    private Relay.Finished nextFinished() throws InterruptedException {
        Relay.Finished f = finished.poll(20, TimeUnit.SECONDS);
        assertNotNull(f, "no connection reported within 20 s");
        return f;
    }

    private static String ends(Relay.Finished f) {
        SpliceResult r = f.result().orElseThrow();
        return r.bytes(Direction.FORWARD) + " " + r.end(Direction.FORWARD) + " " + r.bytes(Direction.REVERSE) + " "
                + r.end(Direction.REVERSE);
    }

    @Test
    void relay_bothWays_deliversEveryByteAndReportsEof() throws Exception {
        start(SpliceOptions.defaults());
        SocketChannel[] c = connect();
        long up = (4L << 20) + 3;
        long down = (1L << 20) + 7;
        Future<byte[][]> sentUp = pool.submit(() -> Demo.send(c[0], new long[] {up}, 10, true));
        Future<Received> gotUp = pool.submit(() -> Demo.receive(c[1], -1));
        Future<byte[][]> sentDown = pool.submit(() -> Demo.send(c[1], new long[] {down}, 20, true));
        Received gotDown = Demo.receive(c[0], -1);
        assertEquals(up, gotUp.get(60, TimeUnit.SECONDS).count);
        assertArrayEquals(sentUp.get()[0], gotUp.get().digest);
        assertEquals(down, gotDown.count);
        assertArrayEquals(sentDown.get()[0], gotDown.digest);
        Relay.Finished f = nextFinished();
        assertEquals(up + " EOF " + down + " EOF", ends(f));
        assertEquals(c[0].getLocalAddress(), f.client());
        assertEquals(target.getLocalAddress(), f.target());
        assertEquals("nio", f.backend());
    }

    @Test
    void relay_maxBytes_download_returnsPromptlyWithExactlyTheLimit() throws Exception {
        // a curl of 20 MiB through --max-bytes 1M sat for 120 s before: the client must see the end
        int limit = 1 << 20;
        start(SpliceOptions.builder().maxBytes(limit).build());
        SocketChannel[] c = connect();
        c[0].write(ByteBuffer.wrap("GET /big\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        Future<byte[][]> sent = pool.submit(() -> Demo.send(c[1], new long[] {limit, 19L << 20}, 3, false));
        Received got = Demo.receive(c[0], -1);  // to end of stream: returns only because the relay closed
        assertEquals(limit, got.count);
        Relay.Finished f = nextFinished();
        assertEquals(SpliceEnd.MAX_BYTES, f.result().orElseThrow().end(Direction.REVERSE));
        assertEquals(SpliceEnd.UNSPLICED, f.result().orElseThrow().end(Direction.FORWARD));
        assertEquals(12, readOrReset(c[1]), "the target gets the request, then its connection is closed too");
        sent.cancel(true);
    }

    @Test
    void relay_maxBytesUpload_bytesAlreadySentDownAreDelivered() throws Exception {
        start(SpliceOptions.builder().maxBytes(1000).build());
        SocketChannel[] c = connect();
        c[1].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertEquals(3, Demo.receive(c[0], 3).count);
        Future<byte[][]> sent = pool.submit(() -> Demo.send(c[0], new long[] {1000, 4000}, 5, false));
        Received got = Demo.receive(c[1], -1);
        assertEquals(1000, got.count);
        assertArrayEquals(sent.get(20, TimeUnit.SECONDS)[0], got.digest);
        assertEquals("1000 MAX_BYTES 3 UNSPLICED", ends(nextFinished()));
    }

    @Test
    void relay_tunnelIdle_oneSideTalkingKeepsTheConnectionUp() throws Exception {
        // --idle 1s; only the client talks, every 0.3 s, for 3 s: before, the quiet direction ended alone
        start(SpliceOptions.builder().tunnelIdleTimeout(Duration.ofSeconds(1)).build());
        SocketChannel[] c = connect();
        byte[] all = new byte[10];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
            c[0].write(ByteBuffer.wrap(new byte[] {(byte) i}));
            Thread.sleep(300);
        }
        ByteBuffer got = ByteBuffer.allocate(all.length);
        while (got.hasRemaining() && c[1].read(got) >= 0) {
            // every byte sent over 3 s arrives
        }
        assertArrayEquals(all, got.array());
        c[1].write(ByteBuffer.wrap(new byte[] {42}));  // and the quiet direction still carries a reply
        assertEquals(1, Demo.receive(c[0], 1).count);
        assertNull(finished.poll(0, TimeUnit.SECONDS));
        Relay.Finished f = nextFinished();  // then silence both ways ends it
        assertEquals("10 IDLE_TIMEOUT 1 IDLE_TIMEOUT", ends(f));
        assertEquals(-1, readOrReset(c[0]));
        assertEquals(-1, readOrReset(c[1]));
    }

    @Test
    void relay_halfClose_keepsTheOtherDirectionRunning() throws Exception {
        start(SpliceOptions.defaults());
        SocketChannel[] c = connect();
        c[0].write(ByteBuffer.wrap(new byte[] {7}));
        c[0].shutdownOutput();
        assertEquals(1, readOrReset(c[1]));  // the byte, then end of stream
        c[1].write(ByteBuffer.wrap(new byte[] {8, 9}));  // the answer after the client's EOF still arrives
        assertEquals(2, Demo.receive(c[0], 2).count);
        c[1].shutdownOutput();
        assertEquals("1 EOF 2 EOF", ends(nextFinished()));
    }

    @Test
    void relay_targetRefuses_closesClientAndReportsFailure() throws Exception {
        relay = builder(SpliceOptions.defaults()).start();
        target.close();  // nothing listens there now: connecting is refused
        SocketChannel client = SocketChannel.open(relay.localAddress());
        opened.add(client);
        assertEquals(-1, readOrReset(client));
        Relay.Finished f = nextFinished();
        assertFalse(f.connected());
        assertTrue(f.result().isEmpty());
        assertTrue(f.failure().orElseThrow() instanceof ConnectException, f.toString());
    }

    @Test
    void relay_targetSilent_closesClientAfterConnectTimeout() throws Exception {
        // a listener whose accept queue is full: the kernel drops further SYNs, so connects hang
        ServerSocketChannel full = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        opened.add(full);
        List<SocketChannel> fillers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            SocketChannel s = SocketChannel.open();
            s.configureBlocking(false);
            s.connect(full.getLocalAddress());
            fillers.add(s);
            opened.add(s);
        }
        relay = builder(SpliceOptions.defaults()).target(full.getLocalAddress())
                .connectTimeout(Duration.ofMillis(300)).start();
        SocketChannel client = SocketChannel.open(relay.localAddress());
        opened.add(client);
        assertEquals(-1, readOrReset(client));
        Relay.Finished f = nextFinished();
        assertTrue(f.failure().orElseThrow() instanceof SocketTimeoutException, f.toString());
        assertFalse(f.connected());
    }

    @Test
    void relay_targetChosenPerClient_fromTheClientAddress() throws Exception {
        List<SocketAddress> asked = new CopyOnWriteArrayList<>();
        int port = ((InetSocketAddress) target.getLocalAddress()).getPort();
        relay = builder(SpliceOptions.defaults()).target(client -> {
            asked.add(client);
            return InetSocketAddress.createUnresolved("localhost", port);  // resolved per connection
        }).start();
        SocketChannel[] a = connect();
        SocketChannel[] b = connect();
        assertEquals(List.of(a[0].getLocalAddress(), b[0].getLocalAddress()), asked);
        a[0].write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, Demo.receive(a[1], 1).count);
    }

    @Test
    void relay_maxConnections_acceptsTheNextOnlyWhenOneFinishes() throws Exception {
        relay = builder(SpliceOptions.defaults()).maxConnections(1).start();
        SocketChannel[] first = connect();
        SocketChannel second = SocketChannel.open(relay.localAddress());  // waits in the backlog
        opened.add(second);
        second.write(ByteBuffer.wrap(new byte[] {2}));
        target.configureBlocking(false);
        Thread.sleep(300);
        assertNull(target.accept(), "a second upstream connection while the first is open");
        assertEquals(1, relay.activeConnections());
        first[0].close();
        first[1].close();
        nextFinished();
        target.configureBlocking(true);
        SocketChannel server = target.accept();
        opened.add(server);
        assertEquals(1, Demo.receive(server, 1).count);
    }

    @Test
    void drain_letsOpenConnectionsFinish_refusesNewOnes() throws Exception {
        start(SpliceOptions.defaults());
        SocketChannel[] c = connect();
        pool.submit(() -> {
            for (;;) {
                target.accept().close();  // the probes below that got through end at once
            }
        });
        Future<?> draining = pool.submit(() -> relay.drain(Duration.ofSeconds(30)));
        assertThrows(ConnectException.class, () -> {
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); System.nanoTime() < end; ) {
                SocketChannel.open(relay.localAddress()).close();  // accepted only until drain closed the listener
                Thread.sleep(20);
            }
        });
        c[0].write(ByteBuffer.wrap(new byte[] {5}));
        assertEquals(1, Demo.receive(c[1], 1).count);  // the open connection still works
        assertFalse(draining.isDone());
        c[0].shutdownOutput();
        c[1].shutdownOutput();
        draining.get(20, TimeUnit.SECONDS);
        // the probes accepted before the listener closed are reported too, in any order
        java.net.SocketAddress client = c[0].getLocalAddress();
        Relay.Finished f;
        do {
            f = nextFinished();
        } while (!client.equals(f.client()));
        assertEquals("1 EOF 0 EOF", ends(f));
    }

    @Test
    void drain_graceOver_unsplicesAndCloses() throws Exception {
        start(SpliceOptions.defaults());
        SocketChannel[] c = connect();
        c[0].write(ByteBuffer.wrap(new byte[] {42}));
        assertEquals(1, Demo.receive(c[1], 1).count);
        relay.drain(Duration.ofMillis(200));
        assertEquals(-1, readOrReset(c[0]));
        assertEquals("1 UNSPLICED 0 UNSPLICED", ends(nextFinished()));
        assertEquals(0, relay.activeConnections());
        relay.awaitClosed();
    }

    @Test
    void relay_unixDomainBothSides(@TempDir Path dir) throws Exception {
        Path listen = dir.resolve("relay.sock");
        Path upstream = dir.resolve("target.sock");
        ServerSocketChannel unixTarget = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
                .bind(UnixDomainSocketAddress.of(upstream));
        opened.add(unixTarget);
        relay = Relay.builder().listen(UnixDomainSocketAddress.of(listen)).target(UnixDomainSocketAddress.of(upstream))
                .onFinished(finished::add).start();
        SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(listen));
        opened.add(client);
        SocketChannel server = unixTarget.accept();
        opened.add(server);
        Future<byte[][]> sent = pool.submit(() -> Demo.send(client, new long[] {300_000}, 9, true));
        Received got = Demo.receive(server, -1);
        assertArrayEquals(sent.get()[0], got.digest);
        server.shutdownOutput();
        assertEquals("300000 EOF 0 EOF", ends(nextFinished()));
        relay.close();
        assertFalse(Files.exists(listen), "the listening socket's file is removed at close");
    }

    @Test
    void builder_maxConnectionsZero_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> Relay.builder().maxConnections(0));
    }

    @Test
    void builder_connectTimeoutZero_isRejected() {
        assertThrows(IllegalArgumentException.class, () -> Relay.builder().connectTimeout(Duration.ZERO));
    }

    @Test
    void builder_withoutTarget_isRejected() {
        assertThrows(IllegalStateException.class,
                () -> Relay.builder().listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start());
    }

    /** Reads to end of stream (a reset counts as the end): -1 if no byte came before it, else the bytes read. */
    static int readOrReset(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 << 10);
        int total = 0;
        try {
            for (int n; (n = c.read(b)) >= 0; b.clear()) {
                total += n;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("reset")) {
                throw e;
            }
        }
        return total == 0 ? -1 : total;
    }
}
