package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client on the JDK's {@code java.net.http.WebSocket}: a viewer of {@code /ws/live/{channel}}
 * (binary or data URIs) or a publisher on {@code /ws/publish/{channel}}.
 */
final class WsClient extends RecordingClient implements WebSocket.Listener {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static final int MAX_DATA_URI_BYTES = 64 << 20;

  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  /** The close code and reason received; code 1006 when the connection was lost without a close. */
  private final CompletableFuture<Object[]> ended = new CompletableFuture<>();
  private volatile String contentType; // what the last description announced
  private volatile WebSocket socket; // set in onOpen, before any message arrives
  /** A viewer of the chunk stream (W12): an image's chunk message is recorded as the image it carries. */
  private final boolean chunks;

  private WsClient(boolean chunks) {
    this.chunks = chunks;
  }

  /** Connects to a WebSocket address with extra headers (name, value, ...), waiting at most 15 s. */
  static WsClient connect(URI uri, String... headers) {
    return open(uri, new WsClient(uri.getQuery() != null && uri.getQuery().contains("format=chunks")), headers);
  }

  /** Connects a listener to a WebSocket address with extra headers (name, value, ...), waiting at most 15 s. */
  static <L extends WebSocket.Listener> L open(URI uri, L listener, String... headers) {
    WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    for (int i = 1; i < headers.length; i += 2) {
      builder.header(headers[i - 1], headers[i]);
    }
    builder.buildAsync(uri, listener).orTimeout(15, TimeUnit.SECONDS).join();
    return listener;
  }

  @Override
  void requestOne() {
    socket.request(1);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      String message = text.toString();
      text.setLength(0);
      if (DataUris.isDataUri(message)) {
        Frame f;
        try {
          f = DataUris.decode(message, MAX_DATA_URI_BYTES).build();
        } catch (RuntimeException e) {
          // Say why in the failure: the JDK client aborts the connection on a listener's exception.
          ended.complete(new Object[] {1006, "the client could not decode a data URI of " + message.length()
              + " characters (" + e + "): " + message.substring(0, Math.min(80, message.length())) + "..."});
          throw e;
        }
        add(ViewerEvent.frame(f.copyPayload(), f.contentType()));
      } else {
        JsonNode parsed = json(message);
        if ("status".equals(parsed.path("type").asText())) {
          add(ViewerEvent.status(parsed));
        } else {
          contentType = parsed.path("contentType").asText(contentType);
          add(ViewerEvent.description(parsed));
        }
      }
    }
    taken();
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    binary.write(chunk, 0, chunk.length);
    if (last) {
      byte[] message = binary.toByteArray();
      boolean image = chunks && !"video/mp4".equals(contentType);
      add(ViewerEvent.frame(image ? Chunks.parse(message).samples().get(0).data() : message, contentType));
      binary.reset();
    }
    taken();
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    ended.complete(new Object[] {statusCode, reason});
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    ended.complete(new Object[] {1006, String.valueOf(error)});
  }

  @Override
  public boolean isClosed() {
    return ended.isDone();
  }

  /** The close code received (1006 for a connection lost without one), waiting at most {@code timeout}. */
  int closeCode(Duration timeout) {
    return (Integer) ended.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join()[0];
  }

  /** The reason of the close received, or empty before it. */
  String closeReason() {
    return ended.isDone() ? (String) ended.join()[1] : "";
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
