package io.framestream.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

/**
 * The one publisher: a paced thread writing stamped frames over a blocking socket, either as masked
 * WebSocket binary messages to {@code /ws/publish/...} (mask key 0, so the payload bytes stay as they are)
 * or as {@code [int length][bytes]} records to the raw baseline. A WebSocket publisher answers the server's
 * pings (a second thread reads what the server sends), as every real client does: framestream drops a peer
 * that goes a pong timeout without one, which a window of a minute or more would otherwise reach.
 *
 * <h2>Thread safety</h2>
 *
 * {@link #fps}, {@link #nextSeq} and {@link #close} may be called from any thread.
 */
final class Publisher extends Thread implements AutoCloseable {

  private final SocketChannel channel;
  private final boolean webSocket;
  private final byte[] payload;
  private volatile double fps;
  private volatile long nextSeq;
  private volatile boolean stopped;
  private volatile String failure;
  private long late;
  /** Held for each whole message written, so a pong never lands inside a frame's partial writes. */
  private final Object writes = new Object();

  private Publisher(SocketChannel channel, boolean webSocket, int size, double fps) {
    super("publisher");
    setDaemon(true);
    this.channel = channel;
    this.webSocket = webSocket;
    this.payload = Payloads.create(size);
    this.fps = fps;
  }

  /** Connects a WebSocket publisher to {@code path} and starts publishing. */
  static Publisher webSocket(InetSocketAddress address, String path, int size, double fps) throws IOException {
    SocketChannel ch = SocketChannel.open(address);
    ch.socket().setTcpNoDelay(true);
    String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    writeFully(ch, ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
    StringBuilder response = new StringBuilder();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (response.indexOf("\r\n\r\n") < 0) {
      one.clear();
      if (ch.read(one) < 0) {
        throw new IOException("publisher handshake: connection closed after " + response);
      }
      response.append((char) one.get(0));
    }
    if (!response.toString().startsWith("HTTP/1.1 101")) {
      throw new IOException("publisher handshake refused: " + response.toString().split("\r\n")[0]);
    }
    Publisher p = new Publisher(ch, true, size, fps);
    Thread pongs = new Thread(p::answerPings, "publisher-pongs");
    pongs.setDaemon(true);
    pongs.start();
    p.start();
    return p;
  }

  /** Reads the server's frames (unmasked) and answers each ping with a masked pong; ends with the connection. */
  private void answerPings() {
    try {
      while (!stopped) {
        ByteBuffer head = readExactly(2);
        int opcode = head.get(0) & 0x0F;
        long length = head.get(1) & 0x7F;
        if (length == 126) {
          length = readExactly(2).getShort() & 0xFFFF;
        } else if (length == 127) {
          length = readExactly(8).getLong();
        }
        if ((head.get(1) & 0x80) != 0 || length < 0) { // a server never masks; the stream is out of step
          failure = "publisher: unreadable frame from the server (masked or negative length)";
          close();
          return;
        }
        if (opcode == 0x9 && length <= 125) {
          ByteBuffer payload = readExactly((int) length);
          ByteBuffer pong = ByteBuffer.allocate(6 + (int) length);
          pong.put((byte) 0x8A).put((byte) (0x80 | length)).putInt(0).put(payload).flip(); // mask key 0
          synchronized (writes) {
            writeFully(channel, pong);
          }
        } else if (opcode == 0x8) {
          return; // the server closes: the publishing thread sees it on its next write
        } else {
          for (long left = length; left > 0; left -= Math.min(left, 65_536)) {
            readExactly((int) Math.min(left, 65_536)); // nothing else is expected; skip it
          }
        }
      }
    } catch (IOException e) {
      // the connection ended: the publishing thread reports it if it was not closed on purpose
    }
  }

  private ByteBuffer readExactly(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        throw new IOException("closed by the server");
      }
    }
    return b.flip();
  }

  /** Connects to the raw fan-out server and starts publishing. */
  static Publisher raw(InetSocketAddress address, int size, double fps) throws IOException {
    SocketChannel ch = SocketChannel.open(address);
    ch.socket().setTcpNoDelay(true);
    writeFully(ch, ByteBuffer.wrap(new byte[] {'P'}));
    Publisher p = new Publisher(ch, false, size, fps);
    p.start();
    return p;
  }

  /** Changes the rate from the next frame on. */
  void fps(double framesPerSecond) {
    this.fps = framesPerSecond;
  }

  /** The sequence number the next frame will carry. */
  long nextSeq() {
    return nextSeq;
  }

  /** How often the publisher fell more than a frame behind its schedule (and skipped ahead). */
  long late() {
    return late;
  }

  String failure() {
    return failure;
  }

  @Override
  public void run() {
    ByteBuffer header = ByteBuffer.allocate(14);
    ByteBuffer body = ByteBuffer.wrap(payload);
    long deadline = System.nanoTime();
    try {
      while (!stopped) {
        long period = (long) (1e9 / fps);
        long now = System.nanoTime();
        if (deadline - now > 0) {
          LockSupport.parkNanos(deadline - now);
          continue;
        }
        if (now - deadline > period) {
          late++;
          deadline = now;
        }
        deadline += period;
        Payloads.stamp(payload, nextSeq, System.nanoTime());
        header.clear();
        if (webSocket) {
          header.put((byte) 0x82);
          if (payload.length <= 125) {
            header.put((byte) (0x80 | payload.length));
          } else if (payload.length <= 0xFFFF) {
            header.put((byte) (0x80 | 126)).putShort((short) payload.length);
          } else {
            header.put((byte) (0x80 | 127)).putLong(payload.length);
          }
          header.putInt(0); // mask key 0: masking leaves the bytes unchanged
        } else {
          header.putInt(payload.length);
        }
        header.flip();
        body.clear();
        ByteBuffer[] both = {header, body};
        synchronized (writes) {
          while (body.hasRemaining()) {
            channel.write(both);
          }
        }
        nextSeq++;
      }
    } catch (IOException e) {
      if (!stopped) {
        failure = e.toString();
      }
    }
  }

  private static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  @Override
  public void close() {
    stopped = true;
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
