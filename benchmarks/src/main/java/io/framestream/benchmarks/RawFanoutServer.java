package io.framestream.benchmarks;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The raw TCP fan-out baseline, run in its own JVM: the least a relay can do. A client's first byte says what
 * it is: {@code 'P'} a publisher sending {@code [int length][bytes]} records, {@code 'V'} a viewer. Each
 * record is written as-is ({@code [int length][bytes]}) to every viewer with blocking writes of one shared
 * buffer, no copies, no framing work. Prints {@code PORT <n>}; exits when standard input closes.
 *
 * <h2>Thread safety</h2>
 *
 * A main class: one acceptor thread, one thread per publisher; the viewer list is copy-on-write.
 */
public final class RawFanoutServer {

  private RawFanoutServer() {}

  /**
   * Starts the server.
   *
   * @param args none
   * @throws IOException if the socket cannot be bound
   */
  public static void main(String[] args) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    List<SocketChannel> viewers = new CopyOnWriteArrayList<>();
    Thread acceptor = new Thread(() -> accept(server, viewers), "raw-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println("PORT " + server.socket().getLocalPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // run until the load tool closes our stdin
    }
    System.exit(0);
  }

  private static void accept(ServerSocketChannel server, List<SocketChannel> viewers) {
    try {
      while (true) {
        SocketChannel c = server.accept();
        c.socket().setTcpNoDelay(true);
        ByteBuffer role = ByteBuffer.allocate(1);
        while (role.hasRemaining() && c.read(role) >= 0) {
          // one byte
        }
        if (role.get(0) == 'P') {
          Thread t = new Thread(() -> relay(c, viewers), "raw-publisher");
          t.setDaemon(true);
          t.start();
        } else {
          viewers.add(c);
        }
      }
    } catch (IOException e) {
      System.err.println("raw accept: " + e);
    }
  }

  private static void relay(SocketChannel publisher, List<SocketChannel> viewers) {
    try (InputStream in = publisher.socket().getInputStream()) {
      DataInputStream data = new DataInputStream(in);
      while (true) {
        int length = data.readInt();
        byte[] record = new byte[4 + length];
        ByteBuffer.wrap(record).putInt(length);
        data.readFully(record, 4, length);
        ByteBuffer shared = ByteBuffer.wrap(record).asReadOnlyBuffer();
        for (SocketChannel v : viewers) {
          ByteBuffer b = shared.duplicate();
          try {
            while (b.hasRemaining()) {
              v.write(b);
            }
          } catch (IOException e) {
            viewers.remove(v);
          }
        }
      }
    } catch (IOException e) {
      // publisher gone
    }
  }
}
