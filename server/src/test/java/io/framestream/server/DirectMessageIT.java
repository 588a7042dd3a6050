package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.DirectMessage;
import io.framestream.core.Frame;
import io.framestream.testkit.Await;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded server writes viewers' binary messages from pooled native memory (one copy per frame, none
 * per viewer; {@link DirectMessage}), and that memory serves later frames once a frame is retired and its
 * writes are done. What must hold while memory is reused under load: every viewer reads each frame it gets
 * byte for byte (never another frame's bytes), a stalled viewer's queued writes keep their memory until they
 * end, and when the server closes every message has gone back (W11: encoded once, shared by every viewer).
 */
class DirectMessageIT {

  private static final int FAST_VIEWERS = 6;
  private static final int FRAMES = 480;
  /** Sizes in one of the pool's size classes (33..64 KiB), so that consecutive frames reuse each other's memory. */
  private static final int[] SIZES = {33_000, 41_000, 52_000, 60_000, 64_000};

  private FrameStreamServer server;
  private final List<JdkWsClient> viewers = new ArrayList<>();

  @AfterEach
  void stop() {
    viewers.forEach(JdkWsClient::abort);
    if (server != null) {
      server.close();
    }
  }

  /** A payload that names its frame in bytes 3..6, so a viewer can tell which frame it got. */
  private static byte[] payload(int n) {
    byte[] b = WebSocketServerIT.jpeg(n, SIZES[n % SIZES.length] + n % 100);
    ByteBuffer.wrap(b, 3, 4).putInt(n);
    return b;
  }

  @Test
  void w11_viewersReadEveryFrameExactlyWhileNativeMemoryIsReused() throws IOException {
    int inUseBefore = DirectMessage.inUse();
    long retainedBefore = DirectMessage.retained();
    server = FrameStreamServer.builder().port(0).build().start();
    // A long stall timeout: the late reader's queued writes must wait for it, not be dropped by its eviction.
    Channel channel = server.registry().declare("cam", ChannelConfig.builder().stallTimeout(Duration.ofMinutes(2)).build());
    for (int i = 0; i < FAST_VIEWERS; i++) {
      viewers.add(JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/cam")));
    }
    LateReader late = new LateReader(server.webSocketUri().getPort());
    Await.until("viewers subscribed", () -> channel.subscriberCount() == FAST_VIEWERS + 1);

    List<byte[]> published = new ArrayList<>();
    for (int f = 0; f < FRAMES; f++) {
      published.add(payload(f));
      channel.publish(Frame.of("image/jpeg", published.get(f)));
      if (f % 8 == 7) { // bursts of eight: newest-wins drops some, writes overlap retirement
        int last = f;
        Await.until("frame " + last + " reaches every reading viewer",
            () -> viewers.subList(0, FAST_VIEWERS).stream().allMatch(v -> lastIndex(v) == last), Duration.ofSeconds(20));
      }
    }
    assertTrue(DirectMessage.retained() - retainedBefore >= FRAMES,
        "the server wrote from native memory: " + (DirectMessage.retained() - retainedBefore) + " writes");

    for (JdkWsClient v : viewers.subList(0, FAST_VIEWERS)) {
      int previous = -1;
      List<byte[]> got = v.binaries();
      for (byte[] b : got) {
        int n = ByteBuffer.wrap(b, 3, 4).getInt();
        assertTrue(n > previous && n < FRAMES, "frames in order: " + n + " after " + previous);
        assertArrayEquals(published.get(n), b, "frame " + n + " arrives byte for byte");
        previous = n;
      }
      assertTrue(got.size() >= FRAMES / 8, "each burst's newest frame at least: " + got.size());
    }

    // The late reader read nothing so far: its frames waited in the server's write queue, holding their
    // memory while later frames were built. Each one it now reads must still be exactly its frame.
    List<byte[]> queued = late.readAll(FRAMES - 1);
    assertTrue(queued.size() >= 2, "the late reader got frames: " + queued.size());
    int previous = -1;
    for (byte[] b : queued) {
      int n = ByteBuffer.wrap(b, 3, 4).getInt();
      assertTrue(n > previous && n < FRAMES, "late reader: frames in order, each once: " + n + " after " + previous);
      assertArrayEquals(published.get(n), b, "late reader: frame " + n + " arrives byte for byte");
      previous = n;
    }
    late.close();

    server.close();
    server = null;
    Await.until(() -> "every message's memory goes back once the server closed (in use: " + DirectMessage.inUse()
        + ", before: " + inUseBefore + ")", () -> DirectMessage.inUse() <= inUseBefore, Duration.ofSeconds(20));
  }

  /**
   * A viewer on a raw socket with a small receive buffer that reads nothing until asked, then reads its
   * upgrade answer and every message the server queued for it.
   */
  private static final class LateReader implements AutoCloseable {
    private final Socket socket = new Socket();

    LateReader(int port) throws IOException {
      socket.setReceiveBufferSize(8 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.getOutputStream().write(("GET /ws/live/cam HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: ZGlyZWN0LW1lc3NhZ2UtaXQ=\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads binary messages until one of frame {@code last}, the end of the stream, or 10 s of silence. */
    List<byte[]> readAll(int last) throws IOException {
      socket.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      int tail = 0;
      while (tail != 0x0D0A0D0A) { // the 101 answer's head
        tail = (tail << 8) | in.readUnsignedByte();
      }
      List<byte[]> out = new ArrayList<>();
      try {
        while (true) {
          int b0 = in.readUnsignedByte();
          long length = in.readUnsignedByte() & 0x7F;
          length = length == 126 ? in.readUnsignedShort() : length == 127 ? in.readLong() : length;
          byte[] payload = new byte[Math.toIntExact(length)];
          in.readFully(payload);
          if ((b0 & 0x0F) == 0x2) {
            out.add(payload);
            if (ByteBuffer.wrap(payload, 3, 4).getInt() == last) {
              return out;
            }
          } else if ((b0 & 0x0F) == 0x8) {
            return out; // closed by the server (evicted as stalled): what came before still counts
          }
        }
      } catch (EOFException | SocketTimeoutException e) {
        return out;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private static int lastIndex(JdkWsClient v) {
    byte[] last = v.lastBinary();
    return last == null ? -1 : ByteBuffer.wrap(last, 3, 4).getInt();
  }
}
