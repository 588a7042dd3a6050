package io.framestream.transport.sse;

import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSource;
import io.framestream.core.RetryPolicy;
import io.framestream.core.TransportException;
import io.framestream.transport.sse.internal.SseStream;
import java.io.EOFException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A remote framestream channel read over Server-Sent Events ({@code http://host:port/sse/{channel}}), as a
 * {@link FrameSource}: plug it into a {@link io.framestream.core.SourceRunner} to relay a remote channel
 * into a local one, or call {@link #nextFrame()} directly.
 *
 * <pre>{@code
 * try (SseFrameSource remote = SseFrameSource.builder(URI.create("http://cams:8080/sse/cam1")).build()) {
 *   remote.open();
 *   Frame f = remote.nextFrame(); // blocks until a frame arrives
 * }
 * }</pre>
 *
 * <h2>What it returns</h2>
 *
 * Frames decoded from {@code data} events (a data URI gives content type and bytes; with {@code
 * ?format=base64} the type comes from the last {@code init} event), carrying the width, height and codec of
 * the last {@code init} event, as {@link FrameKind#KEY} frames (the SSE format does not say whether a frame
 * is a key frame; fragmented-MP4 fragments are classified {@code KEY} or {@code DELTA} from their sample
 * flags). An {@code init} event with an {@code initSegment} is returned as a {@link FrameKind#INIT} frame.
 * The description in {@code init} events is checked as a server checks a publisher's (rule L1): an
 * invalid content type, width, height or codec is dropped (logged, and counted by {@link
 * #rejectedInitValues()}), and the frames then carry no such value. Frames keep their order. The sequence number is not kept (a channel assigns its own); {@link
 * #lastEventId()} tells the last remote id.
 *
 * <h2>Connection, reconnection, limits</h2>
 *
 * The JDK {@link HttpClient} is used with HTTP/1.1 (its HTTP/2 upgrade attempt confuses some servers,
 * Grizzly among them). When the stream ends or breaks, or nothing (not even a heartbeat) arrives for
 * {@link Builder#readTimeout(Duration) readTimeout}, {@code nextFrame()} reconnects by itself after the
 * delays of its {@link Builder#retryPolicy(RetryPolicy) RetryPolicy} (by default exponential backoff with
 * jitter, whose first step is the server's {@code retry:} if it sent one; reset by the next frame), sending
 * {@code Last-Event-ID} so that the server can resume, and keeps trying until {@link #close()}. It gives up
 * with a {@link TransportException} on an answer that will not change by retrying (a 4xx status other than
 * 408 and 429, or a content type other than {@code text/event-stream}), and with an {@link EOFException}
 * on 204 No Content (the server asks the client to stop). Lines and events above {@link
 * Builder#maxLineLength(int)} and {@link Builder#maxEventSize(int)} (16 MiB by default) and malformed
 * events fail the stream with a {@link FrameCodecException}; memory stays bounded whatever the server
 * sends.
 *
 * <h2>Thread safety</h2>
 *
 * As {@link FrameSource} requires: {@link #open()} and {@link #nextFrame()} from one thread at a time;
 * {@link #close()} from any thread, also while {@code nextFrame()} is blocked, which it then unblocks with
 * an {@link EOFException}. The stream is parsed on the {@code HttpClient}'s threads, which hand frames to
 * the reader through a small bounded buffer ({@link Builder#bufferedFrames(int)}) with a channel mailbox's
 * rules (rule L2): when the reader falls behind, the newest image still gets in (the oldest waiting one
 * makes room), a video stream whose delta did not fit resumes at the next key frame (never with a delta
 * whose reference was dropped), and the newest {@code INIT} is never dropped; {@link #droppedFrames()}
 * counts the drops. So the connection is never held up and memory stays bounded.
 *
 * @since 0.1.0
 */
public final class SseFrameSource implements FrameSource {

  private static final System.Logger LOG = System.getLogger(SseFrameSource.class.getName());

  /** Default {@link Builder#connectTimeout(Duration)}: 10 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Default {@link Builder#readTimeout(Duration)}: 60 s, four times the server's default heartbeat
   * interval.
   */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
  /** Default {@link Builder#maxEventSize(int)}: 16 MiB of event data. */
  public static final int DEFAULT_MAX_EVENT_SIZE = 16 << 20;
  /** Default {@link Builder#maxLineLength(int)}: 16 MiB plus 1 KiB for the field name. */
  public static final int DEFAULT_MAX_LINE_LENGTH = (16 << 20) + 1024;
  /** Default first reconnection delay when the server sent no {@code retry:}: 1 s. */
  public static final Duration DEFAULT_MIN_RECONNECT_DELAY = Duration.ofSeconds(1);
  /** Default longest reconnection delay: 30 s. */
  public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(30);
  /** Default {@link Builder#bufferedFrames(int)}: 8. */
  public static final int DEFAULT_BUFFERED_FRAMES = 8;

  private final URI uri;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final long frameTimeoutNanos; // 0: off
  private long lastFrameNanos; // consumer thread only: last frame returned, or the connect
  private final int maxEventSize;
  private final int maxLineLength;
  private final int bufferedFrames;
  private final Map<String, String> headers;
  private final HttpClient client;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition closeSignal = lock.newCondition();
  // Guarded by lock.
  private boolean closed;
  private SseStream current;

  // Used by the reading thread only.
  private final RetryPolicy.Attempts reconnectDelays;
  private boolean connectedOnce;

  private volatile String lastEventId;
  private volatile long serverRetryMillis = -1;
  private volatile long reconnects;
  private final AtomicLong rejectedInitValues = new AtomicLong();
  private final AtomicLong droppedFrames = new AtomicLong();

  private final SseStream.Observer observer = new SseStream.Observer() {
    @Override
    public void retry(long millis) {
      serverRetryMillis = millis;
    }

    @Override
    public void rejected(List<String> values) {
      long before = rejectedInitValues.getAndAdd(values.size());
      LOG.log(before == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
          "{0}: dropped invalid values of the server''s init event: {1}", uri, values);
    }

    @Override
    public void dropped(int frames) {
      droppedFrames.addAndGet(frames);
    }
  };

  private SseFrameSource(Builder b) {
    this.uri = b.uri;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.frameTimeoutNanos = b.frameTimeout.toNanos();
    this.maxEventSize = b.maxEventSize;
    this.maxLineLength = b.maxLineLength;
    this.reconnectDelays = b.retryPolicy.attempts();
    this.bufferedFrames = b.bufferedFrames;
    this.headers = Map.copyOf(b.headers);
    this.lastEventId = b.lastEventId;
    this.client = b.httpClient != null ? b.httpClient : SharedClient.INSTANCE;
  }

  /**
   * One HTTP client for every SSE source that brings none: an {@code HttpClient} owns a selector thread and
   * a worker pool that (on JDK 17) live until it is garbage-collected, so one per source would pile up
   * threads in a process that opens and closes many. Timeouts are per request.
   */
  private static final class SharedClient {
    static final HttpClient INSTANCE = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /**
   * Starts a builder.
   *
   * @param uri the stream, {@code http://host:port/sse/{channel}} (query parameters such as {@code
   *     format=base64} are passed on)
   * @return a new builder
   * @throws NullPointerException if {@code uri} is {@code null}
   * @throws IllegalArgumentException if it is not an absolute http or https URI
   */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /**
   * Connects (if not connected yet). Called by a {@link io.framestream.core.SourceRunner} before the first
   * frame and after each restart; optional when calling {@link #nextFrame()} directly. Reopening after
   * {@link #close()} is allowed and resumes from {@link #lastEventId()}.
   *
   * @throws TransportException if the connection fails or the server refuses the stream
   * @throws EOFException if the server answered 204 No Content, or {@code close()} was called meanwhile
   * @throws InterruptedException if interrupted while connecting
   */
  @Override
  public void open() throws EOFException, InterruptedException {
    lock.lock();
    try {
      closed = false;
      if (current != null) {
        return;
      }
    } finally {
      lock.unlock();
    }
    try {
      connect();
    } catch (RetryableException e) {
      throw new TransportException(e.getMessage(), e.getCause());
    }
  }

  /**
   * Returns the next frame, waiting for it, and reconnecting as described in the class comment.
   *
   * @return the next frame
   * @throws EOFException after {@link #close()}, or when the server answered 204 No Content
   * @throws TransportException if the server refuses the stream for good (4xx, wrong content type)
   * @throws FrameCodecException if the stream is malformed or exceeds a size limit; the connection is
   *     dropped, and the next call reconnects
   * @throws InterruptedException if interrupted while waiting
   */
  @Override
  public Frame nextFrame() throws EOFException, InterruptedException {
    while (true) {
      SseStream s;
      lock.lock();
      try {
        if (closed) {
          throw new EOFException("SSE source closed");
        }
        s = current;
      } finally {
        lock.unlock();
      }
      if (s == null) {
        if (connectedOnce) {
          backOff();
        }
        connectWithRetries();
        continue;
      }
      long idleNanos = s.idle(TimeUnit.NANOSECONDS);
      long wait = readTimeout.toNanos() - idleNanos;
      if (frameTimeoutNanos > 0) {
        wait = Math.min(wait, frameTimeoutNanos - (System.nanoTime() - lastFrameNanos));
      }
      Frame f = s.poll(Math.max(1, wait));
      if (f != null) {
        lastEventId = s.polledId();
        reconnectDelays.reset();
        lastFrameNanos = System.nanoTime();
        return f;
      }
      if (frameTimeoutNanos > 0 && !s.isEnded() && System.nanoTime() - lastFrameNanos >= frameTimeoutNanos) {
        lastEventId = s.lastEventId();
        LOG.log(System.Logger.Level.DEBUG, "no frame from {0} for {1} ms; reconnecting", uri,
            TimeUnit.NANOSECONDS.toMillis(frameTimeoutNanos));
        drop(s);
        continue;
      }
      if (s.isEnded()) {
        lastEventId = s.lastEventId(); // every frame was taken: resume after the last event seen
        drop(s);
        Throwable failure = s.failure();
        if (failure instanceof FrameCodecException) {
          throw (FrameCodecException) failure;
        }
        LOG.log(System.Logger.Level.DEBUG, "SSE stream {0} ended ({1}); reconnecting", uri,
            failure == null ? "end of body" : failure.toString());
      } else if (s.idle(TimeUnit.NANOSECONDS) >= readTimeout.toNanos()) {
        lastEventId = s.lastEventId(); // nothing is waiting: poll returned none
        LOG.log(System.Logger.Level.DEBUG, "SSE stream {0} silent for {1}; reconnecting", uri, readTimeout);
        drop(s);
      }
    }
  }

  /** Forgets the stream if it is still the current one, and cancels it. */
  private void drop(SseStream s) {
    lock.lock();
    try {
      if (current == s) {
        current = null;
      }
    } finally {
      lock.unlock();
    }
    s.cancel();
  }

  /** Connects, retrying with backoff while the failure is transient. */
  private void connectWithRetries() throws EOFException, InterruptedException {
    while (true) {
      try {
        connect();
        return;
      } catch (RetryableException e) {
        LOG.log(System.Logger.Level.DEBUG, "SSE connect to {0} failed: {1}", uri, e.getMessage());
        backOff();
      }
    }
  }

  /** Waits the policy's next delay (given the server's {@code retry:} as a hint), or until {@link #close()}. */
  private void backOff() throws EOFException, InterruptedException {
    long retryMillis = serverRetryMillis;
    long hint = retryMillis >= 0 ? TimeUnit.MILLISECONDS.toNanos(retryMillis) : RetryPolicy.NO_HINT;
    long delay = reconnectDelays.nextDelayNanos(hint);
    lock.lock();
    try {
      long nanos = delay;
      while (!closed && nanos > 0) {
        nanos = closeSignal.awaitNanos(nanos);
      }
      if (closed) {
        throw new EOFException("SSE source closed");
      }
    } finally {
      lock.unlock();
    }
  }

  /** One connection attempt. */
  private void connect() throws EOFException, InterruptedException, RetryableException {
    String resumeFrom = lastEventId;
    SseStream stream = new SseStream(resumeFrom, maxLineLength, maxEventSize, bufferedFrames, observer);
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).version(HttpClient.Version.HTTP_1_1).GET()
        .timeout(connectTimeout.plus(readTimeout))
        .header("Accept", "text/event-stream")
        .header("Cache-Control", "no-cache");
    if (!resumeFrom.isEmpty()) {
      rb.header("Last-Event-ID", resumeFrom);
    }
    headers.forEach(rb::header);
    int[] status = {0};
    String[] contentType = {""};
    HttpResponse.BodyHandler<Void> handler = info -> {
      status[0] = info.statusCode();
      contentType[0] = info.headers().firstValue("Content-Type").orElse("");
      boolean ok = info.statusCode() == 200
          && contentType[0].toLowerCase(Locale.ROOT).startsWith("text/event-stream");
      return ok ? stream : HttpResponse.BodySubscribers.discarding();
    };
    lock.lock();
    try {
      if (closed) {
        throw new EOFException("SSE source closed");
      }
      current = stream; // so that close() can cancel it while connecting
      lastFrameNanos = System.nanoTime();
    } finally {
      lock.unlock();
    }
    CompletableFuture<HttpResponse<Void>> future = client.sendAsync(rb.build(), handler);
    HttpResponse<Void> response;
    try {
      response = await(future);
    } catch (ExecutionException e) {
      drop(stream);
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new RetryableException("cannot connect to " + uri + ": " + cause, cause);
    } catch (EOFException | InterruptedException | RuntimeException e) {
      drop(stream);
      future.cancel(true);
      throw e;
    }
    int code = response.statusCode();
    if (code == 200 && contentType[0].toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
      if (connectedOnce) {
        reconnects++;
      }
      connectedOnce = true;
      return;
    }
    drop(stream);
    if (code == 204) {
      throw new EOFException("the server answered 204 No Content: the stream is over");
    }
    String what = "the server answered " + code + (code == 200 ? " with Content-Type '" + contentType[0] + "'" : "")
        + " for " + uri;
    if (code >= 500 || code == 408 || code == 429) {
      throw new RetryableException(what, null);
    }
    throw new TransportException(what);
  }

  /** Waits for the response headers, waking up to notice {@link #close()}. */
  private HttpResponse<Void> await(CompletableFuture<HttpResponse<Void>> future)
      throws ExecutionException, EOFException, InterruptedException {
    while (true) {
      try {
        return future.get(100, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        lock.lock();
        try {
          if (closed) {
            throw new EOFException("SSE source closed");
          }
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /**
   * Returns the id of the event that carried the frame last returned by {@link #nextFrame()} (the remote
   * frame sequence); after a reconnection, the last id seen on the old stream, which is what {@code
   * Last-Event-ID} carries.
   *
   * @return the id, {@code ""} if none yet
   */
  public String lastEventId() {
    return lastEventId;
  }

  /**
   * Returns how many times the source reconnected after a stream ended or broke.
   *
   * @return the count
   */
  public long reconnects() {
    return reconnects;
  }

  /**
   * Returns how many received frames were dropped because the reader fell {@link
   * Builder#bufferedFrames(int)} behind (rule L2), over every connection of this source.
   *
   * @return the count
   */
  public long droppedFrames() {
    return droppedFrames.get();
  }

  /**
   * Returns how many values of the server's {@code init} events (content type, width, height, codec) were
   * dropped as invalid (rule L1), over every connection of this source.
   *
   * @return the count
   */
  public long rejectedInitValues() {
    return rejectedInitValues.get();
  }

  /**
   * Returns the stream's URI.
   *
   * @return the URI
   */
  public URI uri() {
    return uri;
  }

  /**
   * Stops: closes the connection, ends reconnection attempts and makes a blocked or later {@link
   * #nextFrame()} throw {@link EOFException}, until {@link #open()} is called again. Idempotent; safe from
   * any thread.
   */
  @Override
  public void close() {
    SseStream s;
    lock.lock();
    try {
      closed = true;
      s = current;
      current = null;
      closeSignal.signalAll();
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.cancel();
    }
  }

  @Override
  public String toString() {
    return "SseFrameSource[" + uri + ", lastEventId=" + lastEventId + "]";
  }

  /** A connection failure worth retrying: I/O errors, 5xx, 408, 429. */
  private static final class RetryableException extends Exception {
    private static final long serialVersionUID = 1L;

    RetryableException(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  /**
   * Builds an {@link SseFrameSource}.
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
    private Duration readTimeout = DEFAULT_READ_TIMEOUT;
    private Duration frameTimeout = Duration.ZERO;
    private HttpClient httpClient;
    private int maxEventSize = DEFAULT_MAX_EVENT_SIZE;
    private int maxLineLength = DEFAULT_MAX_LINE_LENGTH;
    private RetryPolicy retryPolicy = RetryPolicy.exponential(DEFAULT_MIN_RECONNECT_DELAY,
        DEFAULT_MAX_RECONNECT_DELAY);
    private int bufferedFrames = DEFAULT_BUFFERED_FRAMES;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private String lastEventId = "";

    private Builder(URI uri) {
      Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme();
      if (!uri.isAbsolute() || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
        throw new IllegalArgumentException("need an absolute http or https URI, got " + uri);
      }
      this.uri = uri;
    }

    /**
     * Sets the TCP connect timeout (default {@link #DEFAULT_CONNECT_TIMEOUT}).
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets how long the stream may stay silent (no event, no heartbeat) before it counts as dead and is
     * reconnected (default {@link #DEFAULT_READ_TIMEOUT}); keep it well above the server's heartbeat.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Uses the given HTTP client (for TLS settings, a proxy, an executor) instead of the one all SSE sources
     * share. Requests are always sent as HTTP/1.1.
     *
     * @param client the client
     * @return this builder
     * @throws NullPointerException if {@code client} is {@code null}
     */
    public Builder httpClient(HttpClient client) {
      this.httpClient = java.util.Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets a frame watchdog: when no frame arrives for this long (heartbeats do not count), the stream is
     * dropped and reconnected. Off by default ({@link Duration#ZERO}); an idle or offline channel then
     * reconnects at this pace.
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
     * Sets the most data characters one event may carry (default {@link #DEFAULT_MAX_EVENT_SIZE}); a
     * frame's event is about 4/3 of its size.
     *
     * @param chars at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxEventSize(int chars) {
      if (chars < 1) {
        throw new IllegalArgumentException("maxEventSize must be >= 1, got " + chars);
      }
      this.maxEventSize = chars;
      return this;
    }

    /**
     * Sets the longest line accepted, in bytes (default {@link #DEFAULT_MAX_LINE_LENGTH}).
     *
     * @param bytes at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxLineLength(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxLineLength must be >= 1, got " + bytes);
      }
      this.maxLineLength = bytes;
      return this;
    }

    /**
     * Sets how long to wait before each reconnection: the source starts one {@link RetryPolicy.Attempts},
     * asks it for a delay before every reconnection (after a failed connection attempt, and after a stream
     * that ended, broke or fell silent), passing the server's last {@code retry:} as the hint, and resets it
     * whenever a frame arrives. Default: exponential from {@link #DEFAULT_MIN_RECONNECT_DELAY} to {@link
     * #DEFAULT_MAX_RECONNECT_DELAY}.
     *
     * @param policy the policy; its attempts are used by the thread reading frames only
     * @return this builder
     * @throws NullPointerException if {@code policy} is {@code null}
     * @since 0.2.0
     */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Sets the reconnection backoff: the first delay (used when the server sent no {@code retry:}) and the
     * longest, doubling in between, each with jitter (defaults {@link #DEFAULT_MIN_RECONNECT_DELAY}, {@link
     * #DEFAULT_MAX_RECONNECT_DELAY}). Kept from 0.1.0: the same as {@link #retryPolicy(RetryPolicy)
     * retryPolicy(RetryPolicy.exponential(min, max))}.
     *
     * @param min positive
     * @param max at least {@code min}, at most {@link io.framestream.core.Backoff#LIMIT} (one day)
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if out of range
     */
    public Builder reconnectDelay(Duration min, Duration max) {
      return retryPolicy(RetryPolicy.exponential(min, max));
    }

    /**
     * Sets how many decoded frames (other than the one init segment that may wait too) may wait for the
     * reader; beyond that, frames are dropped as rule L2 says (see the class comment). Default {@link
     * #DEFAULT_BUFFERED_FRAMES}.
     *
     * @param frames 1 to 1024
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder bufferedFrames(int frames) {
      if (frames < 1 || frames > 1024) {
        throw new IllegalArgumentException("bufferedFrames must be 1..1024, got " + frames);
      }
      this.bufferedFrames = frames;
      return this;
    }

    /**
     * Adds a request header, such as {@code Authorization}.
     *
     * @param name the header name
     * @param value the value
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     * @throws IllegalArgumentException if the name is one the client sets itself
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("last-event-id") || lower.equals("accept")) {
        throw new IllegalArgumentException("header " + name + " is set by the client");
      }
      headers.put(name, value);
      return this;
    }

    /**
     * Sets the id to resume after on the first connect (sent as {@code Last-Event-ID}).
     *
     * @param id the id of the last frame already seen
     * @return this builder
     * @throws NullPointerException if {@code id} is {@code null}
     */
    public Builder lastEventId(String id) {
      this.lastEventId = Objects.requireNonNull(id, "id");
      return this;
    }

    /**
     * Builds the source; it connects on {@link SseFrameSource#open()} or the first {@link
     * SseFrameSource#nextFrame()}.
     *
     * @return the source
     */
    public SseFrameSource build() {
      return new SseFrameSource(this);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
