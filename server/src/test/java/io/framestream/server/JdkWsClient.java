package io.framestream.server;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A WebSocket test client on the JDK's {@code java.net.http.WebSocket}: records whole text and binary
 * messages and the close. With {@code reading=false} it requests one message and then nothing more, so the
 * JDK stops reading the socket: a viewer that stalls.
 */
public final class JdkWsClient implements WebSocket.Listener {

  /** One received message: text or binary. */
  public record Message(String text, byte[] binary) {
    public boolean isText() {
      return text != null;
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private final boolean reading;
  private final boolean retain;
  private final AtomicInteger binaryCount = new AtomicInteger();
  private volatile byte[] lastBinary;
  private final List<Message> messages = new ArrayList<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
  private final CompletableFuture<int[]> closed = new CompletableFuture<>();
  private volatile String closeReason = "";
  private final AtomicInteger bytesReceived = new AtomicInteger();
  private WebSocket socket;

  private JdkWsClient(boolean reading, boolean retain) {
    this.reading = reading;
    this.retain = retain;
  }

  public static JdkWsClient connect(URI uri) {
    return connect(uri, true);
  }

  public static JdkWsClient connect(URI uri, boolean reading) {
    return connect(uri, reading, true);
  }

  /** A viewer that counts binary messages and keeps only the last one (for load tests). */
  public static JdkWsClient connectCounting(URI uri) {
    return connect(uri, true, false);
  }

  private static JdkWsClient connect(URI uri, boolean reading, boolean retain) {
    JdkWsClient c = new JdkWsClient(reading, retain);
    c.socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10)).buildAsync(uri, c)
        .orTimeout(15, TimeUnit.SECONDS).join();
    return c;
  }

  /** Connects with extra handshake headers (name, value, name, value...). */
  public static JdkWsClient connectWithHeaders(URI uri, String... headers) {
    JdkWsClient c = new JdkWsClient(true, true);
    WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    c.socket = b.buildAsync(uri, c).orTimeout(15, TimeUnit.SECONDS).join();
    return c;
  }

  /** Tries to connect and returns the HTTP status of a refused handshake. */
  public static int refusedStatus(URI uri, String... headers) {
    try {
      WebSocket.Builder b = HTTP.newWebSocketBuilder();
      for (int i = 0; i + 1 < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
      }
      b.buildAsync(uri, new JdkWsClient(true, true)).orTimeout(15, TimeUnit.SECONDS).join().abort();
    } catch (CompletionException e) {
      if (e.getCause() instanceof WebSocketHandshakeException) {
        return ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode();
      }
      throw e;
    }
    throw new AssertionError("handshake to " + uri + " was accepted");
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    bytesReceived.addAndGet(data.length());
    text.append(data);
    if (last) {
      add(new Message(text.toString(), null));
      text.setLength(0);
    }
    more(webSocket);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    bytesReceived.addAndGet(data.remaining());
    byte[] chunk = new byte[data.remaining()];
    data.get(chunk);
    binary.write(chunk, 0, chunk.length);
    if (last) {
      byte[] whole = binary.toByteArray();
      binary.reset();
      lastBinary = whole;
      binaryCount.incrementAndGet();
      if (retain) {
        add(new Message(null, whole));
      }
    }
    more(webSocket);
    return null;
  }

  private void more(WebSocket webSocket) {
    if (reading) {
      webSocket.request(1);
    }
  }

  private void add(Message m) {
    synchronized (messages) {
      messages.add(m);
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
    closed.complete(new int[] {1006});
  }

  public List<Message> messages() {
    synchronized (messages) {
      return new ArrayList<>(messages);
    }
  }

  public int count() {
    synchronized (messages) {
      return messages.size();
    }
  }

  public int binaryCount() {
    return binaryCount.get();
  }

  public byte[] lastBinary() {
    return lastBinary;
  }

  public List<byte[]> binaries() {
    List<byte[]> out = new ArrayList<>();
    for (Message m : messages()) {
      if (!m.isText()) {
        out.add(m.binary());
      }
    }
    return out;
  }

  public List<String> texts() {
    List<String> out = new ArrayList<>();
    for (Message m : messages()) {
      if (m.isText()) {
        out.add(m.text());
      }
    }
    return out;
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** The close code received, waiting for it within the bound. */
  public int closeCode(Duration timeout) {
    return closed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join()[0];
  }

  public String closeReason() {
    return closeReason;
  }

  public void sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(15, TimeUnit.SECONDS).join();
  }

  /** Sends the first part of a binary message and not the rest. */
  public void sendPartialBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), false).orTimeout(15, TimeUnit.SECONDS).join();
  }

  public void sendText(String s) {
    socket.sendText(s, true).orTimeout(15, TimeUnit.SECONDS).join();
  }

  public void abort() {
    socket.abort();
  }

  public void close() {
    if (!socket.isOutputClosed()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
    }
    socket.abort();
  }
}
