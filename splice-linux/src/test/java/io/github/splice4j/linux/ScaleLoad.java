package io.github.splice4j.linux;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * The client and server side of the scale run (scripts/scale-test.sh), in a process of its own so
 * that their descriptors do not count against the relay's limit. One selector thread:
 * <ol>
 *   <li>an echo server listens on 127.0.0.1:SERVER (the relay's target);
 *   <li>N clients connect through the relay at 127.0.0.1:RELAY, and the run waits until the
 *       server has accepted all N, so all N splices exist at once;
 *   <li>every client then sends BYTES pseudo-random bytes (seeded by its number) and half-closes;
 *       the server echoes and half-closes at end of stream; each client checks the SHA-256 and
 *       length of what came back against what it sent.
 * </ol>
 * Prints one summary line and exits 0 only if every connection came back intact.
 * Usage: {@code ScaleLoad RELAY SERVER N BYTES}.
 */
final class ScaleLoad {

    private static final int CHUNK = 16 * 1024;
    /** Connects in flight at once: keeps the relay's accept backlog from overflowing. */
    private static final int CONNECTING = 256;

    private final Selector selector;
    private final InetSocketAddress relay;
    private final int count;
    private final long bytes;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
    private final byte[] scratchArray = new byte[64 * 1024];
    private int started;
    private int connecting;
    private int connected;
    private int accepted;
    private int finished;
    private int intact;
    private boolean sending;

    private ScaleLoad(Selector selector, InetSocketAddress relay, int count, long bytes) {
        this.selector = selector;
        this.relay = relay;
        this.count = count;
        this.bytes = bytes;
    }

    public static void main(String[] args) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int count = Integer.parseInt(args[2]);
        long bytes = Long.parseLong(args[3]);
        try (Selector selector = Selector.open(); ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(lo, Integer.parseInt(args[1])), 4096);
            server.configureBlocking(false);
            server.register(selector, SelectionKey.OP_ACCEPT);
            ScaleLoad load = new ScaleLoad(selector, new InetSocketAddress(lo, Integer.parseInt(args[0])), count, bytes);
            System.exit(load.run() ? 0 : 1);
        }
    }

    private boolean run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + 600_000_000_000L;
        long allUp = 0;
        while (finished < count) {
            while (started < count && connecting < CONNECTING) {
                startClient();
            }
            if (!sending && connected == count && accepted == count) {
                allUp = System.nanoTime();
                System.out.printf("all %d connections up through the relay after %.1f s; holding 3 s%n",
                        count, (allUp - t0) / 1e9);
                Thread.sleep(3000);  // the relay's figures show every splice open at once
                allUp = System.nanoTime();
                startSending();
            }
            selector.select(1000);
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                try {
                    handle(key);
                } catch (IOException e) {
                    System.out.println("connection failed: " + e);
                    key.cancel();
                    key.channel().close();
                    if (key.attachment() instanceof Client) {
                        finished++;
                    }
                }
            }
            if (System.nanoTime() - deadline > 0) {
                System.out.println("timed out");
                break;
            }
        }
        double took = (System.nanoTime() - allUp) / 1e9;
        System.out.printf("%d of %d connections intact (%d bytes each way each, SHA-256 checked); data phase %.1f s,"
                + " %.1f MB/s each way%n", intact, count, bytes, took, count * bytes / took / 1e6);
        return intact == count;
    }

    private void startClient() throws IOException {
        SocketChannel c = SocketChannel.open();
        c.configureBlocking(false);
        Client client = new Client(started++, bytes);
        connecting++;
        if (c.connect(relay)) {
            connecting--;
            connected++;
            c.register(selector, 0, client);
        } else {
            c.register(selector, SelectionKey.OP_CONNECT, client);
        }
    }

    private void startSending() throws IOException {
        sending = true;
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof Client) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }
    }

    private void handle(SelectionKey key) throws IOException {
        Object a = key.attachment();
        if (a == null) {
            SocketChannel s = ((ServerSocketChannel) key.channel()).accept();
            if (s != null) {
                s.configureBlocking(false);
                s.register(selector, SelectionKey.OP_READ, new Echo());
                accepted++;
            }
        } else if (a instanceof Client) {
            client(key, (Client) a);
        } else {
            echo(key, (Echo) a);
        }
    }

    private void client(SelectionKey key, Client c) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        if (key.isConnectable()) {
            ch.finishConnect();
            connecting--;
            connected++;
            key.interestOps(sending ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : 0);
            return;
        }
        if (key.isWritable()) {
            while (true) {
                if (c.out == null || !c.out.hasRemaining()) {
                    if (c.unsent == 0) {
                        ch.shutdownOutput();
                        c.out = null;
                        key.interestOps(SelectionKey.OP_READ);
                        break;
                    }
                    c.nextChunk();
                }
                if (ch.write(c.out) == 0) {
                    break;
                }
            }
        }
        if (key.isReadable()) {
            scratch.clear();
            int n = ch.read(scratch);
            if (n > 0) {
                scratch.flip();
                scratch.get(scratchArray, 0, n);
                c.received.update(scratchArray, 0, n);
                c.receivedBytes += n;
            } else if (n < 0) {
                boolean ok = c.receivedBytes == bytes && Arrays.equals(c.sent.digest(), c.received.digest());
                if (ok) {
                    intact++;
                } else {
                    System.out.println("connection " + c.id + " corrupted: " + c.receivedBytes + " bytes back");
                }
                finished++;
                key.cancel();
                ch.close();
            }
        }
    }

    private void echo(SelectionKey key, Echo e) throws IOException {
        SocketChannel ch = (SocketChannel) key.channel();
        if (e.buffer != null && e.buffer.hasRemaining()) {
            ch.write(e.buffer);
            if (e.buffer.hasRemaining()) {
                return;  // still OP_WRITE
            }
        }
        if (e.eof) {
            ch.shutdownOutput();
            key.cancel();
            ch.close();
            return;
        }
        if (e.buffer == null) {
            e.buffer = ByteBuffer.allocate(CHUNK);
        }
        e.buffer.clear();
        int n = ch.read(e.buffer);
        e.buffer.flip();
        if (n < 0) {
            e.eof = true;
            ch.shutdownOutput();
            key.cancel();
            ch.close();
            return;
        }
        if (n > 0) {
            ch.write(e.buffer);
        }
        key.interestOps(e.buffer.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    /** One client: its stream, what it sent and what came back. */
    private static final class Client {
        final int id;
        final SplittableRandom random;
        final MessageDigest sent = sha256();
        final MessageDigest received = sha256();
        long unsent;
        long receivedBytes;
        ByteBuffer out;

        Client(int id, long bytes) {
            this.id = id;
            this.random = new SplittableRandom(id);
            this.unsent = bytes;
        }

        void nextChunk() {
            int n = (int) Math.min(CHUNK, unsent);
            byte[] b = new byte[n];
            random.nextBytes(b);
            sent.update(b);
            unsent -= n;
            out = ByteBuffer.wrap(b);
        }
    }

    /** One server connection: the bytes read and not yet echoed. */
    private static final class Echo {
        ByteBuffer buffer;
        boolean eof;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
