package io.framestream.transport.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Frame;
import io.framestream.core.FrameSource;
import io.framestream.core.SourceRunner;
import io.framestream.core.TransportException;
import io.framestream.core.client.ClientFrameBuffer;
import io.framestream.core.wire.FrameIngest;
import io.framestream.core.wire.IngestException;
import io.framestream.core.wire.StreamDescription;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.glassfish.tyrus.client.ClientManager;
import org.glassfish.tyrus.client.ClientProperties;

/**
 * A remote channel as a {@link FrameSource}: connects to {@code ws://host:port/ws/live/{channel}} of a
 * framestream server and returns the frames it receives, with the content type, dimensions and codec the
 * server's {@code init} messages announce.
 *
 * <p>Run it with a {@link SourceRunner} into a local channel to relay one server's channel into another
 * process. Reconnecting is the runner's job: when the connection drops, {@link #nextFrame()} throws a
 * {@link TransportException}, and the runner reopens the source after the delay of its retry policy
 * (exponential backoff with jitter unless {@link
 * SourceRunner.Builder#retryPolicy(io.framestream.core.RetryPolicy) retryPolicy} says otherwise); {@link
 * SourceRunner#close()} stops it for good.
 *
 * <pre>{@code
 * FrameSource remote = WebSocketFrameSource.builder(URI.create("ws://cam-host:8080/ws/live/cam1")).build();
 * SourceRunner relay = SourceRunner.builder(remote, localRegistry.channel("cam1")).build().start();
 * }</pre>
 *
 * <p>Received frames wait for {@link #nextFrame()} in a buffer of {@link Builder#maxQueuedFrames(int)}
 * frames with a channel mailbox's rules (rule L2, {@link ClientFrameBuffer}): when the consumer falls that
 * far behind, the newest image still gets in (the oldest waiting one makes room); a video stream whose
 * delta did not fit resumes at the next key frame, never with a delta whose reference was dropped; the
 * newest {@link io.framestream.core.FrameKind#INIT} frame is never dropped. {@link #droppedFrames()}
 * counts the drops.
 *
 * <p>The server's {@code init} messages are checked as a server checks a publisher's description (rule L1,
 * {@link StreamDescription}): a content type, width, height or codec that does not pass is dropped (logged,
 * and counted by {@link #rejectedInitValues()}) and the frames carry no such value; nothing a server sends
 * makes the client throw on Tyrus's threads. Each binary message goes through the one ingest path ({@link
 * FrameIngest}): a fragmented-MP4 stream's fragments are marked {@code KEY} or {@code DELTA} from their
 * sample flags (rule W1), and a message the ingest refuses is dropped and counted ({@link #rejectedFrames()}).
 *
 * <h2>Thread safety</h2>
 *
 * Follows the {@link FrameSource} rules: one consumer thread calls {@link #open()} and {@link #nextFrame()};
 * {@link #close()} may be called from any thread and unblocks a waiting {@code nextFrame()}. Messages are
 * received on Tyrus client threads and handed over through the bounded buffer; the counters may be read
 * from any thread.
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

  private static final System.Logger LOG = System.getLogger(WebSocketFrameSource.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI uri;
  private final Duration connectTimeout;
  private final int maxQueuedFrames;
  private final int maxFrameBytes;
  private final Duration frameTimeout;

  private final Object lock = new Object();
  private ClientManager client;
  private Session session;
  private Inbox inbox;
  private final AtomicLong rejectedInitValues = new AtomicLong();
  private final AtomicLong rejectedFrames = new AtomicLong();
  private final AtomicLong droppedFrames = new AtomicLong(); // of connections before the current one

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
    Inbox q = new Inbox(maxQueuedFrames);
    ClientManager c = ClientManager.createClient();
    c.getProperties().put(ClientProperties.HANDSHAKE_TIMEOUT, (int) connectTimeout.toMillis());
    Listener listener = new Listener(q);
    try {
      Session s = c.connectToServer(listener, ClientEndpointConfig.Builder.create().build(), uri);
      s.setMaxBinaryMessageBufferSize(maxFrameBytes);
      s.setMaxTextMessageBufferSize(1 << 16);
      Inbox old;
      synchronized (lock) {
        client = c;
        session = s;
        old = inbox;
        inbox = q;
      }
      if (old != null) {
        droppedFrames.addAndGet(old.dropped());
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
    Inbox q;
    synchronized (lock) {
      q = inbox;
    }
    if (q == null) {
      throw new IllegalStateException("not open");
    }
    Frame next = q.take(frameTimeout.toNanos());
    if (next == null) {
      throw new TransportException("no frame from " + uri + " for " + frameTimeout.toMillis() + " ms (frameTimeout)");
    }
    return next;
  }

  /**
   * Returns how many received frames were dropped because the consumer fell {@link
   * Builder#maxQueuedFrames(int)} behind (rule L2), over every connection of this source.
   *
   * @return the count
   */
  public long droppedFrames() {
    Inbox q;
    synchronized (lock) {
      q = inbox;
    }
    return droppedFrames.get() + (q == null ? 0 : q.dropped());
  }

  /**
   * Returns how many values of the server's {@code init} messages (content type, width, height, codec)
   * were dropped as invalid (rule L1), over every connection of this source.
   *
   * @return the count
   */
  public long rejectedInitValues() {
    return rejectedInitValues.get();
  }

  /**
   * Returns how many received messages were dropped because they could not be taken as frames (over {@link
   * Builder#maxFrameBytes(int)}, or of an invalid type), over every connection of this source.
   *
   * @return the count
   */
  public long rejectedFrames() {
    return rejectedFrames.get();
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
    Inbox q;
    synchronized (lock) {
      c = client;
      s = session;
      q = inbox;
      client = null;
      session = null;
    }
    if (q != null) {
      q.close();
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

  /**
   * One connection's frames on their way to {@link #nextFrame()}: a {@link ClientFrameBuffer} and how the
   * connection ended. Frames that wait when the server ends the connection are still returned, then the
   * end; {@link #close()} forgets them.
   */
  private final class Inbox {
    private final ClientFrameBuffer<Void> frames; // guarded by this
    private String end; // guarded by this; null while the connection lasts

    Inbox(int capacity) {
      this.frames = new ClientFrameBuffer<>(capacity);
    }

    synchronized void offer(Frame f) {
      if (end == null) {
        frames.offer(f, null);
        notifyAll();
      }
    }

    synchronized void end(String why) {
      if (end == null) {
        end = why;
        notifyAll();
      }
    }

    synchronized void close() {
      frames.clear();
      end("closed");
    }

    synchronized long dropped() {
      return frames.dropped();
    }

    /** The next frame; {@code null} after {@code timeoutNanos} (0: no limit); throws at the end. */
    synchronized Frame take(long timeoutNanos) throws InterruptedException {
      long deadline = System.nanoTime() + timeoutNanos;
      while (frames.isEmpty() && end == null) {
        if (timeoutNanos == 0) {
          wait();
        } else {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return null;
          }
          TimeUnit.NANOSECONDS.timedWait(this, left);
        }
      }
      ClientFrameBuffer.Entry<Void> e = frames.poll();
      if (e == null) {
        throw new TransportException("connection to " + uri + " ended: " + end);
      }
      return e.frame();
    }
  }

  /** Receives one connection's messages. Nothing here throws into Tyrus's threads (rule L1). */
  private final class Listener extends Endpoint {
    private final Inbox q;
    private final FrameIngest ingest = new FrameIngest(maxFrameBytes); // one connection's stream, fed serially
    private volatile StreamDescription description = StreamDescription.NONE;
    private Session opened; // guarded by this
    private boolean abandoned; // guarded by this

    Listener(Inbox q) {
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
      s.addMessageHandler(ByteBuffer.class, (MessageHandler.Whole<ByteBuffer>) this::onBinary);
      s.addMessageHandler(String.class, (MessageHandler.Whole<String>) this::onText);
    }

    private void onBinary(ByteBuffer bytes) {
      try {
        StreamDescription d = description;
        // The wire does not say key or delta: the ingest reads it from an MP4 fragment's sample flags.
        q.offer(d.describe(ingest.binary(bytes, d.contentType())).build());
      } catch (IngestException e) {
        long before = rejectedFrames.getAndIncrement();
        LOG.log(before == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
            "{0}: dropped a message: {1}", uri, e.getMessage());
      } catch (RuntimeException e) {
        // Not expected (every value was checked); end this connection rather than throw at Tyrus.
        q.end("cannot take a frame: " + e);
      }
    }

    private void onText(String text) {
      JsonNode init;
      try {
        init = JSON.readTree(text);
      } catch (IOException | RuntimeException e) {
        q.end("malformed JSON text message: " + e.getMessage());
        return;
      }
      if (init == null || !"init".equals(init.path("type").asText())) {
        return; // status messages and anything newer
      }
      StreamDescription d = StreamDescription.fromInit(text);
      description = d;
      if (!d.rejected().isEmpty()) {
        long before = rejectedInitValues.getAndAdd(d.rejected().size());
        LOG.log(before == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
            "{0}: dropped invalid values of the server''s init message: {1}", uri, d.rejected());
      }
    }

    @Override
    public void onClose(Session s, CloseReason reason) {
      q.end("closed by the server: " + reason.getCloseCode().getCode() + " " + reason.getReasonPhrase());
    }

    @Override
    public void onError(Session s, Throwable thr) {
      q.end("failed: " + thr);
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
     * Sets how many received frames (other than the one init segment that may wait too) may wait for
     * {@link WebSocketFrameSource#nextFrame()}; beyond that, frames are dropped as rule L2 says (see the
     * class comment).
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
      this.maxFrameBytes = FrameIngest.checkMaxFrameBytes(bytes);
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
