package io.framestream.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A viewer on the JDK's {@code java.net.http.WebSocket} that keeps, in arrival order, every text message as
 * parsed JSON and only the first bytes of every binary message (a test writes what it needs to check there),
 * so long, fast runs stay small in memory. At most {@value #MAX_EVENTS} messages are kept.
 */
final class WsOrderRecorder implements WebSocket.Listener {

  /** Bytes kept of each binary message. */
  static final int PREFIX = 32;
  static final int MAX_EVENTS = 100_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /** One message: {@code json} for a text, {@code prefix} (and the full length) for a binary. */
  record Event(JsonNode json, byte[] prefix, int length) {
    boolean isText() {
      return json != null;
    }
  }

  private final List<Event> events = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream head = new ByteArrayOutputStream();
  private int binaryLength;
  private volatile boolean closed;
  private final long pauseNanos;
  private WebSocket socket;

  private WsOrderRecorder(long pauseNanos) {
    this.pauseNanos = pauseNanos;
  }

  static WsOrderRecorder connect(URI uri) {
    return connect(uri, Duration.ZERO);
  }

  /**
   * Connects a viewer that reads slower than a fast publisher sends: it pauses after each whole message, so
   * the server's writes to it queue up.
   */
  static WsOrderRecorder connect(URI uri, Duration pausePerMessage) {
    WsOrderRecorder r = new WsOrderRecorder(pausePerMessage.toNanos());
    r.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, r)
        .orTimeout(15, TimeUnit.SECONDS).join();
    return r;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      JsonNode node;
      try {
        node = JSON.readTree(text.toString());
      } catch (Exception e) {
        node = JSON.getNodeFactory().textNode(text.toString());
      }
      text.setLength(0);
      add(new Event(node, null, 0));
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    int n = data.remaining();
    binaryLength += n;
    int keep = Math.min(n, PREFIX - head.size());
    if (keep > 0) {
      byte[] b = new byte[keep];
      data.get(b);
      head.write(b, 0, keep);
    }
    if (last) {
      add(new Event(null, head.toByteArray(), binaryLength));
      head.reset();
      binaryLength = 0;
      Await.pace(pauseNanos); // slows this client's reading only (its own listener thread)
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed = true;
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed = true;
  }

  private void add(Event e) {
    synchronized (events) {
      if (events.size() < MAX_EVENTS) {
        events.add(e);
      }
    }
  }

  List<Event> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  boolean isClosed() {
    return closed;
  }

  void abort() {
    socket.abort();
  }
}
