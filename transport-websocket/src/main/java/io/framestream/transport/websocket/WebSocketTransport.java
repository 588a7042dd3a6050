package io.framestream.transport.websocket;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.DataUris;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessRequest;
import io.framestream.edge.Authorizer;
import io.framestream.transport.websocket.internal.Checks;
import io.framestream.transport.websocket.internal.CloseCodes;
import io.framestream.transport.websocket.internal.HandshakeConfigurator;
import io.framestream.transport.websocket.internal.LiveEndpoint;
import io.framestream.transport.websocket.internal.PublishEndpoint;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket transport: standard Jakarta WebSocket endpoints that publish into and view the channels of a
 * {@link ChannelRegistry}.
 *
 * <ul>
 *   <li>{@value #PUBLISH_PATH}: each binary message is one frame (content type from {@code ?type=}, else
 *       recognised from its first bytes: JPEG, PNG, WebP, GIF, MP4 boxes); each text message starting with
 *       {@code data:} is a data-URI frame, as a canvas {@code toDataURL()} page sends; a text message
 *       starting with <code>{</code> is a JSON control message, such as <code>{"type":"meta",
 *       "contentType":"video/mp4","width":640,"height":360,"codec":"avc1.42E01E"}</code>, which sets what
 *       following frames carry.
 *   <li>{@value #LIVE_PATH}: on join, a JSON text {@code init} message (see {@link
 *       io.framestream.core.InitMessage}), then the channel's late-joiner frames, then one binary message per
 *       frame; another {@code init} text precedes any frame whose content type, dimensions or codec differ from
 *       what was last announced, and every new init segment of a video stream. With {@code
 *       ?format=datauri}: one text data URI per frame and nothing else, so a page doing {@code img.src =
 *       event.data} works unchanged.
 * </ul>
 *
 * <p>Deploy {@link #endpointConfigs()} in any Jakarta WebSocket 2.2 container; the embedded {@code
 * framestream-server} does it for you on Tyrus. Bad input is answered precisely: an invalid channel name or
 * query is refused in the handshake with HTTP 400 (404 for an unknown channel when channels must be
 * declared, 409 for a publisher beyond the channel's {@code maxPublishers}: the slot is claimed during the
 * handshake, so the first to connect keeps it) on Tyrus, and closed with 1008 right after the handshake
 * elsewhere; an oversized message gets close code 1009, a malformed data URI or control message 1007, an
 * unrecognisable binary frame or an unexpected text 1003. Every close carries a reason text.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. The container calls the endpoints on its own threads; frames reach viewers from the
 * registry's delivery pool, one send in flight per viewer.
 *
 * @since 0.1.0
 */
public final class WebSocketTransport implements AutoCloseable {

  /** The path of the publishing endpoint. */
  public static final String PUBLISH_PATH = "/ws/publish/{channel}";
  /** The path of the viewing endpoint. */
  public static final String LIVE_PATH = "/ws/live/{channel}";
  /** Default for {@link Builder#pingInterval(Duration)}: 15 s. */
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(15);
  /** Default for {@link Builder#pongTimeout(Duration)}: 45 s. */
  public static final Duration DEFAULT_PONG_TIMEOUT = Duration.ofSeconds(45);
  /**
   * How long a publisher slot claimed during a handshake stays reserved for the session that should open
   * next: 5 s. If no session takes it by then (the client vanished after the handshake, or the container
   * refused the upgrade after the configurator ran), the slot is released.
   */
  public static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(5);
  /** Default for {@link Builder#maxFrameBytes(int)}: 8 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 8 << 20;
  /**
   * The handshake header through which a host can identify the connection of an upgrade request (the
   * embedded server sets it, overwriting any value a client sent); copied into the session's user
   * properties under the same name.
   */
  public static final String CONNECTION_ID_HEADER = "x-framestream-connection";
  /**
   * The handshake header through which a host passes the client's IP address to the {@link Authorizer}
   * (the embedded server sets it, overwriting any value a client sent). Without it the address is empty.
   */
  public static final String REMOTE_ADDRESS_HEADER = "x-framestream-remote-address";

  private static final System.Logger LOG = System.getLogger(WebSocketTransport.class.getName());
  private static final byte[] PING_PAYLOAD = {'f', 's'};

  private final ChannelRegistry registry;
  private final int maxFrameBytes;
  private final SessionAborter aborter;
  private final RawFrameSender rawFrameSender;
  private final Authorizer authorizer;
  private final Set<String> allowedOrigins;
  /** Open sessions and when each last answered a ping (System.nanoTime). */
  private final ConcurrentHashMap<Session, Long> sessions = new ConcurrentHashMap<>();
  private final long pingIntervalNanos;
  private final long pongTimeoutNanos;
  /** Releases of publisher slots claimed in handshakes, until they run (each at most once). */
  private final Set<Runnable> pendingReleases = ConcurrentHashMap.newKeySet();
  private final Object pingerLock = new Object();
  /** Pings sessions and releases unclaimed slots; guarded by pingerLock, started with the first use. */
  private ScheduledExecutorService pinger;
  private volatile boolean closed;

  private WebSocketTransport(Builder b) {
    this.registry = b.registry;
    this.maxFrameBytes = b.maxFrameBytes;
    this.aborter = b.aborter;
    this.rawFrameSender = b.rawFrameSender;
    this.authorizer = b.authorizer;
    this.allowedOrigins = Set.copyOf(b.allowedOrigins);
    this.pingIntervalNanos = b.pingInterval.toNanos();
    this.pongTimeoutNanos = b.pongTimeout.toNanos();
  }

  /**
   * Starts a builder.
   *
   * @param registry the channels to publish into and view
   * @return a new builder
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public static Builder builder(ChannelRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry"));
  }

  /**
   * Returns the endpoint configurations to deploy: {@value #PUBLISH_PATH} and {@value #LIVE_PATH}.
   *
   * @return the two endpoint configurations
   */
  public List<ServerEndpointConfig> endpointConfigs() {
    return List.of(
        ServerEndpointConfig.Builder.create(PublishEndpoint.class, PUBLISH_PATH)
            .configurator(new HandshakeConfigurator(this, HandshakeConfigurator.Role.PUBLISH))
            .build(),
        ServerEndpointConfig.Builder.create(LiveEndpoint.class, LIVE_PATH)
            .configurator(new HandshakeConfigurator(this, HandshakeConfigurator.Role.LIVE))
            .build());
  }

  /**
   * Returns the registry the endpoints use.
   *
   * @return the registry
   */
  public ChannelRegistry registry() {
    return registry;
  }

  /**
   * Returns the largest frame payload a publisher may send.
   *
   * @return bytes
   */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Returns the largest single WebSocket message the container must be able to buffer for a publisher: a
   * data URI of {@link #maxFrameBytes()} bytes. A host configures its incoming buffer to at least this.
   *
   * @return bytes
   */
  public int maxIncomingMessageBytes() {
    return (int) Math.min(Integer.MAX_VALUE - 64, DataUris.maxTextLength(maxFrameBytes));
  }

  /**
   * Returns the aborter used for stalled viewers.
   *
   * @return the aborter
   */
  public SessionAborter aborter() {
    return aborter;
  }

  /**
   * Returns how viewers' frames (binary messages and data-URI texts) are written: pre-framed and shared, or
   * through the portable path.
   *
   * @return the sender set on the builder, {@link RawFrameSender#PORTABLE} by default
   */
  public RawFrameSender rawFrameSender() {
    return rawFrameSender;
  }

  /**
   * Decides whether a client may publish into or view a channel. The endpoints call it during the
   * handshake; a host may call it earlier to answer with a precise status (the embedded server does, because
   * Tyrus cannot refuse a handshake with 401).
   *
   * @param request the request
   * @return the authorizer's decision
   */
  public AccessDecision authorize(AccessRequest request) {
    AccessDecision d = authorizer.authorize(request);
    return d != null ? d : AccessDecision.forbidden("no decision");
  }

  /**
   * Tells whether a browser origin may open a WebSocket. A request without {@code Origin} (not from a
   * browser) is always allowed; with an empty allow-list, every origin is.
   *
   * @param origin the {@code Origin} header value, or {@code null}
   * @return {@code true} if allowed
   */
  public boolean originAllowed(String origin) {
    return origin == null || allowedOrigins.isEmpty() || allowedOrigins.contains(origin.toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * Returns how often sessions are pinged; a host's idle timeout must be longer.
   *
   * @return the ping interval
   */
  public Duration pingInterval() {
    return Duration.ofNanos(pingIntervalNanos);
  }

  /**
   * Returns the number of open publisher and viewer sessions.
   *
   * @return the count
   */
  public int openSessions() {
    return sessions.size();
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Registers an open session so that {@link #close()} can reach it. For the endpoints of this transport.
   *
   * @param session the session
   * @return {@code false} if the transport is closed (the caller then closes the session)
   */
  public boolean track(Session session) {
    sessions.put(session, System.nanoTime());
    if (closed) {
      sessions.remove(session);
      return false;
    }
    timer();
    return true;
  }

  /**
   * Records a pong from a session (any pong counts, solicited or not). For the endpoints of this transport.
   *
   * @param session the session
   */
  public void ponged(Session session) {
    sessions.replace(session, System.nanoTime());
  }

  /** Returns the timer, starting it (and the pings) on first use; {@code null} once closed. */
  private ScheduledExecutorService timer() {
    synchronized (pingerLock) {
      if (pinger != null || closed) {
        return pinger;
      }
      ScheduledThreadPoolExecutor p = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "framestream-ws-ping");
        t.setDaemon(true);
        return t;
      });
      p.setRemoveOnCancelPolicy(true);
      p.scheduleAtFixedRate(this::pingAll, pingIntervalNanos, pingIntervalNanos, TimeUnit.NANOSECONDS);
      pinger = p;
      return p;
    }
  }

  /**
   * Runs a release after {@link #CLAIM_TIMEOUT}, or at {@link #close()} if that comes first; at once if the
   * transport is closed. For the endpoints of this transport: a publisher slot claimed in a handshake is
   * released this way unless the session that opens takes it first (the release must then do nothing).
   *
   * @param release idempotent, quick, non-blocking
   */
  public void releaseUnlessTaken(Runnable release) {
    Objects.requireNonNull(release, "release");
    pendingReleases.add(release);
    ScheduledExecutorService t = timer();
    try {
      if (t != null) {
        t.schedule(() -> runRelease(release), CLAIM_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        return;
      }
    } catch (RejectedExecutionException e) {
      // closed meanwhile: release now
    }
    runRelease(release);
  }

  private void runRelease(Runnable release) {
    if (pendingReleases.remove(release)) {
      try {
        release.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "releasing a claimed publisher slot failed", e);
      }
    }
  }

  /** Pings every open session; drops those whose last pong is older than the timeout. */
  private void pingAll() {
    long now = System.nanoTime();
    ByteBuffer payload = ByteBuffer.wrap(PING_PAYLOAD);
    for (Map.Entry<Session, Long> e : sessions.entrySet()) {
      Session s = e.getKey();
      if (now - e.getValue() > pongTimeoutNanos) {
        sessions.remove(s);
        String reason = "no pong for " + TimeUnit.NANOSECONDS.toMillis(now - e.getValue()) + " ms (pongTimeout)";
        LOG.log(System.Logger.Level.DEBUG, "dropping WebSocket session {0}: {1}", s.getId(), reason);
        if (!aborter.abort(s, reason)) {
          CloseCodes.closeQuietly(s, CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, reason));
        }
        continue;
      }
      try {
        if (s.isOpen()) {
          s.getAsyncRemote().sendPing(payload.duplicate());
        }
      } catch (IOException | RuntimeException ex) {
        LOG.log(System.Logger.Level.DEBUG, "ping to session {0} failed: {1}", s.getId(), ex);
      }
    }
  }

  /**
   * Forgets a closed session. For the endpoints of this transport.
   *
   * @param session the session
   */
  public void untrack(Session session) {
    sessions.remove(session);
  }

  /**
   * Closes every open session with 1001 (going away); later connections are closed the same way. Releases
   * the publisher slots claimed by handshakes whose sessions have not opened. Does not close the registry.
   * Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    synchronized (pingerLock) {
      if (pinger != null) {
        pinger.shutdownNow();
        pinger = null;
      }
    }
    for (Runnable release : pendingReleases.toArray(new Runnable[0])) {
      runRelease(release);
    }
    CloseReason goingAway = CloseCodes.reason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down");
    for (Session s : sessions.keySet().toArray(new Session[0])) {
      CloseCodes.closeQuietly(s, goingAway);
      sessions.remove(s);
    }
  }

  /**
   * Builds a {@link WebSocketTransport}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private final ChannelRegistry registry;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private SessionAborter aborter = SessionAborter.GRACEFUL;
    private RawFrameSender rawFrameSender = RawFrameSender.PORTABLE;
    private Authorizer authorizer = Authorizer.allowAll();
    private final Set<String> allowedOrigins = new java.util.HashSet<>();
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private Duration pongTimeout = DEFAULT_PONG_TIMEOUT;

    private Builder(ChannelRegistry registry) {
      this.registry = registry;
    }

    /**
     * Sets who may publish and view (default: everyone). Refusals are HTTP 401 or 403 in the handshake (on
     * Tyrus a 401 is sent as 403, because Tyrus upgrades the connection on 401; the embedded server
     * answers 401 before Tyrus sees the request).
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
     * Allows WebSocket connections from browser pages of these origins only, such as {@code
     * https://cams.example.com} (default: any origin). Others get HTTP 403. Clients that send no {@code
     * Origin} (non-browser programs) are not affected; use an {@link Authorizer} for those.
     *
     * @param origins scheme://host[:port] values, compared case-insensitively
     * @return this builder
     * @throws NullPointerException if an origin is {@code null}
     */
    public Builder allowedOrigins(java.util.Collection<String> origins) {
      for (String o : origins) {
        allowedOrigins.add(Objects.requireNonNull(o, "origin").toLowerCase(java.util.Locale.ROOT));
      }
      return this;
    }

    /**
     * Sets the largest frame payload a publisher may send; larger messages are closed with 1009.
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
     * Sets how often every session (viewer or publisher) is pinged.
     *
     * @param interval positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder pingInterval(Duration interval) {
      this.pingInterval = Checks.positive(interval, "pingInterval");
      return this;
    }

    /**
     * Sets how long a session may go without answering pings before it is dropped (a dead peer, a cable
     * pulled: nothing else would notice on an idle channel).
     *
     * @param timeout positive; longer than the ping interval
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder pongTimeout(Duration timeout) {
      this.pongTimeout = Checks.positive(timeout, "pongTimeout");
      return this;
    }

    /**
     * Sets how stalled viewers are dropped; see {@link SessionAborter}.
     *
     * @param sessionAborter the aborter
     * @return this builder
     * @throws NullPointerException if {@code sessionAborter} is {@code null}
     */
    public Builder aborter(SessionAborter sessionAborter) {
      this.aborter = Objects.requireNonNull(sessionAborter, "aborter");
      return this;
    }

    /**
     * Sets how viewers' frames are written. A host that can write pre-framed bytes to its container's
     * connections sets its sender here (the embedded server does, for Tyrus): each frame's binary message, or
     * its data-URI text message, is then framed once and the same bytes go to every viewer. The default sends
     * through the portable {@code getAsyncRemote().sendBinary} / {@code sendText}, which encode, frame and copy
     * the message for each viewer.
     *
     * @param sender the sender; {@link RawFrameSender#PORTABLE} for the portable path
     * @return this builder
     * @throws NullPointerException if {@code sender} is {@code null}
     */
    public Builder rawFrameSender(RawFrameSender sender) {
      this.rawFrameSender = Objects.requireNonNull(sender, "rawFrameSender");
      return this;
    }

    /**
     * Builds the transport.
     *
     * @return the transport
     */
    public WebSocketTransport build() {
      return new WebSocketTransport(this);
    }
  }
}
