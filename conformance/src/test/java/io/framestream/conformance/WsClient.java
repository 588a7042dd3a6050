package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client on the JDK's {@code java.net.http.WebSocket}: a viewer of {@code /ws/live/{channel}}
 * (binary or data URIs) or a publisher on {@code /ws/publish/{channel}}. It reads one message at a time, so
 * {@link #pause()} really stops reading the socket.
 */
final class WsClient implements ViewerClient, WebSocket.Listener {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final int MAX_DATA_URI_BYTES = 64 << 20;

  private final List<ViewerEvent> events = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  private final CompletableFuture<int[]> closed = new CompletableFuture<>();
  private final Object demand = new Object();
  private boolean paused; // guarded by demand
  private boolean owed; // guarded by demand: a message was taken while paused, so one request is due
  private volatile String closeReason = "";
  private volatile String contentType; // what the last description announced
  private WebSocket socket;

  private WsClient() {}

  /** Connects to a WebSocket address with extra headers (name, value, ...), waiting at most 15 s. */
  static WsClient connect(URI uri, String... headers) {
    WsClient c = new WsClient();
    WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    c.socket = b.buildAsync(uri, c).orTimeout(15, TimeUnit.SECONDS).join();
    return c;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      String message = text.toString();
      text.setLength(0);
      if (DataUris.isDataUri(message)) {
        Frame f = DataUris.decode(message, MAX_DATA_URI_BYTES).build();
        add(ViewerEvent.frame(f.copyPayload(), f.contentType()));
      } else {
        JsonNode json = parse(message);
        if ("status".equals(json.path("type").asText())) {
          add(ViewerEvent.status(json));
        } else {
          contentType = json.path("contentType").asText(contentType);
          add(ViewerEvent.description(json));
        }
      }
    }
    next(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    binary.write(chunk, 0, chunk.length);
    if (last) {
      add(ViewerEvent.frame(binary.toByteArray(), contentType));
      binary.reset();
    }
    next(webSocket);
    return null;
  }

  private void next(WebSocket webSocket) {
    synchronized (demand) {
      if (paused) {
        owed = true;
        return;
      }
    }
    webSocket.request(1);
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }

  private void add(ViewerEvent e) {
    synchronized (events) {
      events.add(e);
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closeReason = reason;
    closed.complete(new int[] {statusCode});
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closeReason = String.valueOf(error);
    closed.complete(new int[] {1006});
  }

  @Override
  public List<ViewerEvent> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  @Override
  public void pause() {
    synchronized (demand) {
      paused = true;
    }
  }

  @Override
  public void resume() {
    boolean request;
    synchronized (demand) {
      paused = false;
      request = owed;
      owed = false;
    }
    if (request) {
      socket.request(1);
    }
  }

  @Override
  public boolean isClosed() {
    return closed.isDone();
  }

  /** The close code received (1006 for a connection lost without one), waiting at most {@code timeout}. */
  int closeCode(Duration timeout) {
    return closed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join()[0];
  }

  /** The reason of the close received. */
  String closeReason() {
    return closeReason;
  }

  /** Sends one binary message (a publisher's frame) without waiting for it to go out. */
  CompletableFuture<WebSocket> sendBinary(byte[] bytes) {
    return socket.sendBinary(ByteBuffer.wrap(bytes), true);
  }

  @Override
  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS)
          .exceptionally(e -> null).join();
    }
    socket.abort();
  }
}
