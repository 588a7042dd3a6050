package io.framestream.transport.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ContentTypes;
import io.framestream.core.Frame;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.core.TransportException;
import io.framestream.core.internal.Fmp4Kinds;
import io.framestream.transport.websocket.internal.Checks;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * A remote channel as a {@link FrameSource}: connects to {@code ws://host:port/ws/live/{channel}} of a
 * framestream server and returns the frames it receives, with the content type, dimensions and codec the
 * server's {@code init} messages announce.
 *
 * <p>Run it with a {@link SourceRunner} into a local channel to relay one server's channel into another
 * process. Reconnecting is the runner's job: when the connection drops, {@link #nextFrame()} throws a
 * {@link TransportException}, and the runner reopens the source after its backoff (exponential, with
 * jitter); {@link SourceRunner#close()} stops it for good.
 *
 * <pre>{@code
 * FrameSource remote = WebSocketFrameSource.builder(URI.create("ws://cam-host:8080/ws/live/cam1")).build();
 * SourceRunner relay = SourceRunner.builder(remote, localRegistry.channel("cam1")).build().start();
 * }</pre>
 *
 * <p>Frames received while the consumer is {@link Builder#maxQueuedFrames(int)} behind end the connection
 * (a consumer that far behind is better served by reconnecting at the newest key frame than by a backlog).
 *
 * <h2>Thread safety</h2>
 *
 * Follows the {@link FrameSource} rules: one consumer thread calls {@link #open()} and {@link #nextFrame()};
 * {@link #close()} may be called from any thread and unblocks a waiting {@code nextFrame()}. Messages are
 * received on Tyrus client threads and handed over through a bounded queue.
 *
 * @since 0.1.0
 */
public final class WebSocketFrameSource implements FrameSource {

  /** Default connect (handshake) timeout: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link Builder#maxQueuedFrames(int)}: 256. */
  public static final int DEFAULT_MAX_QUEUED_FRAMES = 256;
  /** Default {@link Builder#maxFrameBytes(int)}: 8 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 8 << 20;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Object END = new Object();

  private final URI uri;
  private final Duration connectTimeout;
  private final int maxQueuedFrames;
  private final int maxFrameBytes;
  private final Duration frameTimeout;

  private final Object lock = new Object();
  private ClientManager client;
  private Session session;
  private LinkedBlockingQueue<Object> queue;
  // Written by Tyrus threads of the current connection, one message at a time.
  private volatile String contentType = ContentTypes.OCTET_STREAM;
  private volatile int width;
  private volatile int height;
  private volatile String codec;

  private WebSocketFrameSource(Builder b) {
    this.uri = b.uri;
    this.connectTimeout = b.connectTimeout;
    this.maxQueuedFrames = b.maxQueuedFrames;
    this.maxFrameBytes = b.maxFrameBytes;
    this.frameTimeout = b.frameTimeout;
  }

  /**
   * Starts a builder.
   *
   * @param liveUri the viewing address, {@code ws://host:port/ws/live/{channel}} (binary format)
   * @return a new builder
   * @throws NullPointerException if {@code liveUri} is {@code null}
   * @throws IllegalArgumentException if the scheme is not {@code ws} or {@code wss}
   */
  public static Builder builder(URI liveUri) {
    return new Builder(WebSocketFrameSink.requireWebSocketUri(liveUri));
  }

  /**
   * Connects to the remote channel.
   *
   * @throws TransportException if the connection or handshake fails (the runner retries with backoff)
   */
  @Override
  public void open() {
    LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>(maxQueuedFrames + 1);
    ClientManager c = ClientManager.createClient();
    c.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, (int) connectTimeout.toMillis());
    Listener listener = new Listener(q);
    try {
      Session s = c.connectToServer(listener, ClientEndpointConfig.Builder.create().build(), uri);
      s.setMaxBinaryMessageBufferSize(maxFrameBytes);
      s.setMaxTextMessageBufferSize(1 << 16);
      synchronized (lock) {
        client = c;
        session = s;
        queue = q;
      }
    } catch (DeploymentException | IOException | RuntimeException e) {
      // The connect may have succeeded on the wire (for instance when the runner interrupted us while
      // waiting for it): shutting the client down does not close sessions, so close it ourselves.
      listener.abandon();
      c.shutdown();
      throw new TransportException("cannot connect to " + uri + ": " + e.getMessage(), e);
    }
  }

  /**
   * Returns the next frame received.
   *
   * @return the frame
   * @throws TransportException when the connection closed or failed (reconnect by reopening)
   * @throws InterruptedException if interrupted while waiting
   */
  @Override
  public Frame nextFrame() throws InterruptedException {
    LinkedBlockingQueue<Object> q;
    synchronized (lock) {
      q = queue;
    }
    if (q == null) {
      throw new IllegalStateException("not open");
    }
    Object next = frameTimeout.isZero() ? q.take() : q.poll(frameTimeout.toNanos(), TimeUnit.NANOSECONDS);
    if (next == null) {
      throw new TransportException("no frame from " + uri + " for " + frameTimeout.toMillis() + " ms (frameTimeout)");
    }
    if (next instanceof Frame) {
      return (Frame) next;
    }
    q.offer(END); // keep the end visible to later calls
    throw new TransportException("connection to " + uri + " ended: " + (next == END ? "closed" : next));
  }

  private static void closeQuietly(Session s) {
    if (s != null) {
      try {
        s.close();
      } catch (IOException | RuntimeException e) {
        // already gone
      }
    }
  }

  /** Disconnects; a waiting {@link #nextFrame()} throws. */
  @Override
  public void close() {
    ClientManager c;
    Session s;
    LinkedBlockingQueue<Object> q;
    synchronized (lock) {
      c = client;
      s = session;
      q = queue;
      client = null;
      session = null;
    }
    if (q != null) {
      q.clear();
      q.offer(END);
    }
    closeQuietly(s);
    if (c != null) {
      c.shutdown();
    }
  }

  @Override
  public String toString() {
    return "WebSocketFrameSource[" + uri + "]";
  }

  /** Receives one connection's messages. */
  private final class Listener extends Endpoint {
    private final LinkedBlockingQueue<Object> q;
    private final Fmp4Kinds mp4Kinds = new Fmp4Kinds(); // Tyrus delivers one connection's messages serially
    private Session opened; // guarded by this
    private boolean abandoned; // guarded by this

    Listener(LinkedBlockingQueue<Object> q) {
      this.q = q;
    }

    /** The connect attempt failed or was given up: close the session now or as soon as it opens. */
    void abandon() {
      Session s;
      synchronized (this) {
        abandoned = true;
        s = opened;
      }
      closeQuietly(s);
    }

    @Override
    public void onOpen(Session s, EndpointConfig config) {
      synchronized (this) {
        opened = s;
        if (abandoned) {
          closeQuietly(s);
          return;
        }
      }
      s.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) bytes -> onBinary(s, bytes));
      s.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::onText);
    }

    private void onBinary(Session s, ByteBuffer bytes) {
      String type = contentType;
      Frame.Builder b = Frame.builder(new byte[0]).payload(bytes).contentType(type);
      if (ContentTypes.MP4.equals(type)) {
        mp4Kinds.kindOf(bytes, null).ifPresent(b::kind); // the wire does not say key or delta
      }
      if (width > 0 && height > 0) {
        b.dimensions(width, height);
      }
      if (codec != null) {
        b.codec(codec);
      }
      if (!q.offer(b.build())) {
        q.clear();
        q.offer("consumer fell " + maxQueuedFrames + " frames behind");
        try {
          s.close(new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "consumer too slow"));
        } catch (IOException e) {
          // closing anyway
        }
      }
    }

    private void onText(String text) {
      try {
        JsonNode init = JSON.readTree(text);
        if (!"init".equals(init.path("type").asText())) {
          return;
        }
        if (init.hasNonNull("contentType")) {
          contentType = ContentTypes.requireValid(init.get("contentType").asText());
        }
        width = init.path("width").asInt(0);
        height = init.path("height").asInt(0);
        codec = init.hasNonNull("codec") ? init.get("codec").asText() : null;
      } catch (IOException | IllegalArgumentException e) {
        q.offer("malformed init message: " + e.getMessage());
      }
    }

    @Override
    public void onClose(Session s, CloseReason reason) {
      q.offer("closed by the server: " + reason.getCloseCode().getCode() + " " + reason.getReasonPhrase());
    }

    @Override
    public void onError(Session s, Throwable thr) {
      q.offer("failed: " + thr);
    }
  }

  /**
   * Builds a {@link WebSocketFrameSource}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final URI uri;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int maxQueuedFrames = DEFAULT_MAX_QUEUED_FRAMES;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private Duration frameTimeout = Duration.ZERO;

    private Builder(URI uri) {
      this.uri = uri;
    }

    /**
     * Sets the connect and handshake timeout.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Checks.positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets how many received frames may wait for {@link WebSocketFrameSource#nextFrame()} before the
     * connection is dropped.
     *
     * @param n 1 to 100,000
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxQueuedFrames(int n) {
      if (n < 1 || n > 100_000) {
        throw new IllegalArgumentException("maxQueuedFrames must be 1..100000, got " + n);
      }
      this.maxQueuedFrames = n;
      return this;
    }

    /**
     * Sets a frame watchdog: when no frame arrives for this long, {@link WebSocketFrameSource#nextFrame()}
     * fails and the runner reconnects. Off by default ({@link Duration#ZERO}); an idle or offline channel
     * then reconnects at this pace.
     *
     * @param timeout zero (off) or positive
     * @return this builder
     * @throws NullPointerException if {@code timeout} is {@code null}
     * @throws IllegalArgumentException if negative
     */
    public Builder frameTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("frameTimeout must not be negative, got " + timeout);
      }
      this.frameTimeout = timeout;
      return this;
    }

    /**
     * Sets the largest frame accepted from the server.
     *
     * @param bytes 1 to 256 MiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder maxFrameBytes(int bytes) {
      this.maxFrameBytes = Checks.frameBytes(bytes);
      return this;
    }

    /**
     * Builds the source; a {@link SourceRunner} opens it.
     *
     * @return the source
     */
    public WebSocketFrameSource build() {
      return new WebSocketFrameSource(this);
    }
  }
}
