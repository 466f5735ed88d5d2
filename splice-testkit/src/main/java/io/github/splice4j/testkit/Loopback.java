package io.github.splice4j.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Connected TCP channels over 127.0.0.1 for splice tests. Every channel made here is blocking
 * when handed out and is closed by {@link #close()}, so a test cannot leak descriptors even when
 * it fails half-way.
 *
 * <p>The usual topology is a {@link Relay}: {@code client <-> (a ==splice== b) <-> server}, where
 * {@code a} is the accepted end of the client's connection and {@code b} the connecting end of
 * the server's, as in a proxy.
 */
public final class Loopback implements AutoCloseable {

    private final ServerSocketChannel listener;
    private final List<SocketChannel> opened = new ArrayList<>();

    /**
     * Opens the listener every pair connects through.
     *
     * @throws IOException if no loopback socket can be bound
     */
    public Loopback() throws IOException {
        listener = ServerSocketChannel.open();
        try {
            // a backlog large enough that no connect waits for an accept
            listener.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 1024);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
    }

    /**
     * Two connected, blocking channels.
     *
     * @return the pair, closed with this loopback
     * @throws IOException if connecting fails
     */
    public Pair pair() throws IOException {
        SocketChannel client = track(SocketChannel.open());
        client.connect(listener.getLocalAddress());
        SocketChannel accepted = track(listener.accept());
        return new Pair(client, accepted);
    }

    /**
     * Two pairs to splice {@code a} with {@code b}: the relay of a proxy.
     *
     * @return the relay's four channels, closed with this loopback
     * @throws IOException if connecting fails
     */
    public Relay relay() throws IOException {
        Pair front = pair();
        Pair back = pair();
        return new Relay(front.client(), front.accepted(), back.client(), back.accepted());
    }

    /**
     * Closes {@code channel} with SO_LINGER 0, so its peer gets a reset (RST) instead of an end of
     * stream.
     *
     * @param channel the channel to reset
     * @throws IOException if the option cannot be set or the close fails
     */
    public static void reset(SocketChannel channel) throws IOException {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        channel.close();
    }

    /** Closes every channel made here and the listener; failures to close are ignored. */
    @Override
    public synchronized void close() {
        for (SocketChannel c : opened) {
            closeQuietly(c);
        }
        opened.clear();
        try {
            listener.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }

    private synchronized SocketChannel track(SocketChannel c) {
        opened.add(c);
        return c;
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing for cleanup only
        }
    }

    /**
     * Two connected channels.
     *
     * @param client the end that connected
     * @param accepted the end the listener accepted
     */
    public record Pair(SocketChannel client, SocketChannel accepted) {
    }

    /**
     * A proxy's four channels: {@code client -> a} is one connection, {@code b -> server} the
     * other; a test splices {@code a} with {@code b}, so {@link io.github.splice4j.Direction#FORWARD}
     * carries client bytes to the server.
     *
     * @param client the client's end, used by the test as the client
     * @param a the accepted end of the client's connection, to splice
     * @param b the connecting end of the server's connection, to splice
     * @param server the server's end, used by the test as the server
     */
    public record Relay(SocketChannel client, SocketChannel a, SocketChannel b, SocketChannel server) {
    }
}
