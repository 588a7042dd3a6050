package io.framestream.transport.websocket.internal;

import io.framestream.core.ChannelNames;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.DataUris;
import io.framestream.edge.AccessGate;
import io.framestream.edge.AccessRequest;
import io.framestream.transport.websocket.spi.FrontFilter;
import io.framestream.transport.websocket.spi.PublisherInput;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * What the endpoints of one WebSocket transport share: its settings, its access gate, the open sessions
 * (pinged, and closed with the transport), the publisher slots claimed in handshakes, and the
 * {@link FrontFilter.Endpoints} a host's front filter uses. The public {@code WebSocketTransport} is a thin
 * face over it, so that nothing the endpoints need is part of its API.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: sessions and claims live in concurrent collections; the timer is guarded by a lock.
 */
public final class EndpointContext implements FrontFilter.Endpoints {

  /** The largest message a viewer may send (text or binary): 4 KiB. */
  public static final int VIEWER_MESSAGE_BYTES = 4096;

  private static final System.Logger LOG = System.getLogger(EndpointContext.class.getName());
  private static final byte[] PING_PAYLOAD = {'f', 's'};
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ChannelRegistry registry;
  private final int maxFrameBytes;
  private final AccessGate gate;
  private final SessionAborter aborter;
  private final RawFrameSender rawFrameSender;
  private final boolean fronted;
  private final String publishPrefix;
  private final String livePrefix;
  private final long pingIntervalNanos;
  private final long pongTimeoutNanos;
  private final long claimTimeoutNanos;
  /** This transport's secret in the admitted stamps of its front filter. */
  private final String secret;
  /** Open sessions and when each last answered a ping (System.nanoTime). */
  private final ConcurrentHashMap<Session, Long> sessions = new ConcurrentHashMap<>();
  /** Releases of publisher slots claimed in handshakes, until they run (each at most once). */
  private final Set<Runnable> pendingReleases = ConcurrentHashMap.newKeySet();
  /** Open publishing sessions by the front filter's connection id (only when fronted). */
  private final ConcurrentHashMap<String, PublisherInput> publisherInputs = new ConcurrentHashMap<>();
  private final Object pingerLock = new Object();
  /** Pings sessions and releases unclaimed slots; guarded by pingerLock, started with the first use. */
  private ScheduledExecutorService pinger;
  private volatile boolean closed;

  /**
   * Creates the context of one transport.
   *
   * @param settings the transport's settings
   */
  public EndpointContext(Settings settings) {
    this.registry = settings.registry();
    this.maxFrameBytes = settings.maxFrameBytes();
    this.gate = settings.gate();
    this.aborter = settings.aborter();
    this.rawFrameSender = settings.rawFrameSender();
    this.fronted = settings.frontFilter() != null;
    this.publishPrefix = prefix(settings.publishPath());
    this.livePrefix = prefix(settings.livePath());
    this.pingIntervalNanos = settings.pingInterval().toNanos();
    this.pongTimeoutNanos = settings.pongTimeout().toNanos();
    this.claimTimeoutNanos = settings.claimTimeout().toNanos();
    byte[] key = new byte[24];
    RANDOM.nextBytes(key);
    this.secret = Base64.getUrlEncoder().withoutPadding().encodeToString(key);
  }

  /**
   * A transport's settings, as its builder collected them.
   *
   * <h2>Thread safety</h2>
   *
   * Immutable.
   *
   * @param registry the channels
   * @param maxFrameBytes the largest frame a publisher may send
   * @param gate who may publish and view
   * @param aborter how stalled viewers are dropped
   * @param rawFrameSender how viewers' messages are written
   * @param frontFilter the host's front filter, or {@code null} when there is none
   * @param publishPath the publishing endpoint's path template
   * @param livePath the viewing endpoint's path template
   * @param pingInterval how often sessions are pinged
   * @param pongTimeout how long a session may go without a pong
   * @param claimTimeout how long a publisher slot claimed in a handshake waits for its session
   */
  public record Settings(ChannelRegistry registry, int maxFrameBytes, AccessGate gate, SessionAborter aborter,
      RawFrameSender rawFrameSender, FrontFilter frontFilter, String publishPath, String livePath,
      Duration pingInterval, Duration pongTimeout, Duration claimTimeout) {}

  private static String prefix(String template) {
    return template.substring(0, template.indexOf('{'));
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
   * Returns the largest frame a publisher may send.
   *
   * @return bytes
   */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Returns the largest text message a publisher may send: a data URI of {@link #maxFrameBytes()}.
   *
   * @return bytes
   */
  public int maxTextMessageBytes() {
    return (int) Math.min(Integer.MAX_VALUE - 64, DataUris.maxTextLength(maxFrameBytes));
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
   * Returns how stalled viewers are dropped.
   *
   * @return the aborter
   */
  public SessionAborter aborter() {
    return aborter;
  }

  /**
   * Returns how viewers' messages are written.
   *
   * @return the sender
   */
  public RawFrameSender rawFrameSender() {
    return rawFrameSender;
  }

  /**
   * Tells whether a host's front filter stands before the container (and strips {@link FrontFilter#HEADERS}).
   *
   * @return true when the transport was built with one
   */
  public boolean fronted() {
    return fronted;
  }

  @Override
  public Optional<FrontFilter.Upgrade> upgrade(String rawPath) {
    AccessRequest.Action action = rawPath.startsWith(publishPrefix) ? AccessRequest.Action.PUBLISH
        : rawPath.startsWith(livePrefix) ? AccessRequest.Action.VIEW : null;
    if (action == null) {
      return Optional.empty();
    }
    String channel = rawPath.substring((action == AccessRequest.Action.PUBLISH ? publishPrefix : livePrefix).length());
    return ChannelNames.isValid(channel) ? Optional.of(new Upgrade(action, channel)) : Optional.empty();
  }

  @Override
  public boolean serves(String rawPath) {
    return rawPath.startsWith(publishPrefix) || rawPath.startsWith(livePrefix);
  }

  @Override
  public int largestMessageBytes() {
    return Math.max(maxFrameBytes, maxTextMessageBytes());
  }

  @Override
  public Optional<PublisherInput> publisherInput(String connectionId) {
    return Optional.ofNullable(publisherInputs.get(connectionId));
  }

  /**
   * Offers an open publishing session's endpoint to the front filter, which then hands it the connection's
   * data messages itself ({@link PublisherInput}); nothing happens without a front filter or a connection id.
   *
   * @param session the open session
   * @param input its endpoint
   */
  public void publisherOpened(Session session, PublisherInput input) {
    Object id = fronted ? session.getUserProperties().get(FrontFilter.CONNECTION_ID_HEADER) : null;
    if (id != null) {
      publisherInputs.put(id.toString(), input);
    }
  }

  /**
   * Withdraws a publishing session's endpoint when the session closes.
   *
   * @param session the closing session
   * @param input its endpoint
   */
  public void publisherClosed(Session session, PublisherInput input) {
    Object id = session.getUserProperties().get(FrontFilter.CONNECTION_ID_HEADER);
    if (id != null) {
      publisherInputs.remove(id.toString(), input);
    }
  }

  /** The stamp a front filter puts on an upgrade it admitted. */
  private String stamp(AccessRequest.Action action, String channel) {
    return secret + ":" + action + ":" + channel;
  }

  /**
   * Tells whether a handshake was admitted by the front filter: only when the transport has one (which
   * strips client copies of the header) and the stamp is this transport's for this action and channel.
   *
   * @param stamps the values of {@link FrontFilter#ADMITTED_HEADER}, or {@code null}
   * @param action what the handshake asks for
   * @param channel the channel the endpoint read from the path
   * @return true when the gate already ran for this request
   */
  public boolean admittedByFront(List<String> stamps, AccessRequest.Action action, String channel) {
    if (!fronted || stamps == null || stamps.size() != 1 || stamps.get(0) == null) {
      return false;
    }
    return MessageDigest.isEqual(stamps.get(0).getBytes(StandardCharsets.UTF_8),
        stamp(action, channel).getBytes(StandardCharsets.UTF_8));
  }

  /** One upgrade to this transport's endpoints, as a front filter sees it. */
  private final class Upgrade implements FrontFilter.Upgrade {
    private final AccessRequest.Action action;
    private final String channel;

    Upgrade(AccessRequest.Action action, String channel) {
      this.action = action;
      this.channel = channel;
    }

    @Override
    public AccessRequest.Action action() {
      return action;
    }

    @Override
    public String channel() {
      return channel;
    }

    @Override
    public int maxTextMessageBytes() {
      return action == AccessRequest.Action.PUBLISH ? EndpointContext.this.maxTextMessageBytes() : VIEWER_MESSAGE_BYTES;
    }

    @Override
    public int maxBinaryMessageBytes() {
      return action == AccessRequest.Action.PUBLISH ? maxFrameBytes : VIEWER_MESSAGE_BYTES;
    }

    @Override
    public AccessGate.Verdict admit(String clientAddress, Map<String, List<String>> headers,
        Map<String, List<String>> query) {
      return gate.admit(action, channel, clientAddress, headers, query);
    }

    @Override
    public String admittedStamp() {
      return stamp(action, channel);
    }
  }

  /**
   * Returns how often sessions are pinged.
   *
   * @return the interval
   */
  public Duration pingInterval() {
    return Duration.ofNanos(pingIntervalNanos);
  }

  /**
   * Returns the number of open sessions.
   *
   * @return the count
   */
  public int openSessions() {
    return sessions.size();
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return true once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Registers an open session so that {@link #close()} can reach it and the pings cover it.
   *
   * @param session the session
   * @return {@code false} if the transport is closed (the caller then closes the session)
   */
  boolean track(Session session) {
    sessions.put(session, System.nanoTime());
    if (closed) {
      sessions.remove(session);
      return false;
    }
    timer();
    return true;
  }

  /** Records a pong from a session (any pong counts, solicited or not). */
  void ponged(Session session) {
    sessions.replace(session, System.nanoTime());
  }

  /** Forgets a closed session. */
  void untrack(Session session) {
    sessions.remove(session);
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
   * Runs a release after the claim timeout, or at {@link #close()} if that comes first; at once if closed. A
   * publisher slot claimed in a handshake is released this way unless the session that opens takes it first
   * (the release must then do nothing).
   *
   * @param release idempotent, quick, non-blocking
   */
  void releaseUnlessTaken(Runnable release) {
    Objects.requireNonNull(release, "release");
    pendingReleases.add(release);
    ScheduledExecutorService t = timer();
    try {
      if (t != null) {
        t.schedule(() -> runRelease(release), claimTimeoutNanos, TimeUnit.NANOSECONDS);
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
   * Closes every open session with 1001; later sessions are closed the same way. Releases the publisher
   * slots claimed by handshakes whose sessions have not opened. Idempotent.
   */
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
}
