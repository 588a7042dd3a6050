package io.framestream.transport.websocket;

import io.framestream.core.Backoff;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.RetryPolicy;
import io.framestream.core.SendCallback;
import io.framestream.core.TransportException;
import io.framestream.core.wire.StreamDescription;
import io.framestream.transport.websocket.internal.Checks;
import jakarta.websocket.ClientEndpointConfig;
import jakarta.websocket.CloseReason;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.SendHandler;
import jakarta.websocket.Session;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * A remote publisher as a {@link FrameSink}: sends frames to {@code ws://host:port/ws/publish/{channel}}
 * of a framestream server, one binary message per frame, announcing content type, dimensions and codec in
 * a JSON {@code meta} control message whenever they change.
 *
 * <p>It connects in the background on {@link #start()} and reconnects after any disconnect or failed attempt,
 * after the delays of its {@link Builder#retryPolicy(RetryPolicy) RetryPolicy} (by default exponential
 * backoff with jitter, reset by the next connection), until {@link #close()}, which stops it for good. While
 * disconnected, frames
 * are completed at once and counted as dropped ({@link #framesDropped()}); after a reconnect the last init
 * segment (video) is sent again and frames are dropped until the next key frame, so the remote side can
 * always decode what it gets. {@link SendCallback#completed()} is called when Tyrus has handed the frame to
 * the socket, so a channel subscribing this sink keeps at most its in-flight limit queued here.
 *
 * <pre>{@code
 * try (WebSocketFrameSink remote = WebSocketFrameSink.builder(URI.create("ws://hub:8080/ws/publish/cam1"))
 *     .build().start()) {
 *   localChannel.subscribe(remote); // relay a local channel to another server
 * }
 * }</pre>
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #send(Frame, SendCallback)} must be called serially (as a channel does; rule K3);
 * {@link #start()} and {@link #close()} from any thread. Connecting runs on one daemon thread per sink.
 *
 * @since 0.1.0
 */
public final class WebSocketFrameSink implements FrameSink, AutoCloseable {

  /** Default connect (handshake) timeout: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Default first reconnect delay: 200 ms. */
  public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(200);
  /** Default longest reconnect delay: 10 s. */
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(10);

  private static final System.Logger LOG = System.getLogger(WebSocketFrameSink.class.getName());

  private final URI uri;
  private final Duration connectTimeout;
  private final RetryPolicy.Attempts reconnects; // connector thread only
  private final ScheduledExecutorService connector;
  private final ClientManager client = ClientManager.createClient();

  private final Object lock = new Object();
  private Session session; // guarded by lock
  private boolean started; // guarded by lock
  private volatile boolean closed;

  // Serial send path only (rule K3).
  private String announced;
  private Frame lastInit;
  private boolean waitForKey = true;
  private Session sessionOfLastSend;

  private final AtomicLong framesSent = new AtomicLong();
  private final AtomicLong framesDropped = new AtomicLong();
  private final AtomicLong connects = new AtomicLong();

  private WebSocketFrameSink(Builder b) {
    this.uri = b.uri;
    this.connectTimeout = b.connectTimeout;
    this.reconnects = b.retryPolicy.attempts();
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-ws-publisher-" + b.uri.getPath());
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.connector = executor;
    client.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, (int) connectTimeout.toMillis());
  }

  /**
   * Starts a builder.
   *
   * @param publishUri the publishing address, {@code ws://host:port/ws/publish/{channel}}
   * @return a new builder
   * @throws NullPointerException if {@code publishUri} is {@code null}
   * @throws IllegalArgumentException if the scheme is not {@code ws} or {@code wss}
   */
  public static Builder builder(URI publishUri) {
    return new Builder(requireWebSocketUri(publishUri));
  }

  static URI requireWebSocketUri(URI uri) {
    Objects.requireNonNull(uri, "uri");
    if (!"ws".equalsIgnoreCase(uri.getScheme()) && !"wss".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("expected a ws:// or wss:// URI, got " + uri);
    }
    return uri;
  }

  /**
   * Starts connecting in the background.
   *
   * @return this sink
   * @throws IllegalStateException if closed
   */
  public WebSocketFrameSink start() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (started) {
        return this;
      }
      started = true;
    }
    connector.execute(this::connect);
    return this;
  }

  /**
   * Tells whether a connection is open now.
   *
   * @return {@code true} while connected
   */
  public boolean isConnected() {
    synchronized (lock) {
      return session != null && session.isOpen();
    }
  }

  /**
   * Returns how many frames were handed to the socket.
   *
   * @return the count
   */
  public long framesSent() {
    return framesSent.get();
  }

  /**
   * Returns how many frames were dropped while disconnected or waiting for a key frame after a reconnect.
   *
   * @return the count
   */
  public long framesDropped() {
    return framesDropped.get();
  }

  /**
   * Returns how many times a connection was established.
   *
   * @return the count
   */
  public long connects() {
    return connects.get();
  }

  private void connect() {
    if (closed) {
      return;
    }
    try {
      Session s = client.connectToServer(new Watcher(), ClientEndpointConfig.Builder.create().build(), uri);
      synchronized (lock) {
        if (closed) {
          s.close();
          return;
        }
        session = s;
      }
      connects.incrementAndGet();
      reconnects.reset();
      LOG.log(System.Logger.Level.DEBUG, "publishing to {0}", uri);
      if (!s.isOpen()) {
        disconnected(s); // it closed before it was recorded, so its onClose found nothing to reconnect
      }
    } catch (DeploymentException | IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "cannot connect to " + uri + ": " + e.getMessage());
      scheduleReconnect();
    }
  }

  private void scheduleReconnect() {
    if (closed) {
      return;
    }
    try {
      connector.schedule(this::connect, reconnects.nextDelayNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closed meanwhile
    }
  }

  private void disconnected(Session s) {
    synchronized (lock) {
      if (session != s) {
        return;
      }
      session = null;
    }
    if (!closed) {
      try {
        connector.execute(this::scheduleReconnect);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    }
  }

  @Override
  public void send(Frame frame, SendCallback callback) {
    Session s;
    synchronized (lock) {
      s = session;
    }
    if (frame.kind() == FrameKind.INIT) {
      lastInit = frame;
    }
    if (s == null || !s.isOpen()) {
      framesDropped.incrementAndGet();
      waitForKey = true;
      callback.completed();
      return;
    }
    if (s != sessionOfLastSend) {
      // A new connection: the remote side knows nothing yet.
      sessionOfLastSend = s;
      announced = null;
      waitForKey = true;
      if (lastInit != null && frame.kind() != FrameKind.INIT) {
        transmit(s, lastInit, null);
      }
    }
    if (frame.kind() == FrameKind.INIT || frame.kind() == FrameKind.KEY) {
      waitForKey = frame.kind() == FrameKind.INIT;
    } else if (waitForKey) {
      framesDropped.incrementAndGet();
      callback.completed();
      return;
    }
    transmit(s, frame, callback);
  }

  /** Sends the meta message if needed, then the frame; completes the callback (if any) when sent. */
  private void transmit(Session s, Frame frame, SendCallback callback) {
    String meta = meta(frame);
    try {
      if (!meta.equals(announced)) {
        s.getAsyncRemote().sendText(meta);
        announced = meta;
      }
      SendHandler done = result -> {
        if (result.isOK()) {
          framesSent.incrementAndGet();
        } else {
          framesDropped.incrementAndGet();
        }
        if (callback != null) {
          callback.completed(); // a lost connection is handled by reconnecting, not by failing the feed
        }
      };
      s.getAsyncRemote().sendBinary(frame.payload(), done);
    } catch (RuntimeException e) {
      framesDropped.incrementAndGet();
      if (callback != null) {
        callback.completed();
      }
    }
  }

  private static String meta(Frame frame) {
    return StreamDescription.of(frame).toJson("meta");
  }

  /** Stops for good: no reconnects, the connection closed with 1000, the client's threads ended. */
  @Override
  public void close() {
    Session s;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      s = session;
      session = null;
    }
    connector.shutdownNow();
    if (s != null) {
      try {
        s.close(new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "publisher closed"));
      } catch (IOException | RuntimeException e) {
        // already gone
      }
    }
    client.shutdown();
  }

  @Override
  public String toString() {
    return "WebSocketFrameSink[" + uri + (isConnected() ? ", connected" : "") + "]";
  }

  /** Watches one connection for its end. */
  private final class Watcher extends Endpoint {
    @Override
    public void onOpen(Session s, EndpointConfig config) {
      // publishers receive nothing
    }

    @Override
    public void onClose(Session s, CloseReason reason) {
      LOG.log(System.Logger.Level.DEBUG, "publisher connection to {0} closed: {1}", uri, reason);
      disconnected(s);
    }

    @Override
    public void onError(Session s, Throwable thr) {
      disconnected(s);
    }
  }

  /**
   * Builds a {@link WebSocketFrameSink}.
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
    private RetryPolicy retryPolicy = new Backoff(DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF);

    private Builder(URI uri) {
      this.uri = uri;
    }

    /**
     * Sets exponential reconnect delays with jitter, from {@code min} to {@code max}: kept from 0.1.0, the
     * same as {@code retryPolicy(RetryPolicy.exponential(min, max))}, which see for the arguments.
     *
     * @param min the first delay
     * @param max the longest delay
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException unless {@code 0 < min <= max <=} {@link Backoff#LIMIT}
     */
    public Builder backoff(Duration min, Duration max) {
      return retryPolicy(RetryPolicy.exponential(min, max));
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
     * Sets how long to wait before each reconnection attempt: the sink starts one {@link
     * RetryPolicy.Attempts}, asks it for a delay (without a hint) after every failed attempt and every
     * disconnect, and resets it whenever a connection is established. Default: {@link Backoff} from {@link
     * #DEFAULT_MIN_BACKOFF} to {@link #DEFAULT_MAX_BACKOFF}.
     *
     * @param policy the policy; its attempts are used on the sink's connecting thread only
     * @return this builder
     * @throws NullPointerException if {@code policy} is {@code null}
     * @since 0.2.0
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Builds the sink; {@link WebSocketFrameSink#start()} connects it.
     *
     * @return the sink
     */
    public WebSocketFrameSink build() {
      return new WebSocketFrameSink(this);
    }
  }
}
