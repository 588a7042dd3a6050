package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rule H2: a frame over its connection's limit is refused from its header (close 1009), before its payload
 * is read or held; publishers' frames up to the limit still pass.
 */
class OversizeFrameIT {

  private static final int LIMIT = 1 << 20;
  private static final int VIEWER_LIMIT = 4096;

  private FrameStreamServer server;
  private final List<RawWebSocket> sockets = new ArrayList<>();
  private final List<JdkWsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    server = FrameStreamServer.builder().port(0).maxFrameBytes(LIMIT).build().start();
  }

  @AfterEach
  void stop() {
    sockets.forEach(RawWebSocket::close);
    clients.forEach(JdkWsClient::abort);
    server.close();
  }

  private RawWebSocket open(String path) throws IOException {
    RawWebSocket s = RawWebSocket.open(server.port(), path);
    sockets.add(s);
    return s;
  }

  @Test
  void h2_aPublisherFrameOverTheLimitIsRefusedFromItsHeader() throws Exception {
    RawWebSocket publisher = open("/ws/publish/big?type=image/jpeg");
    long started = System.nanoTime();
    publisher.sendHeader(true, RawWebSocket.BINARY, 20L << 20);
    publisher.send(new byte[16]);
    int code = publisher.awaitCloseCode(Duration.ofSeconds(5));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals(1009, code, "close code for a 20 MiB frame announced to a 1 MiB publisher limit");
    assertTrue(millis < 3000, "refused from the header, without waiting for the payload: " + millis + " ms");
    assertTrue(publisher.awaitEof(Duration.ofSeconds(5)), "the connection is closed after the close frame");
  }

  @Test
  void h2_aViewerMessageOverItsSmallLimitIsRefusedFromItsHeader() throws Exception {
    RawWebSocket viewer = open("/ws/live/big");
    viewer.sendHeader(true, RawWebSocket.TEXT, 1L << 20);
    viewer.send(new byte[16]);
    assertEquals(1009, viewer.awaitCloseCode(Duration.ofSeconds(5)));
    assertTrue(viewer.awaitEof(Duration.ofSeconds(5)));
  }

  @Test
  void h2_aViewerMessageAtItsLimitStillPasses() throws Exception {
    RawWebSocket viewer = open("/ws/live/small");
    byte[] json = ("{\"type\":\"hello\",\"pad\":\"" + "x".repeat(VIEWER_LIMIT - 40) + "\"}")
        .getBytes(StandardCharsets.US_ASCII);
    assertTrue(json.length <= VIEWER_LIMIT);
    viewer.sendFrame(true, RawWebSocket.TEXT, json);
    viewer.sendFrame(true, RawWebSocket.PING, new byte[] {1, 2});
    assertEquals(RawWebSocket.PONG, viewer.awaitOpcode(RawWebSocket.PONG, Duration.ofSeconds(5)),
        "the connection is still served after a message at the limit");
  }

  @Test
  void h2_aFragmentedMessageIsRefusedWhenItsRunningTotalPassesTheLimit() throws Exception {
    RawWebSocket publisher = open("/ws/publish/frag?type=image/jpeg");
    byte[] half = WebSocketServerIT.jpeg(1, LIMIT / 2);
    publisher.sendFrame(false, RawWebSocket.BINARY, half);
    publisher.sendFrame(false, RawWebSocket.CONTINUATION, new byte[LIMIT / 2]);
    // Exactly at the limit so far; the next fragment's header takes the running total over it.
    publisher.sendHeader(true, RawWebSocket.CONTINUATION, 1024);
    assertEquals(1009, publisher.awaitCloseCode(Duration.ofSeconds(5)));
    assertTrue(publisher.awaitEof(Duration.ofSeconds(5)));
  }

  @Test
  void h2_anOversizeControlFrameIsAProtocolError() throws Exception {
    RawWebSocket viewer = open("/ws/live/ctl");
    viewer.sendHeader(true, RawWebSocket.PING, 126);
    assertEquals(1002, viewer.awaitCloseCode(Duration.ofSeconds(5)));
  }

  @Test
  void h2_announcedGiantFramesDoNotGrowTheHeap() throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long before = heapAfterGc(memory);
    List<Thread> senders = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      RawWebSocket attacker = open(i % 2 == 0 ? "/ws/publish/giant" + i + "?type=image/jpeg" : "/ws/live/giant");
      Thread t = new Thread(() -> {
        try {
          attacker.sendHeader(true, RawWebSocket.BINARY, 200L << 20);
          byte[] chunk = new byte[64 << 10];
          for (int n = 0; n < 64; n++) { // 4 MiB of the announced 200 MiB, unless the server hangs up first
            attacker.send(chunk);
          }
        } catch (IOException e) {
          // the server hung up: expected
        }
      }, "giant-" + i);
      t.setDaemon(true);
      t.start();
      senders.add(t);
    }
    for (Thread t : senders) {
      t.join(10_000);
    }
    long during = heapAfterGc(memory);
    long grownMb = (during - before) >> 20;
    assertTrue(grownMb < 6, "heap after GC grew by " + grownMb + " MB while 4 connections announced 200 MiB each"
        + " and sent 4 MiB each (before " + (before >> 20) + " MB, after " + (during >> 20) + " MB)");
  }

  @Test
  void h2_framesJustUnderTheLimitStillPassAsBinaryAndAsDataUri() {
    JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/ok"));
    clients.add(publisher);
    byte[] frame = WebSocketServerIT.jpeg(7, LIMIT);
    publisher.sendBinary(frame);
    Await.until("binary frame of maxFrameBytes published",
        () -> server.registry().channel("ok").stats().framesIn() == 1);
    // LIMIT - 1 is a multiple of 3: no base64 padding (DataUris.decode's size estimate counts padding).
    byte[] jpeg = WebSocketServerIT.jpeg(8, LIMIT - 1);
    publisher.sendText("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg));
    Await.until("data URI of maxFrameBytes published",
        () -> server.registry().channel("ok").stats().framesIn() == 2);
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
    }
    return least;
  }

  /** A WebSocket client on a bare socket, to send what no well-behaved client would. */
  static final class RawWebSocket {
    static final int CONTINUATION = 0;
    static final int TEXT = 1;
    static final int BINARY = 2;
    static final int CLOSE = 8;
    static final int PING = 9;
    static final int PONG = 10;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    /** Connects and sends an upgrade request; the caller reads the answer. */
    static RawWebSocket request(int port, String path) throws IOException {
      Socket s = new Socket();
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(10_000);
      RawWebSocket ws = new RawWebSocket(s);
      ws.out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      ws.out.flush();
      return ws;
    }

    /** Connects and completes the handshake. */
    static RawWebSocket open(int port, String path) throws IOException {
      RawWebSocket ws = request(port, path);
      String head = ws.readHead();
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      return ws;
    }

    /** Reads an HTTP response head, up to and including the empty line. */
    String readHead() throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n") && head.length() < 8192) {
        int c = in.read();
        if (c < 0) {
          break;
        }
        head.append((char) c);
      }
      return head.toString();
    }

    /** Reads the body an answer's head announces with {@code Content-Length} (at most 64 KiB), as UTF-8. */
    String readBody(String head) throws IOException {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(head);
      assertTrue(m.find(), "a length: " + head);
      return new String(in.readNBytes(Math.min(65_536, Integer.parseInt(m.group(1)))), StandardCharsets.UTF_8);
    }

    void sendHeader(boolean fin, int opcode, long length) throws IOException {
      ByteArrayOutputStream h = new ByteArrayOutputStream();
      h.write((fin ? 0x80 : 0) | opcode);
      if (length < 126) {
        h.write(0x80 | (int) length);
      } else if (length < 65_536) {
        h.write(0x80 | 126);
        h.write((int) (length >>> 8));
        h.write((int) length);
      } else {
        h.write(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8) {
          h.write((int) (length >>> shift));
        }
      }
      h.write(new byte[4]); // a zero mask key: the payload goes out as is
      send(h.toByteArray());
    }

    void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
      sendHeader(fin, opcode, payload.length);
      send(payload);
    }

    void send(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** Reads frames until a close frame; returns its code, or -1 on end of stream or time out. */
    int awaitCloseCode(Duration timeout) throws IOException {
      byte[][] payload = new byte[1][];
      int opcode = awaitOpcode(CLOSE, timeout, payload);
      if (opcode != CLOSE || payload[0].length < 2) {
        return -1;
      }
      return ((payload[0][0] & 0xFF) << 8) | (payload[0][1] & 0xFF);
    }

    int awaitOpcode(int wanted, Duration timeout) throws IOException {
      return awaitOpcode(wanted, timeout, new byte[1][]);
    }

    private int awaitOpcode(int wanted, Duration timeout, byte[][] payloadOut) throws IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (int frames = 0; frames < 1000 && System.nanoTime() < deadline; frames++) {
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        try {
          int b0 = in.read();
          int b1 = in.read();
          if (b0 < 0 || b1 < 0) {
            return -1;
          }
          long len = b1 & 0x7F;
          if (len == 126) {
            len = (in.read() << 8) | in.read();
          } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
              len = (len << 8) | in.read();
            }
          }
          byte[] payload = in.readNBytes((int) Math.min(len, 16 << 20));
          if ((b0 & 0x0F) == wanted) {
            payloadOut[0] = payload;
            return wanted;
          }
        } catch (SocketTimeoutException e) {
          return -1;
        }
      }
      return -1;
    }

    /** True when the server ends the stream (EOF or reset) within the timeout, skipping what it still sends. */
    boolean awaitEof(Duration timeout) throws IOException {
      long deadline = System.nanoTime() + timeout.toNanos();
      byte[] sink = new byte[8192];
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        try {
          if (in.read(sink) < 0) {
            return true;
          }
        } catch (SocketTimeoutException e) {
          return false;
        } catch (IOException e) {
          return true; // reset
        }
      }
      return false;
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing
      }
    }
  }
}
