package io.framestream.cluster.nats;

import io.framestream.testkit.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy in front of the NATS server (or of a node, as a load balancer), so a test can cut one
 * node's connection ({@link
 * #cut()}: open connections are closed and new ones refused until {@link #restore()}) or stall one direction
 * of it ({@link #stall(boolean)}: the proxy stops reading, as a frozen peer would).
 */
final class TcpProxy implements AutoCloseable {

  private final ServerSocket server;
  private volatile int targetPort;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile boolean down;
  private volatile boolean stallToClient;
  private volatile boolean stallToServer;
  private volatile boolean closed;

  TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  String url() {
    return "nats://127.0.0.1:" + server.getLocalPort();
  }

  int port() {
    return server.getLocalPort();
  }

  /** Sends new connections to another port (a load balancer moving to another node). */
  void retarget(int port) {
    targetPort = port;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (down) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress("127.0.0.1", targetPort), 2000);
        open.add(client);
        open.add(upstream);
        pump(client, upstream, false);
        pump(upstream, client, true);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to, boolean toClient) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        while (true) {
          while (toClient ? stallToClient : stallToServer) {
            if (from.isClosed()) {
              return;
            }
            Await.pace(2_000_000);
          }
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          out.write(buf, 0, n);
        }
      } catch (IOException e) {
        // one side closed: close both
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Closes every open connection and refuses new ones until {@link #restore()}. */
  void cut() {
    down = true;
    for (Socket s : open) {
      closeQuietly(s);
    }
    open.clear();
  }

  void restore() {
    down = false;
  }

  /** Stops (or resumes) reading in one direction: server to client when {@code toClient}, else the reverse. */
  void stall(boolean toClient, boolean stalled) {
    if (toClient) {
      stallToClient = stalled;
    } else {
      stallToServer = stalled;
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    cut();
  }
}
