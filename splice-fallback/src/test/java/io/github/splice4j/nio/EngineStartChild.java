package io.github.splice4j.nio;

import io.github.splice4j.Splice;
import io.github.splice4j.SpliceHandle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Run by {@link EngineStartTest} in a child JVM with a low open-file limit: the first splice of
 * the process finds only a few descriptors free, so the engine cannot open every selector. Prints
 * one line of what is left behind, then frees the descriptors and splices again.
 */
public final class EngineStartChild {

    private EngineStartChild() {
    }

    public static void main(String[] args) throws Exception {
        int free = Integer.parseInt(args[0]);
        ServerSocketChannel listener = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SocketChannel c1 = SocketChannel.open(listener.getLocalAddress());
        SocketChannel a = listener.accept();
        SocketChannel c2 = SocketChannel.open(listener.getLocalAddress());
        SocketChannel b = listener.accept();
        // everything the first splice loads (classes, the backends' probes) is loaded now, while
        // files can still be opened: only the selectors should want descriptors later
        Splice.using("nio").isAvailable();
        Class.forName("io.github.splice4j.EventLoop");
        Class.forName("io.github.splice4j.Session");
        Class.forName("io.github.splice4j.Flow");
        SocketChannel.open().close();  // the JDK's first close opens a descriptor of its own, once
        java.nio.channels.Selector.open().close();
        List<java.io.Closeable> filler = new ArrayList<>();
        try {
            while (true) {
                filler.add(SocketChannel.open());
            }
        } catch (IOException full) {
            // the limit: free exactly as many descriptors as asked
        }
        for (int i = 0; i < free; i++) {
            filler.remove(filler.size() - 1).close();
        }
        String first;
        try {
            SpliceHandle h = Splice.using("nio").bidirectional(a, b);
            first = "started " + h;
            h.close();
        } catch (IOException e) {
            first = "failed: " + e.getMessage();
        }
        System.out.println("first: " + first);
        System.out.println("after failure: loopThreads=" + loopThreads() + " epolls=" + epolls());
        for (java.io.Closeable c : filler) {
            c.close();
        }
        SpliceHandle h = Splice.using("nio").bidirectional(a, b);
        c1.write(java.nio.ByteBuffer.wrap(new byte[] {42}));
        java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(1);
        c2.read(got);
        h.close();
        System.out.println("second: byte=" + got.get(0) + " loopThreads=" + loopThreads() + " epolls=" + epolls());
    }

    private static long loopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("splice4j-loop-")).count();
    }

    private static long epolls() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().contains("eventpoll");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }
}
