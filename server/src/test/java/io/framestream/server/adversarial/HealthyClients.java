package io.framestream.server.adversarial;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The well-behaved clients of {@link AdversarialIT}: a publisher that streams numbered JPEG-like frames at a
 * fixed rate, and viewers over WebSocket (binary) and SSE (JDK {@link HttpClient}, HTTP/1.1) that note
 * which frame numbers reached them. A frame's number sits in its bytes 4 to 7 (after {@code FF D8 FF E0}, so
 * that the server sniffs it as {@code image/jpeg}); viewers read it from the first bytes they receive.
 *
 * <h2>Thread safety</h2>
 *
 * Each client is thread-safe: its state is read by the test thread while the client's own threads write it.
 */
final class HealthyClients {

  /** Size of every published frame. */
  static final int FRAME_BYTES = 100_000;
  private static final byte[] TEMPLATE = new byte[FRAME_BYTES];

  static {
    new Random(12).nextBytes(TEMPLATE);
  }

  private HealthyClients() {}

  /** A frame carrying its number. */
  static byte[] frame(int number) {
    byte[] b = TEMPLATE.clone();
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    b[3] = (byte) 0xE0;
    ByteBuffer.wrap(b, 4, 4).putInt(number);
    return b;
  }

  /** The frame numbers one viewer received. */
  abstract static class Viewer {
    private final BitSet seen = new BitSet();
    private volatile int newest = -1;
    private volatile String closed; // null while open

    final synchronized void received(int number) {
      if (number >= 0) {
        seen.set(number);
        newest = Math.max(newest, number);
      }
    }

    final void closed(String how) {
      if (closed == null) {
        closed = how;
      }
    }

    /** How many of the frames numbered {@code from} (inclusive) to {@code to} (exclusive) arrived. */
    final synchronized int countBetween(int from, int to) {
      return to <= from ? 0 : seen.get(from, to).cardinality();
    }

    /**
     * Where the missing frames between {@code from} and {@code to} fall, as {@code second:count} pairs
     * (seconds after frame {@code from}, at {@code fps}), at most 12 of them.
     */
    final synchronized String missingBySecond(int from, int to, int fps) {
      java.util.Map<Integer, Integer> bySecond = new java.util.TreeMap<>();
      for (int n = seen.nextClearBit(from); n < to; n = seen.nextClearBit(n + 1)) {
        bySecond.merge((n - from) / fps, 1, Integer::sum);
      }
      StringBuilder b = new StringBuilder();
      bySecond.entrySet().stream().limit(12).forEach(e -> b.append(b.length() == 0 ? "" : " ")
          .append(e.getKey()).append("s:").append(e.getValue()));
      return bySecond.size() > 12 ? b + " ..." : b.toString();
    }

    /** The highest frame number received, or -1. */
    final int newest() {
      return newest;
    }

    /** How the connection ended, or null while it is open. */
    final String closedHow() {
      return closed;
    }

    abstract String name();

    abstract void close();
  }

  /** A binary WebSocket viewer on the JDK client. */
  static final class WsViewer extends Viewer implements WebSocket.Listener {
    private final String name;
    private final byte[] head = new byte[8];
    private int headBytes; // listener thread only: bytes of the current message's head seen so far
    private WebSocket socket;

    private WsViewer(String name) {
      this.name = name;
    }

    static WsViewer connect(HttpClient client, URI uri, String name) {
      WsViewer v = new WsViewer(name);
      v.socket = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, v)
          .orTimeout(15, TimeUnit.SECONDS).join();
      return v;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      int n = Math.min(head.length - headBytes, data.remaining());
      data.get(head, headBytes, n);
      headBytes += n;
      if (last) {
        received(headBytes == head.length ? ByteBuffer.wrap(head, 4, 4).getInt() : -1);
        headBytes = 0;
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed("close " + statusCode + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed("error " + error);
    }

    @Override
    String name() {
      return name;
    }

    @Override
    void close() {
      socket.abort();
    }
  }

  /** An SSE viewer on the JDK client (HTTP/1.1), reading the event stream on a thread of its own. */
  static final class SseViewer extends Viewer {
    private final String name;
    private volatile InputStream body;
    private volatile boolean closing;

    private SseViewer(String name) {
      this.name = name;
    }

    /** Connects; the response's headers must arrive within 15 s. */
    static SseViewer connect(HttpClient client, URI uri, String name) throws Exception {
      SseViewer v = new SseViewer(name);
      HttpResponse<InputStream> response = client.sendAsync(HttpRequest.newBuilder(uri)
              .version(HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(15)).build(),
          HttpResponse.BodyHandlers.ofInputStream()).get(20, TimeUnit.SECONDS);
      if (response.statusCode() != 200) {
        response.body().close();
        throw new IllegalStateException("SSE viewer " + name + " refused: HTTP " + response.statusCode());
      }
      v.body = response.body();
      Thread t = new Thread(v::read, "adversarial-" + name);
      t.setDaemon(true);
      t.start();
      return v;
    }

    private void read() {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.startsWith("data:") && !line.substring(5).trim().startsWith("{")) { // not an init event's JSON
            received(number(line));
          }
        }
        closed("EOF");
      } catch (Exception e) {
        closed(closing ? "closed by the test" : "error " + e);
      }
    }

    /** The frame number from a {@code data:} line carrying a data URI (or bare base64). */
    private static int number(String line) {
      int start = line.indexOf("base64,");
      start = start >= 0 ? start + 7 : line.charAt(5) == ' ' ? 6 : 5;
      if (line.length() < start + 12) {
        return -1;
      }
      try {
        byte[] first = Base64.getDecoder().decode(line.substring(start, start + 12));
        return ByteBuffer.wrap(first, 4, 4).getInt();
      } catch (IllegalArgumentException e) {
        return -1; // not a frame of ours
      }
    }

    @Override
    String name() {
      return name;
    }

    @Override
    void close() {
      closing = true;
      try {
        body.close();
      } catch (Exception e) {
        // already closed
      }
    }
  }

  /**
   * Publishes numbered frames over WebSocket at a fixed rate. The JDK client takes one message at a time;
   * frames that fall due while the previous one is still being written (or while this thread did not run)
   * wait, up to {@value #MAX_WAITING} (half a second), and beyond that the oldest due frame is skipped: a live
   * camera does not queue for long. Waiting frames catch up at twice the rate at most, not in one burst.
   */
  static final class Publisher implements WebSocket.Listener {
    /** Frames that may wait for the connection before the oldest is skipped. */
    static final int MAX_WAITING = 15;

    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final long periodNanos;
    private volatile boolean running = true;
    private volatile String closed;
    private WebSocket socket;
    private Thread thread;

    private Publisher(double fps) {
      this.periodNanos = (long) (1e9 / fps);
    }

    static Publisher start(HttpClient client, URI uri, String token, double fps) {
      Publisher p = new Publisher(fps);
      p.socket = client.newWebSocketBuilder().header("Authorization", "Bearer " + token)
          .connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, p).orTimeout(15, TimeUnit.SECONDS).join();
      p.thread = new Thread(p::run, "adversarial-publisher");
      p.thread.setDaemon(true);
      p.thread.start();
      return p;
    }

    private void run() {
      CompletableFuture<WebSocket> pending = null;
      long nextTick = System.nanoTime();
      long notBefore = nextTick;
      int due = 0;
      while (running && closed == null) {
        long now = System.nanoTime();
        for (int i = 0; i < 1000 && now - nextTick >= 0; i++) {
          due++;
          nextTick += periodNanos;
        }
        if (due > MAX_WAITING) {
          skipped.addAndGet(due - MAX_WAITING);
          due = MAX_WAITING;
        }
        if (due > 0 && now - notBefore >= 0 && (pending == null || pending.isDone())) {
          if (pending != null && pending.isCompletedExceptionally()) {
            closed("send failed");
            return;
          }
          pending = socket.sendBinary(ByteBuffer.wrap(frame(sent.get())), true);
          sent.incrementAndGet();
          due--;
          notBefore = now + periodNanos / 2;
        } else {
          // Waiting on the connection: poll each millisecond; else sleep until the next tick or catch-up slot.
          long until = due > 0 ? notBefore : nextTick;
          long wait = until - now > 0 ? until - now : TimeUnit.MILLISECONDS.toNanos(1);
          LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(2)));
        }
      }
    }

    private void closed(String how) {
      if (closed == null) {
        closed = how;
      }
    }

    /** Frames handed to the connection so far; the next frame's number. */
    int sent() {
      return sent.get();
    }

    /** Frames skipped because more than {@link #MAX_WAITING} were waiting for the connection. */
    int skipped() {
      return skipped.get();
    }

    /** How the connection ended, or null. */
    String closedHow() {
      return closed;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed("close " + statusCode + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed("error " + error);
    }

    /** Stops publishing (bounded) and drops the connection. */
    void close() throws InterruptedException {
      running = false;
      thread.join(5000);
      socket.abort();
    }
  }
}
