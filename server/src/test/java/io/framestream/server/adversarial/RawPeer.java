package io.framestream.server.adversarial;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One attacker's connection on a raw socket, and what the server answered on it. {@link #watch()} starts a
 * daemon thread that reads the server's answer: the HTTP status line and, after {@code 101}, WebSocket frames
 * until a close frame (whose code it keeps), discarding payloads; and when the server ended the connection
 * (end of stream or reset). A peer that is not watched reads nothing: a stalled reader.
 *
 * <h2>Thread safety</h2>
 *
 * Writes are serialised; the answer fields are written by the watcher thread and read by any thread.
 */
final class RawPeer implements AutoCloseable {

  private static final int HEAD_LIMIT = 16 * 1024;
  private static final Random MASKS = new Random(7);

  private final Socket socket;
  private final OutputStream out;
  private final long openedNanos = System.nanoTime();
  private volatile long markNanos;
  private volatile int status = -1;
  private volatile int closeCode = -1;
  private volatile long closeFrameNanos;
  private volatile String end; // null while the server keeps the connection open
  private volatile long endNanos;
  private volatile boolean closing;
  private volatile boolean writeFailed;
  private volatile String label = "";

  private RawPeer(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
  }

  /**
   * Connects to the server on loopback.
   *
   * @param port the server's port
   * @param receiveBuffer the socket's receive buffer, or 0 for the system's default
   * @return the connected peer
   * @throws IOException if the connection fails (within 5 s)
   */
  static RawPeer connect(int port, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    try {
      if (receiveBuffer > 0) {
        s.setReceiveBufferSize(receiveBuffer);
      }
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      return new RawPeer(s);
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  /** Names what this peer is, for its {@link #answer()}; returns this peer. */
  RawPeer label(String what) {
    label = what + ": ";
    return this;
  }

  /** Starts reading the server's answer on a daemon thread; returns this peer. */
  RawPeer watch() {
    Thread t = new Thread(this::readAnswer, "adversarial-watch");
    t.setDaemon(true);
    t.start();
    return this;
  }

  /**
   * Writes bytes; a failure (the server closed the connection) is remembered, not thrown.
   *
   * @param bytes what to send
   * @return false if the write failed, now or before
   */
  synchronized boolean send(byte[] bytes) {
    if (writeFailed) {
      return false;
    }
    try {
      out.write(bytes);
      out.flush();
      return true;
    } catch (IOException e) {
      writeFailed = true;
      return false;
    }
  }

  /** Sends text in US-ASCII. */
  boolean send(String ascii) {
    return send(ascii.getBytes(StandardCharsets.US_ASCII));
  }

  /** Notes that the bytes that should draw an answer have been sent; answer times count from here. */
  void mark() {
    markNanos = System.nanoTime();
  }

  /** The HTTP status the server answered with, or -1. */
  int status() {
    return status;
  }

  /** True once the server ended the connection, or sent a WebSocket close, or a write failed. */
  boolean serverClosed() {
    return end != null || closeCode >= 0 || writeFailed;
  }

  /** Milliseconds from {@link #mark()} (or the connect) to the server's close, or -1 while open. */
  long closedAfterMillis() {
    long at = closeCode >= 0 ? closeFrameNanos : end != null ? endNanos : 0;
    if (at == 0) {
      return -1;
    }
    long from = markNanos != 0 ? markNanos : openedNanos;
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(at - from));
  }

  /**
   * Waits, within the bound, until the server answered with a status (or ended the connection).
   *
   * @param timeout the bound
   * @return the status, or -1
   */
  int awaitStatus(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (status < 0 && end == null && System.nanoTime() - deadline < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return status;
  }

  /**
   * Waits, within the bound, until the server closed the connection.
   *
   * @param timeout the bound
   * @return whether it did
   */
  boolean awaitServerClose(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!serverClosed() && System.nanoTime() - deadline < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return serverClosed();
  }

  /**
   * What the server answered, in short: {@code HTTP 400}, {@code 101, close 1009}, {@code 101, EOF},
   * {@code no answer, open}...
   */
  String answer() {
    StringBuilder b = new StringBuilder(label);
    b.append(status > 0 ? "HTTP " + status : "no status");
    if (closeCode >= 0) {
      b.append(", close ").append(closeCode);
    } else if (end != null) {
      b.append(", ").append(end);
    } else if (writeFailed) {
      b.append(", write failed");
    } else {
      b.append(", open");
    }
    return b.toString();
  }

  /**
   * For a peer that never read (a stalled reader): reads and discards what the server had sent, within
   * the bound, to learn whether the server ended the connection.
   *
   * @param timeout the bound
   * @return {@code closed by server} or {@code still open}, after the label
   */
  String drainToEnd(Duration timeout) {
    return label + drain(timeout);
  }

  private String drain(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = socket.getInputStream();
      while (System.nanoTime() - deadline < 0) {
        socket.setSoTimeout(200);
        try {
          if (in.read(buf) < 0) {
            return "closed by server";
          }
        } catch (SocketTimeoutException e) {
          // nothing yet; try again until the deadline
        }
      }
      return "still open";
    } catch (IOException e) {
      return "closed by server";
    }
  }

  private void readAnswer() {
    try {
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int last4 = 0;
      while (last4 != 0x0D0A0D0A && head.size() < HEAD_LIMIT) {
        int c = in.read();
        if (c < 0) {
          ended("EOF");
          return;
        }
        head.write(c);
        last4 = (last4 << 8) | c;
      }
      String text = head.toString(StandardCharsets.ISO_8859_1);
      if (text.startsWith("HTTP/1.")) {
        int sp = text.indexOf(' ');
        status = Integer.parseInt(text.substring(sp + 1, sp + 4));
      }
      if (status == 101) {
        readFrames(in);
      } else {
        byte[] buf = new byte[8192];
        while (in.read(buf) >= 0) {
          // discard the body; wait for the server to end the connection
        }
        ended("EOF");
      }
    } catch (IOException | RuntimeException e) {
      ended(closing ? null : "reset");
    }
  }

  /** Reads server frames (unmasked) until a close frame or the end of the connection. */
  private void readFrames(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    while (true) {
      int b0 = in.read();
      int b1 = in.read();
      if (b0 < 0 || b1 < 0) {
        ended("EOF");
        return;
      }
      long len = b1 & 0x7F;
      if (len == 126) {
        len = (readByte(in) << 8) | readByte(in);
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | readByte(in);
        }
      }
      if ((b0 & 0x0F) == 8) {
        int code = len >= 2 ? (readByte(in) << 8) | readByte(in) : 1005;
        closeFrameNanos = System.nanoTime();
        closeCode = code;
        len -= Math.min(len, 2);
      }
      while (len > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, len));
        if (n < 0) {
          ended("EOF");
          return;
        }
        len -= n;
      }
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new IOException("end of stream inside a frame");
    }
    return b;
  }

  private void ended(String how) {
    if (how != null && end == null && !closing) {
      endNanos = System.nanoTime();
      end = how;
    }
  }

  /** Closes the connection (FIN). */
  @Override
  public void close() {
    closing = true;
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /** Resets the connection (RST: linger 0). */
  void reset() {
    closing = true;
    try {
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /**
   * A WebSocket upgrade request.
   *
   * @param path the path with its query
   * @param headers extra header lines, without line ends
   * @return the request, up to and including the empty line
   */
  static String upgrade(String path, String... headers) {
    StringBuilder b = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
        .append("Sec-WebSocket-Key: ZnJhbWVzdHJlYW0tYXR0YWNrIQ==\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    return b.append("\r\n").toString();
  }

  /**
   * A client frame header with its mask key, followed by as much of the payload as given, masked.
   *
   * @param first the first byte (FIN, RSV bits, opcode)
   * @param declared the payload length announced in the header
   * @param payload the payload bytes to send now (may be fewer than announced)
   * @return the bytes
   */
  static byte[] clientFrame(int first, long declared, byte[] payload) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(first);
    if (declared < 126) {
      b.write(0x80 | (int) declared);
    } else if (declared < 65536) {
      b.write(0x80 | 126);
      b.write((int) (declared >>> 8) & 0xFF);
      b.write((int) declared & 0xFF);
    } else {
      b.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        b.write((int) (declared >>> (8 * i)) & 0xFF);
      }
    }
    byte[] mask = new byte[4];
    synchronized (MASKS) {
      MASKS.nextBytes(mask);
    }
    b.write(mask, 0, 4);
    for (int i = 0; i < payload.length; i++) {
      b.write(payload[i] ^ mask[i & 3]);
    }
    return b.toByteArray();
  }
}
