package io.framestream.transport.websocket;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.wire.FrameIngest;
import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import io.framestream.transport.websocket.internal.Checks;
import io.framestream.transport.websocket.internal.EndpointContext;
import io.framestream.transport.websocket.internal.HandshakeConfigurator;
import io.framestream.transport.websocket.internal.LiveEndpoint;
import io.framestream.transport.websocket.internal.MultiConfigurator;
import io.framestream.transport.websocket.internal.MultiEndpoint;
import io.framestream.transport.websocket.internal.PublishEndpoint;
import io.framestream.transport.websocket.spi.FrontFilter;
import io.framestream.transport.websocket.spi.RawFrameSender;
import io.framestream.transport.websocket.spi.SessionAborter;
import jakarta.websocket.server.ServerEndpointConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

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
 *       event.data} works unchanged. With {@code ?format=chunks}: the chunk stream a WebCodecs page decodes
 *       (a JSON {@code config} text, then one binary message per frame with its capture time and its samples:
 *       the video track's samples of each fMP4 fragment, or the image; rule W12 in docs/contract.md).
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
 * <p>Access ({@link Builder#accessGate(AccessGate)}) is checked once per handshake: by the transport's
 * handshake, or, when the transport was built for a host whose filter sees the upgrade first ({@link
 * Builder#frontFilter(FrontFilter)}), by that filter, which can answer 401 with a body where a container
 * cannot.
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
  /**
   * The path of the multi-channel viewing endpoint: one connection, channels added and removed by control
   * messages, each frame tagged with its channel (see docs/contract.md, rules G1-G5).
   */
  public static final String MULTI_PATH = "/ws/multi";
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

  private final EndpointContext context;

  private WebSocketTransport(Builder b) {
    this.context = new EndpointContext(new EndpointContext.Settings(b.registry, b.maxFrameBytes, b.gate(),
        b.aborter, b.rawFrameSender, b.frontFilter, PUBLISH_PATH, LIVE_PATH, b.pingInterval, b.pongTimeout,
        CLAIM_TIMEOUT));
    if (b.frontFilter != null) {
      b.frontFilter.attach(context);
    }
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
   * Returns the endpoint configurations to deploy: {@value #PUBLISH_PATH}, {@value #LIVE_PATH} and {@value
   * #MULTI_PATH}.
   *
   * @return the three endpoint configurations
   */
  public List<ServerEndpointConfig> endpointConfigs() {
    return List.of(
        ServerEndpointConfig.Builder.create(PublishEndpoint.class, PUBLISH_PATH)
            .configurator(new HandshakeConfigurator(context, HandshakeConfigurator.Role.PUBLISH))
            .build(),
        ServerEndpointConfig.Builder.create(LiveEndpoint.class, LIVE_PATH)
            .configurator(new HandshakeConfigurator(context, HandshakeConfigurator.Role.LIVE))
            .build(),
        ServerEndpointConfig.Builder.create(MultiEndpoint.class, MULTI_PATH)
            .configurator(new MultiConfigurator(context))
            .build());
  }

  /**
   * Returns the registry the endpoints use.
   *
   * @return the registry
   */
  public ChannelRegistry registry() {
    return context.registry();
  }

  /**
   * Returns the largest frame payload a publisher may send.
   *
   * @return bytes
   */
  public int maxFrameBytes() {
    return context.maxFrameBytes();
  }

  /**
   * Returns the access gate every handshake passes.
   *
   * @return the gate
   */
  public AccessGate accessGate() {
    return context.gate();
  }

  /**
   * Returns how often sessions are pinged; a host's idle timeout must be longer.
   *
   * @return the ping interval
   */
  public Duration pingInterval() {
    return context.pingInterval();
  }

  /**
   * Returns the number of open publisher and viewer sessions.
   *
   * @return the count
   */
  public int openSessions() {
    return context.openSessions();
  }

  /**
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return context.isClosed();
  }

  /**
   * Closes every open session with 1001 (going away); later connections are closed the same way. Releases
   * the publisher slots claimed by handshakes whose sessions have not opened. Does not close the registry.
   * Idempotent.
   */
  @Override
  public void close() {
    context.close();
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
    private FrontFilter frontFilter;
    /** The gate set by {@link #accessGate}, or null. */
    private AccessGate accessGate;
    /** Changes made by {@link #authorizer} and {@link #allowedOrigins} since, or null when none. */
    private AccessGate.Builder refined;
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private Duration pongTimeout = DEFAULT_PONG_TIMEOUT;

    private Builder(ChannelRegistry registry) {
      this.registry = registry;
    }

    /**
     * Sets who may publish and view, from which browser origins, and whose forwarding headers name the
     * client (default: {@link AccessGate#open()}). Refusals are HTTP 401 or 403 with a JSON body in the
     * handshake (on Tyrus without a {@linkplain #frontFilter(FrontFilter) front filter} a 401 is sent as 403,
     * because Tyrus upgrades the connection on 401; the embedded server's filter answers 401 before Tyrus
     * sees the request).
     *
     * <p>Precedence: this replaces the whole gate, including whatever {@link #authorizer(Authorizer)} and
     * {@link #allowedOrigins(Collection)} set before it; either of those called after it changes only its
     * part of this gate.
     *
     * @param gate the gate
     * @return this builder
     * @throws NullPointerException if {@code gate} is {@code null}
     */
    public Builder accessGate(AccessGate gate) {
      this.accessGate = Objects.requireNonNull(gate, "accessGate");
      this.refined = null;
      return this;
    }

    /**
     * Sets who may publish and view (default: everyone): a shorthand that replaces the authorizer of the
     * {@linkplain #accessGate(AccessGate) access gate}, keeping its origins and trusted proxies.
     *
     * @param auth the authorizer
     * @return this builder
     * @throws NullPointerException if {@code auth} is {@code null}
     */
    public Builder authorizer(Authorizer auth) {
      Objects.requireNonNull(auth, "authorizer");
      refined().authorizer(auth);
      return this;
    }

    /**
     * Allows WebSocket connections from browser pages of these origins only, such as {@code
     * https://cams.example.com} (default: any origin). Others get HTTP 403. Clients that send no {@code
     * Origin} (non-browser programs) are not affected; use an {@link Authorizer} for those. A shorthand that
     * adds to the allow-list of the {@linkplain #accessGate(AccessGate) access gate}.
     *
     * @param origins scheme://host[:port] values, compared case-insensitively
     * @return this builder
     * @throws NullPointerException if an origin is {@code null}
     */
    public Builder allowedOrigins(Collection<String> origins) {
      refined().allowedOrigins(origins);
      return this;
    }

    private AccessGate.Builder refined() {
      if (refined == null) {
        refined = accessGate != null ? accessGate.toBuilder() : AccessGate.builder();
      }
      return refined;
    }

    private AccessGate gate() {
      return refined != null ? refined.build() : accessGate != null ? accessGate : AccessGate.open();
    }

    /**
     * Sets the largest frame payload a publisher may send; larger messages are closed with 1009.
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
     * Declares that the transport is deployed behind a host's filter that sees every request before the
     * container, strips client copies of {@link FrontFilter#HEADERS} and runs the access gate for upgrades
     * (see {@link FrontFilter}; the embedded server has one). The handshake then believes the filter's
     * headers and does not run the gate again for a request the filter admitted. Never set this for a
     * container without such a filter: a client could then name its own address. {@link #build()} calls
     * {@link FrontFilter#attach} once.
     *
     * @param filter the host's filter
     * @return this builder
     * @throws NullPointerException if {@code filter} is {@code null}
     */
    public Builder frontFilter(FrontFilter filter) {
      this.frontFilter = Objects.requireNonNull(filter, "frontFilter");
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
