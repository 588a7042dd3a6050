package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A client of {@code /ws/multi} on the JDK's WebSocket: sends {@code add}/{@code remove} control messages and
 * records, in arrival order, the JSON answers and the tagged frames (name length, name, kind, type length,
 * type, payload), decoded.
 */
final class MultiClient implements WebSocket.Listener, AutoCloseable {

  /** One message received: a JSON text, or a frame of a channel. */
  record Message(JsonNode json, String channel, int kind, String contentType, byte[] payload) {
    int index() {
      return payload == null ? -1 : TestFrames.indexOf(payload);
    }

    @Override
    public String toString() {
      return json != null ? json.toString() : "frame " + index() + " of " + channel + " (" + contentType + ")";
    }
  }

  private final List<Message> messages = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  private volatile WebSocket socket;

  private MultiClient() {}

  /** Connects with extra headers (name, value, ...), waiting at most 15 s. */
  static MultiClient connect(URI uri, String... headers) {
    return WsClient.open(uri, new MultiClient(), headers);
  }

  /** Sends a control message and waits until it has gone out. */
  void send(String json) {
    socket.sendText(json, true).orTimeout(10, TimeUnit.SECONDS).join();
  }

  void add(String channel) {
    send("{\"type\":\"add\",\"channel\":\"" + channel + "\"}");
  }

  void remove(String channel) {
    send("{\"type\":\"remove\",\"channel\":\"" + channel + "\"}");
  }

  /** Everything received so far. */
  List<Message> messages() {
    synchronized (messages) {
      return new ArrayList<>(messages);
    }
  }

  /** The JSON answers of a type ({@code added}, {@code error}, ...) so far. */
  List<JsonNode> answers(String type) {
    List<JsonNode> out = new ArrayList<>();
    for (Message m : messages()) {
      if (m.json() != null && type.equals(m.json().path("type").asText())) {
        out.add(m.json());
      }
    }
    return out;
  }

  /** The test indices of one channel's frames so far. */
  List<Integer> indices(String channel) {
    List<Integer> out = new ArrayList<>();
    for (Message m : messages()) {
      if (channel.equals(m.channel())) {
        out.add(m.index());
      }
    }
    return out;
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
      record(new Message(RecordingClient.json(text.toString()), null, -1, null, null));
      text.setLength(0);
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    binary.write(chunk, 0, chunk.length);
    if (last) {
      byte[] m = binary.toByteArray();
      binary.reset();
      int n = m[0] & 0xFF;
      String channel = new String(m, 1, n, StandardCharsets.US_ASCII);
      int kind = m[1 + n];
      int t = m[2 + n] & 0xFF;
      String type = new String(m, 3 + n, t, StandardCharsets.US_ASCII);
      record(new Message(null, channel, kind, type, Arrays.copyOfRange(m, 3 + n + t, m.length)));
    }
    webSocket.request(1);
    return null;
  }

  private void record(Message m) {
    synchronized (messages) {
      messages.add(m);
    }
  }

  @Override
  public void close() {
    if (socket != null && !socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null)
          .join();
    }
    if (socket != null) {
      socket.abort();
    }
  }
}
