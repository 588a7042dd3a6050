package io.framestream.transport.sse.internal;

import io.framestream.core.Channel;
import io.framestream.core.ChannelClosedException;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.CloseReason;
import io.framestream.core.Frame;
import io.framestream.core.InitMessage;
import io.framestream.core.LimitExceededException;
import io.framestream.core.NoSuchChannelException;
import io.framestream.core.Subscription;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * What an SSE endpoint does per request, whatever HTTP host carries it (Grizzly's {@code SseHandler}, the
 * Servlet container's {@code SseServlet}), and likewise an MJPEG endpoint ({@link #mjpeg(ChannelRegistry,
 * AccessGate, int)}: {@code MjpegHandler}, {@code MjpegServlet}), which shares everything here but the
 * bytes: validate the request ({@link SseRequest}), run the {@link
 * AccessGate} once, look the channel up, build the preamble, create and subscribe the {@link SseViewer}, and
 * map every refusal to its status (400, 401/403, 404, 405, 429, 503). It also owns what the viewers of one
 * endpoint share: the heartbeat timer, the set of open viewers, and the status events shared per channel
 * (rule E1).
 *
 * <p>A host adapter reads its request into a {@link Call} ({@link #call(String, String, Iterable, Function,
 * String, String, String)}), calls {@link #open(Call)}, answers a {@link
 * SseRequest.Rejection} with its status, {@link SseRequest.Rejection#body() body} and headers, or else
 * starts its response, wraps it in an {@link EventOutput} and calls {@link #begin(Admitted, EventOutput)}.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #open(Call)} and {@link #begin(Admitted, EventOutput)} run on the host's request
 * threads; one timer thread per endpoint writes heartbeats; {@link #close()} may be called from any thread.
 *
 * @since 0.3.0
 */
public final class SseEndpoint implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(SseEndpoint.class.getName());
  private static final AtomicInteger TIMER_IDS = new AtomicInteger();

  private final ChannelRegistry registry;
  private final AccessGate gate;
  private final Duration heartbeat;
  private final Duration retry;
  private final int writeQueueLimit;
  private final byte[] retryBytes;
  private final ScheduledThreadPoolExecutor timer;
  private final Set<SseViewer> viewers = ConcurrentHashMap.newKeySet();
  /** Status and description events shared by a channel's viewers (rule E1); gone with the channel. */
  private final Map<Channel, SseEvents.Notices> notices = Collections.synchronizedMap(new WeakHashMap<>());
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Whether this endpoint streams MJPEG parts ({@link MjpegParts}) instead of SSE events. */
  private final boolean mjpeg;
  /** Viewers may be called on the publishing thread ({@link #inlineViewers()}). */
  private volatile boolean inlineViewers;

  /**
   * Creates an endpoint and starts its timer thread ({@code framestream-sse-timer-N}).
   *
   * @param registry the channels to serve
   * @param gate the access check run once per request
   * @param heartbeat how often idle viewers get a comment
   * @param retry the reconnection delay sent as {@code retry:}
   * @param writeQueueLimit the bytes a host may queue per viewer beyond what the socket takes
   */
  public SseEndpoint(ChannelRegistry registry, AccessGate gate, Duration heartbeat, Duration retry,
      int writeQueueLimit) {
    this(registry, gate, heartbeat, retry, writeQueueLimit, false);
  }

  /**
   * Creates an MJPEG endpoint ({@code GET /mjpeg/{channel}}): the same gate, lookup, limits, viewers and
   * shutdown as SSE, with a {@code multipart/x-mixed-replace} stream of JPEG parts ({@link MjpegParts}),
   * each built once per frame and shared, instead of events; no preamble, no notices, no heartbeats. A
   * video channel, or one whose newest frame is an image of another type, is refused with 415. Starts its
   * timer thread ({@code framestream-sse-timer-N}), used for forced closes.
   *
   * @param registry the channels to serve
   * @param gate the access check run once per request
   * @param writeQueueLimit the bytes a host may queue per viewer beyond what the socket takes
   * @return the endpoint
   */
  public static SseEndpoint mjpeg(ChannelRegistry registry, AccessGate gate, int writeQueueLimit) {
    return new SseEndpoint(registry, gate, Duration.ofHours(1), Duration.ZERO, writeQueueLimit, true);
  }

  private SseEndpoint(ChannelRegistry registry, AccessGate gate, Duration heartbeat, Duration retry,
      int writeQueueLimit, boolean mjpeg) {
    this.mjpeg = mjpeg;
    this.registry = Objects.requireNonNull(registry, "registry");
    this.gate = Objects.requireNonNull(gate, "gate");
    this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
    this.retry = Objects.requireNonNull(retry, "retry");
    this.writeQueueLimit = writeQueueLimit;
    this.retryBytes = SseEvents.retry(retry);
    int id = TIMER_IDS.incrementAndGet();
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "framestream-sse-timer-" + id);
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    long period = heartbeat.toMillis();
    if (!mjpeg) {
      timer.scheduleAtFixedRate(this::heartbeatAll, period, period, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * What a host read of one request. Header names are looked up case-insensitively by whoever reads
   * them; the host should pass a map ordered by {@link String#CASE_INSENSITIVE_ORDER}.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable once built (the host must not change the maps afterwards).
   *
   * @param method the HTTP method
   * @param pathInfo the path below the mount point ({@code /cam1}), or {@code null}
   * @param headers the request's headers, all values by name
   * @param query the decoded query parameters ({@link AccessRequest#parseQuery(String)})
   * @param clientAddress the client's address, resolved by the host
   * @since 0.3.0
   */
  public record Call(String method, String pathInfo, Map<String, List<String>> headers,
      Map<String, List<String>> query, String clientAddress) {

    /**
     * Checks the parts.
     *
     * @param method the HTTP method
     * @param pathInfo the path below the mount point, or {@code null}
     * @param headers the request's headers
     * @param query the decoded query parameters
     * @param clientAddress the client's address
     * @throws NullPointerException if anything but {@code pathInfo} is {@code null}
     */
    public Call {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(headers, "headers");
      Objects.requireNonNull(query, "query");
      Objects.requireNonNull(clientAddress, "clientAddress");
    }

    String first(Map<String, List<String>> map, String name) {
      List<String> values = map.get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  /**
   * An admitted request: its viewer, subscribed, and the bytes to write before any frame.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable.
   *
   * @param viewer the viewer, subscribed to its channel
   * @param preamble {@code retry:} and, unless the channel has an {@code INIT} frame, the {@code init} event
   * @since 0.3.0
   */
  public record Admitted(SseViewer viewer, byte[] preamble) {}

  /**
   * Reads what the endpoint needs of one request, whatever the host's request type: headers into a
   * case-insensitive map, the raw query through {@link AccessRequest#parseQuery(String)} (so both hosts
   * decode it alike), and the client's address: the one the host's front stamped on the request (the
   * embedded server resolves trusted proxies per connection) when it did, else the gate's reading of the
   * socket peer and its forwarding headers.
   *
   * @param method the HTTP method
   * @param pathInfo the path below the mount point, or {@code null}
   * @param headerNames the request's header names
   * @param headerValues all values of one header
   * @param rawQuery the raw query string, or {@code null}
   * @param stampedClient an address already resolved by the host, or {@code null}
   * @param peer the socket peer's address
   * @return the call for {@link #open(Call)}
   */
  public Call call(String method, String pathInfo, Iterable<String> headerNames,
      Function<String, ? extends Iterable<String>> headerValues, String rawQuery, String stampedClient,
      String peer) {
    return call(gate, method, pathInfo, headerNames, headerValues, rawQuery, stampedClient, peer);
  }

  /**
   * Reads a request as {@link #call(String, String, Iterable, Function, String, String, String)} does, for
   * an endpoint without streams (snapshots) that has only its gate.
   *
   * @param gate the gate that resolves the client address when the host did not stamp it
   * @param method the HTTP method
   * @param pathInfo the path below the mount point, or {@code null}
   * @param headerNames the request's header names
   * @param headerValues all values of one header
   * @param rawQuery the raw query string, or {@code null}
   * @param stampedClient an address already resolved by the host, or {@code null}
   * @param peer the socket peer's address
   * @return the call
   */
  public static Call call(AccessGate gate, String method, String pathInfo, Iterable<String> headerNames,
      Function<String, ? extends Iterable<String>> headerValues, String rawQuery, String stampedClient,
      String peer) {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (String name : headerNames) {
      List<String> values = headers.computeIfAbsent(name, n -> new ArrayList<>());
      headerValues.apply(name).forEach(values::add);
    }
    String client = stampedClient != null ? stampedClient : gate.clientAddress(peer, headers::get);
    return new Call(method, pathInfo, headers, AccessRequest.parseQuery(rawQuery), client);
  }

  /**
   * Admits one request or refuses it. On success the viewer is subscribed (frames wait in it until {@link
   * #begin(Admitted, EventOutput)}); the host must then call {@code begin}, or {@link #abandon(Admitted,
   * Throwable)} if it cannot start the response.
   *
   * @param call the request
   * @return the admitted viewer and its preamble
   * @throws SseRequest.Rejection 405 other methods, 404 no channel in the path or an undeclared channel,
   *     400 invalid name or format, 401/403 the gate, 429 a registry or subscriber limit, 503 shutting down
   */
  public Admitted open(Call call) {
    try {
      return admit(call);
    } catch (SseRequest.Rejection r) {
      LOG.log(System.Logger.Level.DEBUG, "SSE request rejected with {0}: {1}", r.status(), r.getMessage());
      throw r;
    }
  }

  private Admitted admit(Call call) {
    if (closed.get()) {
      throw new SseRequest.Rejection(503, "the " + (mjpeg ? "MJPEG" : "SSE") + " endpoint is shutting down");
    }
    if (mjpeg) {
      return admitMjpeg(call);
    }
    SseRequest req = SseRequest.parse(call.method(), call.pathInfo(), name -> call.first(call.query(), name),
        call.first(call.headers(), "Last-Event-ID"));
    AccessGate.Verdict verdict = gate.admit(AccessRequest.Action.VIEW, req.channel(), call.clientAddress(),
        call.headers(), call.query());
    if (!verdict.allowed()) {
      throw new SseRequest.Rejection(verdict.status(), verdict.message());
    }
    Channel channel = lookup(req.channel());

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
    return subscribe(channel, viewer, preamble.toByteArray());
  }

  /** MJPEG: the same checks in the same order, a 415 for a channel that is not JPEG, no preamble. */
  private Admitted admitMjpeg(Call call) {
    String name = SseRequest.channelIn(call.method(), call.pathInfo(), "/mjpeg");
    AccessGate.Verdict verdict = gate.admit(AccessRequest.Action.VIEW, name, call.clientAddress(),
        call.headers(), call.query());
    if (!verdict.allowed()) {
      throw new SseRequest.Rejection(verdict.status(), verdict.message());
    }
    Channel channel = lookup(name);
    Optional<String> refusal = MjpegParts.notAnImage(channel, "MJPEG");
    if (refusal.isEmpty()) {
      refusal = channel.latestFrame().map(Frame::contentType).filter(t -> !MjpegParts.isJpeg(t))
          .map(t -> "channel '" + channel.name() + "' carries " + t + "; MJPEG serves JPEG channels only");
    }
    if (refusal.isPresent()) {
      throw new SseRequest.Rejection(415, refusal.get());
    }
    return subscribe(channel, SseViewer.parts(channel.name(), MjpegParts::partOf, viewers::remove), new byte[0]);
  }

  /**
   * Lets the channel call this endpoint's viewers on the publishing thread ({@link
   * io.framestream.core.FrameSink#inline()}), for a host whose output writes never wait (Grizzly's
   * non-blocking output buffer). Applies to viewers admitted afterwards.
   *
   * @return this endpoint
   */
  public SseEndpoint inlineViewers() {
    inlineViewers = true;
    return this;
  }

  private Admitted subscribe(Channel channel, SseViewer viewer, byte[] preamble) {
    viewer.inline(inlineViewers);
    viewers.add(viewer); // before subscribing: the viewer may end (and remove itself) at any time after
    Subscription subscription;
    try {
      subscription = channel.subscribe(viewer);
    } catch (LimitExceededException e) {
      viewers.remove(viewer);
      throw new SseRequest.Rejection(429, e.getMessage());
    } catch (ChannelClosedException e) {
      viewers.remove(viewer);
      throw new SseRequest.Rejection(503, "channel '" + channel.name() + "' is closed");
    }
    viewer.subscription(subscription);
    return new Admitted(viewer, preamble);
  }

  /**
   * Starts writing to an admitted viewer's response: the preamble, then the frames that arrived since
   * {@link #open(Call)}. If the endpoint was closed meanwhile, the viewer is ended at once.
   *
   * @param admitted what {@link #open(Call)} returned
   * @param output the host's side of the response
   */
  public void begin(Admitted admitted, EventOutput output) {
    admitted.viewer().start(output, admitted.preamble());
    if (closed.get()) {
      admitted.viewer().end(closing());
    }
  }

  /**
   * Ends an admitted viewer whose response the host could not start.
   *
   * @param admitted what {@link #open(Call)} returned
   * @param cause what went wrong
   */
  public void abandon(Admitted admitted, Throwable cause) {
    admitted.viewer().peerGone(cause);
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
   * Returns the timer thread's executor, for host actions that must happen later (a forced close after a
   * graceful one timed out). Tasks scheduled after {@link #close()} are rejected.
   *
   * @return the timer
   */
  public ScheduledExecutorService timer() {
    return timer;
  }

  /**
   * Returns the bytes a host may queue per viewer beyond what the socket takes.
   *
   * @return the limit
   */
  public int writeQueueLimit() {
    return writeQueueLimit;
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
   * Returns the reconnection delay sent as {@code retry:}.
   *
   * @return the delay
   */
  public Duration retry() {
    return retry;
  }

  /**
   * Returns the access gate.
   *
   * @return the gate
   */
  public AccessGate gate() {
    return gate;
  }

  /**
   * Returns the number of open streams.
   *
   * @return the count
   */
  public int viewerCount() {
    return viewers.size();
  }

  /**
   * Returns the open viewers, a copy.
   *
   * @return the viewers
   */
  public List<SseViewer> viewers() {
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

  private static CloseReason closing() {
    return new CloseReason(CloseReason.Code.NORMAL, "endpoint closed");
  }

  /**
   * Ends every open stream (each finishes its response where its output can take it, and closes at once
   * otherwise), then stops the timer; later requests get 503. Does not wait for peers. Idempotent; safe
   * from any thread.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    CloseReason reason = closing();
    for (SseViewer v : viewers()) {
      try {
        v.end(reason);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "ending an SSE viewer failed", e);
      }
    }
    // Delayed tasks already scheduled (forced closes after a graceful one) still run; the heartbeat stops.
    timer.shutdown();
  }

  @Override
  public String toString() {
    return "SseEndpoint[" + viewers.size() + " viewers" + (closed.get() ? ", closed" : "") + "]";
  }
}
