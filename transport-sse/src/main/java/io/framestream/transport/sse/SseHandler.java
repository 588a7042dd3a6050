package io.framestream.transport.sse;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.InitMessage;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.Subscription;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.Authorizer;
import io.framestream.transport.sse.internal.GrizzlyEventOutput;
import io.framestream.transport.sse.internal.SseEvents;
import io.framestream.transport.sse.internal.SseRequest;
import io.framestream.transport.sse.internal.SseViewer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * A Grizzly {@link HttpHandler} that streams channels of a {@link ChannelRegistry} as Server-Sent Events.
 * Mount it at {@code /sse/*}:
 *
 * <pre>{@code
 * SseHandler sse = SseHandler.builder(registry).build();
 * httpServer.getServerConfiguration().addHttpHandler(sse, "/sse/*");
 * ...
 * sse.close(); // or httpServer.shutdownNow(), which calls destroy()
 * }</pre>
 *
 * <h2>What a viewer gets</h2>
 *
 * For {@code GET /sse/{channel}}: status 200, {@code Content-Type: text/event-stream; charset=utf-8},
 * {@code Cache-Control: no-cache}, {@code X-Accel-Buffering: no}; then {@code retry: <ms>}; then an {@code
 * init} event (the channel's {@link InitMessage} JSON); then the channel's late-joiner frames and live
 * frames. Each frame is a {@code data} event with {@code id: <sequence>} and the frame as a data URI, or
 * with {@code ?format=base64} as bare base64. An {@code INIT} frame (video init segment) is an {@code init}
 * event whose JSON carries it as {@code initSegment}, never a {@code data} event; when the channel has one,
 * it is the init event a new viewer gets first. A comment ({@code : hb}) is written every {@link
 * Builder#heartbeat(Duration) heartbeat} to idle viewers.
 *
 * <p>Resuming: with a {@code Last-Event-ID} header (or {@code ?lastEventId=N}, since a browser's first
 * connect cannot set headers) the init JSON carries {@code skipped}, the number of frames published after
 * that id and before the newest frame, which follows at once.
 *
 * <p>Errors (JSON body {@code {"error":"..."}}): 400 for an invalid channel name or format; 404 for a path
 * without a channel or an unknown channel when the registry creates none on demand; 405 for methods other
 * than GET; 429 when a channel or subscriber limit is reached; 503 while shutting down.
 *
 * <h2>Slow viewers</h2>
 *
 * Writes never block: each viewer writes only when its connection can take more, and otherwise keeps its
 * one frame in flight while the channel's mailbox keeps only the newest frame. Grizzly queues at most
 * {@link Builder#writeQueueLimit(int) writeQueueLimit} bytes per connection beyond what the socket takes.
 * A viewer that makes no progress for the channel's {@link ChannelConfig#stallTimeout()} is evicted and its
 * connection closed at once, releasing that queue. Event bytes are built once per frame and format and
 * shared by every viewer, without a copy per viewer.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #service(Request, Response)} runs on Grizzly's worker threads; frames are written on
 * the registry's delivery threads and, when a connection becomes writable again, on Grizzly's threads; one
 * timer thread ({@code framestream-sse-timer}) per handler writes heartbeats to all viewers. Nothing
 * blocks on a peer. {@link #close()} may be called from any thread.
 *
 * @since 0.1.0
 */
public final class SseHandler extends HttpHandler implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(SseHandler.class.getName());

  /** Default heartbeat interval: 15 s. */
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
  /** Default reconnection delay sent as {@code retry:}: 2 s. */
  public static final Duration DEFAULT_RETRY = Duration.ofSeconds(2);
  /**
   * Default per-connection limit of bytes Grizzly queues beyond the socket buffers: 512 KiB (Grizzly's own
   * default is 4 times the socket send buffer, several MiB). About 8 frames of 50 KB as base64: enough to
   * ride out a short hiccup, small enough that a stalled viewer holds little and is noticed quickly.
   */
  public static final int DEFAULT_WRITE_QUEUE_LIMIT = 512 * 1024;
  /** How long a graceful close of a viewer's connection may take before it is forced: 5 s. */
  public static final Duration GRACEFUL_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private static final AtomicInteger TIMER_IDS = new AtomicInteger();

  private final ChannelRegistry registry;
  private final Duration heartbeat;
  private final Duration retry;
  private final int writeQueueLimit;
  private final Authorizer authorizer;
  private final byte[] retryBytes;
  private final ScheduledThreadPoolExecutor timer;
  private final Set<SseViewer> viewers = ConcurrentHashMap.newKeySet();
  /** Status and description events shared by a channel's viewers (rule E1); gone with the channel. */
  private final Map<Channel, SseEvents.Notices> notices = Collections.synchronizedMap(new WeakHashMap<>());
  private final AtomicBoolean closed = new AtomicBoolean();

  private SseHandler(Builder b) {
    super("framestream-sse");
    this.registry = b.registry;
    this.heartbeat = b.heartbeat;
    this.retry = b.retry;
    this.writeQueueLimit = b.writeQueueLimit;
    this.authorizer = b.authorizer;
    this.retryBytes = SseEvents.retry(retry);
    int id = TIMER_IDS.incrementAndGet();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-sse-timer-" + id);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    long period = heartbeat.toMillis();
    timer.scheduleAtFixedRate(this::heartbeatAll, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts a builder.
   *
   * @param registry the channels to serve
   * @return a new builder
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public static Builder builder(ChannelRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Serves one request: validates it, then either answers with an error status or subscribes a viewer and
   * suspends the response, which stays open until the viewer ends.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing an error response fails
   */
  @Override
  public void service(Request request, Response response) throws IOException {
    if (closed.get()) {
      reject(response, new SseRequest.Rejection(503, "the SSE endpoint is shutting down"));
      return;
    }
    SseRequest req;
    Channel channel;
    try {
      req = SseRequest.parse(request.getMethod().getMethodString(), request.getPathInfo(),
          request::getParameter, request.getHeader("Last-Event-ID"));
      AccessDecision access = authorizer.authorize(accessRequest(request, req.channel()));
      if (access == null || !access.allowed()) {
        if (access != null && access.status() == 401) {
          response.setHeader("WWW-Authenticate", "Bearer");
        }
        throw new SseRequest.Rejection(access == null ? 403 : access.status(),
            access == null ? "no decision" : access.reason());
      }
      channel = lookup(req.channel());
    } catch (SseRequest.Rejection r) {
      reject(response, r);
      return;
    }

    // The preamble: retry, then an init event unless the channel has an INIT frame, whose own init event
    // comes first among the late-joiner frames.
    OptionalLong last = req.lastEventId();
    long skipped = -1;
    if (last.isPresent()) {
      long newest = channel.latestFrame().map(Frame::sequence).orElse(0L);
      skipped = SseEvents.skipped(last.getAsLong(), newest);
    }
    ByteArrayOutputStream preamble = new ByteArrayOutputStream();
    preamble.writeBytes(retryBytes);
    long resumeSkipped = -1;
    if (channel.initFrame().isEmpty()) {
      InitMessage init = InitMessage.of(channel);
      preamble.writeBytes(SseEvents.initEvent(skipped >= 0 ? init.withSkipped(skipped) : init));
    } else {
      resumeSkipped = skipped;
    }

    SseViewer viewer = new SseViewer(channel.name(), req.format(), resumeSkipped, viewers::remove);
    viewer.describeWith(notices.computeIfAbsent(channel, c -> new SseEvents.Notices(c.name())), channel);
    viewers.add(viewer); // before subscribing: the viewer may end (and remove itself) at any time after
    Subscription subscription;
    try {
      subscription = channel.subscribe(viewer);
    } catch (LimitExceededException e) {
      viewers.remove(viewer);
      reject(response, new SseRequest.Rejection(429, e.getMessage()));
      return;
    } catch (ChannelClosedException e) {
      viewers.remove(viewer);
      reject(response, new SseRequest.Rejection(503, "channel '" + channel.name() + "' is closed"));
      return;
    }
    viewer.subscription(subscription);

    Connection<?> connection = request.getContext().getConnection();
    GrizzlyEventOutput.limitWriteQueue(connection, writeQueueLimit);
    response.setStatus(200);
    response.setContentType(SseRequest.CONTENT_TYPE);
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("X-Accel-Buffering", "no");
    GrizzlyEventOutput output = new GrizzlyEventOutput(response.getNIOOutputStream(), connection, timer,
        GRACEFUL_CLOSE_TIMEOUT.toMillis());
    response.suspend(0, TimeUnit.MILLISECONDS, new CompletionHandler<Response>() {
      @Override
      public void cancelled() {
        viewer.peerGone(null);
      }

      @Override
      public void failed(Throwable throwable) {
        viewer.peerGone(throwable);
      }

      @Override
      public void completed(Response result) {
        // never resumed by us
      }

      @Override
      public void updated(Response result) {
        // nothing to do
      }
    });
    viewer.start(output, preamble.toByteArray());
    // A suspended request leaves read interest off, so a peer that closes would be noticed only by the
    // next failing write (up to two heartbeats on an idle channel). Reading again lets the selector see
    // the close at once. (Bytes a client sends after its GET are taken as that request's body and not
    // read further; they cannot reach other viewers.)
    try {
      connection.enableIOEvent(IOEvent.READ);
    } catch (IOException | RuntimeException e) {
      viewer.peerGone(e);
    }
    if (closed.get()) {
      viewer.end(new CloseReason(CloseReason.Code.NORMAL, "SSE handler closed"));
    }
  }

  private Channel lookup(String name) {
    try {
      return registry.channel(name);
    } catch (IllegalArgumentException e) {
      throw new SseRequest.Rejection(400, e.getMessage());
    } catch (NoSuchChannelException e) {
      throw new SseRequest.Rejection(404, e.getMessage());
    } catch (LimitExceededException e) {
      throw new SseRequest.Rejection(429, e.getMessage());
    } catch (ChannelClosedException e) {
      throw new SseRequest.Rejection(503, e.getMessage());
    }
  }

  /** What the authorizer sees of an SSE request. */
  private static AccessRequest accessRequest(Request request, String channel) {
    Map<String, List<String>> headers = new HashMap<>();
    for (String name : request.getHeaderNames()) {
      List<String> values = new ArrayList<>();
      request.getHeaders(name).forEach(values::add);
      headers.put(name, values);
    }
    Map<String, List<String>> query = new HashMap<>();
    request.getParameterMap().forEach((k, v) -> query.put(k, Arrays.asList(v)));
    String remote = request.getAttribute(io.framestream.edge.TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE) instanceof String
        ? (String) request.getAttribute(io.framestream.edge.TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE)
        : request.getRemoteAddr();
    return new AccessRequest(AccessRequest.Action.VIEW, channel, remote == null ? "" : remote, headers, query);
  }

  private static void reject(Response response, SseRequest.Rejection r) throws IOException {
    LOG.log(System.Logger.Level.DEBUG, "SSE request rejected with {0}: {1}", r.status(), r.getMessage());
    if (!response.getOutputBuffer().canWrite()) {
      // Its write queue is full: a peer that pipelines requests and reads no answers. Writing would park this
      // worker until the peer reads (rule H1), so drop the connection instead.
      response.getRequest().getContext().getConnection().terminateSilently();
      return;
    }
    byte[] body = r.body();
    response.setStatus(r.status());
    r.allow().ifPresent(allow -> response.setHeader("Allow", allow));
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  private void heartbeatAll() {
    for (SseViewer v : viewers) {
      try {
        v.heartbeat();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "heartbeat to an SSE viewer failed", e);
      }
    }
  }

  /**
   * Returns the number of open SSE streams.
   *
   * @return the viewer count
   */
  public int viewerCount() {
    return viewers.size();
  }

  /**
   * Returns the heartbeat interval.
   *
   * @return the interval
   */
  public Duration heartbeat() {
    return heartbeat;
  }

  /**
   * Returns the reconnection delay sent to viewers.
   *
   * @return the delay
   */
  public Duration retry() {
    return retry;
  }

  /** For tests in this package: the open viewers. */
  List<SseViewer> viewers() {
    return new ArrayList<>(viewers);
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Ends every open stream (finishing the response where the connection can take it, closing the
   * connection at once otherwise), stops the timer thread and answers later requests with 503. Does not
   * wait for peers. Idempotent; safe from any thread.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CloseReason reason = new CloseReason(CloseReason.Code.NORMAL, "SSE handler closed");
    for (SseViewer v : viewers()) {
      try {
        v.end(reason);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "ending an SSE viewer failed", e);
      }
    }
    timer.shutdownNow();
  }

  /** Called by Grizzly when the server shuts down: {@link #close()}. */
  @Override
  public void destroy() {
    close();
  }

  @Override
  public String toString() {
    return "SseHandler[" + viewers.size() + " viewers" + (closed.get() ? ", closed" : "") + "]";
  }

  /**
   * Builds an {@link SseHandler}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final ChannelRegistry registry;
    private Duration heartbeat = DEFAULT_HEARTBEAT;
    private Duration retry = DEFAULT_RETRY;
    private int writeQueueLimit = DEFAULT_WRITE_QUEUE_LIMIT;
    private Authorizer authorizer = Authorizer.allowAll();

    private Builder(ChannelRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Sets how often an idle viewer gets a comment, which keeps proxies from closing the stream and lets
     * clients detect a dead connection (default {@link #DEFAULT_HEARTBEAT}).
     *
     * @param interval 100 ms to 1 hour
     * @return this builder
     * @throws NullPointerException if {@code interval} is {@code null}
     * @throws IllegalArgumentException if out of range
     */
    public Builder heartbeat(Duration interval) {
      this.heartbeat = range(interval, Duration.ofMillis(100), Duration.ofHours(1), "heartbeat");
      return this;
    }

    /**
     * Sets the reconnection delay sent as {@code retry:} (default {@link #DEFAULT_RETRY}).
     *
     * @param delay 0 to 1 hour
     * @return this builder
     * @throws NullPointerException if {@code delay} is {@code null}
     * @throws IllegalArgumentException if out of range
     */
    public Builder retry(Duration delay) {
      this.retry = range(delay, Duration.ZERO, Duration.ofHours(1), "retry");
      return this;
    }

    /**
     * Sets how many bytes Grizzly may queue per connection beyond the socket buffers before the viewer
     * stops writing and waits (default {@link #DEFAULT_WRITE_QUEUE_LIMIT}). One event is always
     * accepted, however large.
     *
     * @param bytes 16 KiB to 64 MiB
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder writeQueueLimit(int bytes) {
      if (bytes < 16 * 1024 || bytes > 64 * 1024 * 1024) {
        throw new IllegalArgumentException("writeQueueLimit must be 16 KiB..64 MiB, got " + bytes);
      }
      this.writeQueueLimit = bytes;
      return this;
    }

    /**
     * Sets who may view (default: everyone); refusals are HTTP 401 (with {@code WWW-Authenticate: Bearer})
     * or 403 with a JSON body. {@code EventSource} cannot send headers: use {@link
     * io.framestream.edge.ViewerTickets} ({@code ?ticket=}) or cookies.
     *
     * @param auth the authorizer
     * @return this builder
     * @throws NullPointerException if {@code auth} is {@code null}
     */
    public Builder authorizer(Authorizer auth) {
      this.authorizer = Objects.requireNonNull(auth, "authorizer");
      return this;
    }

    /**
     * Builds the handler and starts its timer thread.
     *
     * @return the handler
     */
    public SseHandler build() {
      return new SseHandler(this);
    }

    private static Duration range(Duration d, Duration min, Duration max, String what) {
      Objects.requireNonNull(d, what);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got " + d);
      }
      return d;
    }
  }
}
