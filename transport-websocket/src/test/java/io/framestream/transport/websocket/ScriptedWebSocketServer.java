package io.framestream.transport.websocket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A WebSocket server on a raw JDK socket that speaks just enough of RFC 6455 to play a scripted (hostile)
 * framestream server: it answers the handshake, runs the script, which sends text and binary messages,
 * then reads and discards what the client sends until the client or {@link #close()} ends it.
 *
 * <h2>Thread safety</h2>
 *
 * One accepting thread and one thread per connection; {@link #close()} from any thread.
 */
final class ScriptedWebSocketServer implements AutoCloseable {

  /** What the server does on each connection. */
  interface Script {
    void run(Connection c) throws IOException;
  }

  /** One accepted connection, after the handshake. */
  static final class Connection {
    private final OutputStream out;

    Connection(OutputStream out) {
      this.out = out;
    }

    void text(String s) throws IOException {
      frame(0x1, s.getBytes(StandardCharsets.UTF_8));
    }

    void binary(byte[] b) throws IOException {
      frame(0x2, b);
    }

    /** One unmasked, unfragmented server frame. */
    private void frame(int opcode, byte[] payload) throws IOException {
      ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 10);
      f.write(0x80 | opcode);
      if (payload.length < 126) {
        f.write(payload.length);
      } else if (payload.length <= 0xFFFF) {
        f.write(126);
        f.write(payload.length >>> 8);
        f.write(payload.length);
      } else {
        f.write(127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          f.write((int) ((long) payload.length >>> shift));
        }
      }
      f.write(payload);
      out.write(f.toByteArray());
      out.flush();
    }
  }

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final ServerSocket server;
  private final Script script;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final CountDownLatch scriptDone = new CountDownLatch(1);
  private final Thread acceptor;

  private ScriptedWebSocketServer(Script script) throws IOException {
    this.script = script;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "scripted-ws-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static ScriptedWebSocketServer start(Script script) throws IOException {
    return new ScriptedWebSocketServer(script);
  }

  URI uri(String path) {
    return URI.create("ws://127.0.0.1:" + server.getLocalPort() + path);
  }

  /** Whether the script of the first connection has run to its end. */
  boolean scriptDone() {
    return scriptDone.getCount() == 0;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        Thread t = new Thread(() -> serve(s), "scripted-ws-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(30_000);
      InputStream in = s.getInputStream();
      String key = null;
      for (String line : readHead(in).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sec-websocket-key")) {
          key = line.substring(colon + 1).trim();
        }
      }
      if (key == null) {
        s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return;
      }
      OutputStream out = s.getOutputStream();
      out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Accept: " + accept(key) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      try {
        script.run(new Connection(out));
      } finally {
        scriptDone.countDown();
      }
      byte[] sink = new byte[8192];
      while (in.read(sink) >= 0) {
        // discard the client's frames (its close frame included) until it goes away
      }
    } catch (SocketTimeoutException e) {
      // the client stayed silent: end the connection
    } catch (IOException e) {
      // the client or close() ended the connection
    }
  }

  /** The request head, up to the empty line; at most 16 KiB. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0 || head.size() > 16 * 1024) {
        throw new IOException("no complete request head");
      }
      head.write(b);
      matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder().encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
