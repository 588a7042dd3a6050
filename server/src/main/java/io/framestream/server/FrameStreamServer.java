package io.framestream.server;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.TransportException;
import io.framestream.core.wire.FrameIngest;

import io.framestream.edge.AccessGate;
import io.framestream.edge.Authorizer;
import io.framestream.edge.TrustedProxies;
import io.framestream.server.internal.ApiHandler;
import io.framestream.server.internal.ConnectionTracker;
import io.framestream.server.internal.EmbeddedContainer;
import io.framestream.server.internal.HttpPublishing;
import io.framestream.server.internal.PagesHandler;
import io.framestream.server.internal.TextHandler;
import io.framestream.server.internal.TyrusRawFrameSender;
import io.framestream.transport.sse.MjpegHandler;
import io.framestream.transport.sse.SnapshotHandler;
import io.framestream.transport.sse.SseHandler;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.ServerConfiguration;
import org.glassfish.tyrus.container.grizzly.server.WebSocketAddOn;

/**
 * The embedded framestream server: one Grizzly HTTP server on one port carrying the WebSocket endpoints
 * ({@code /ws/publish/{channel}}, {@code /ws/live/{channel}}), Server-Sent Events ({@code /sse/{channel}},
 * an {@link SseHandler}), the JSON API ({@code GET /api/channels}, {@code GET /api/channels/{name}}),
 * pages from the class path, and any extra handlers.
 *
 * <pre>{@code
 * try (FrameStreamServer server = FrameStreamServer.builder().port(8080).build().start()) {
 *   server.registry().channel("cam1").publish(Frame.of("image/jpeg", bytes));
 *   ...
 * }
 * }</pre>
 *
 * <p>Decisions: the listener runs WebSocket callbacks on worker threads (never on selector threads). Its
 * keep-alive idle timeout (30 s, or twice the ping interval if longer) also applies to upgraded WebSockets,
 * which the transport pings often enough to stay alive while idle connections of any other kind are closed. A viewer that stops reading is dropped at once at the socket (not by a graceful close,
 * which would keep its queued frames), so its memory is freed immediately.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #start()} once; {@link #close()} any number of times from any thread.
 *
 * @since 0.1.0
 */
public final class FrameStreamServer implements AutoCloseable {

  /** Default port: 8080. */
  public static final int DEFAULT_PORT = 8080;
  /** Default bind address: loopback only; use {@code "0.0.0.0"} to accept other machines. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default class-path folder the pages are served from. */
  public static final String DEFAULT_STATIC_ROOT = "framestream/static/";
  /** Where the SSE transport is mounted. */
  public static final String SSE_MAPPING = "/sse/*";
  /** Default for {@link Builder#maxConnectionsPerAddress(int)}: 128. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 128;
  /** Default for {@link Builder#maxFrameBytes(int)}: 8 MiB, the WebSocket transport's default. */
  public static final int DEFAULT_MAX_FRAME_BYTES = WebSocketTransport.DEFAULT_MAX_FRAME_BYTES;
  /** Default bound on {@link #close()}: 5 s. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

  private static final System.Logger LOG = System.getLogger(FrameStreamServer.class.getName());

  private final String host;
  private final int requestedPort;
  private final ChannelRegistry registry;
  private final boolean ownsRegistry;
  private final WebSocketTransport webSocket;
  private final ConnectionTracker tracker;
  private final ClassLoader staticLoader;
  private final String staticRoot;
  private final Map<String, HttpHandler> extraHandlers;
  private final Duration shutdownTimeout;
  private final HttpServer http = new HttpServer();
  private final EmbeddedContainer container;
  private final Authorizer authorizer; // null: not set explicitly
  private final HttpPublishing httpPublishing;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile int port = -1;

  private FrameStreamServer(Builder b) {
    this.host = b.host;
    this.requestedPort = b.port;
    this.ownsRegistry = b.registry == null;
    this.registry = b.registry != null ? b.registry : ChannelRegistry.builder().build();
    this.authorizer = b.authorizer;
    Authorizer auth = b.authorizer != null ? b.authorizer : Authorizer.allowAll();
    // One access gate for every entry point: WebSocket handshakes (run by the tracker, once), HTTP publishing.
    AccessGate gate = AccessGate.builder().authorizer(auth).allowedOrigins(b.allowedOrigins)
        .trustedProxies(TrustedProxies.of(b.trustedProxies).readingHeader(b.forwardingHeader)).build();
    this.tracker = new ConnectionTracker(b.maxConnectionsPerAddress, gate, b.headTimeout);
    this.webSocket = b.webSocket.apply(WebSocketTransport.builder(registry).maxFrameBytes(b.maxFrameBytes)
        .aborter(tracker).rawFrameSender(TyrusRawFrameSender.create()).accessGate(gate).frontFilter(tracker))
        .build();
    this.httpPublishing = new HttpPublishing(registry, gate, b.maxFrameBytes, b.uploadTimeout, b.maxUploadsPerAddress);
    this.staticLoader = b.staticLoader;
    this.staticRoot = b.staticRoot;
    this.extraHandlers = new LinkedHashMap<>();
    this.extraHandlers.put(SSE_MAPPING, b.sse.apply(SseHandler.builder(registry).accessGate(gate)).build());
    // MJPEG and snapshots: the same gate, viewer limits and slow-viewer handling as SSE (rules J1-J5).
    this.extraHandlers.put("/mjpeg/*", MjpegHandler.builder(registry).accessGate(gate).build());
    this.extraHandlers.put("/snapshot/*", SnapshotHandler.builder(registry).accessGate(gate).build());
    this.extraHandlers.putAll(b.handlers);
    this.shutdownTimeout = b.shutdownTimeout;
    // The tracker refuses larger messages from their headers (rule H2), so Tyrus never needs more room than
    // the largest message it lets through; Tyrus grows each connection's buffer only as bytes arrive.
    this.container = new EmbeddedContainer(tracker.incomingBufferSize());
  }

  /**
   * Starts a builder with the defaults: {@value #DEFAULT_HOST}:{@value #DEFAULT_PORT}, a new registry that
   * creates channels on demand, pages from {@value #DEFAULT_STATIC_ROOT} on the class path.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Binds the port and starts serving.
   *
   * @return this server
   * @throws IllegalStateException if already started or closed
   * @throws TransportException if the port cannot be bound or the endpoints cannot be deployed
   */
  public FrameStreamServer start() {
    if (closed.get() || !started.compareAndSet(false, true)) {
      throw new IllegalStateException("server already started or closed");
    }
    if (authorizer == null && !isLoopback(host)) {
      started.set(false);
      throw new IllegalStateException("refusing to serve " + host + " without an authorizer: anyone who can reach"
          + " it could publish and view. Set authorizer(...) (BearerTokens, ViewerTickets), or"
          + " authorizer(Authorizer.allowAll()) to allow everyone explicitly");
    }
    NetworkListener listener = new NetworkListener("framestream", host, requestedPort);
    listener.getTransport().setIOStrategy(ConnectionTracker.ioStrategy());
    // Grizzly closes connections idle for the keep-alive timeout, upgraded WebSockets included. WebSockets
    // are pinged, which counts as activity, so the timeout only has to outlast two ping intervals; idle
    // HTTP connections (and those of refused upgrades) are still cleaned up.
    listener.getKeepAlive().setIdleTimeoutInSeconds(
        (int) Math.max(30, 2 * webSocket.pingInterval().toSeconds() + 1));
    listener.registerAddOn(tracker);
    listener.registerAddOn(new WebSocketAddOn(container, EmbeddedContainer.contextPath()));
    http.addListener(listener);

    ServerConfiguration config = http.getServerConfiguration();
    config.setName("framestream");
    config.setDefaultErrorPageGenerator(null);
    config.addHttpHandler(new ApiHandler(registry, httpPublishing), "/api/*");
    for (Map.Entry<String, HttpHandler> e : extraHandlers.entrySet()) {
      config.addHttpHandler(e.getValue(), e.getKey());
    }
    config.addHttpHandler(new PagesHandler(staticLoader, "/" + staticRoot, registry), "/");
    try {
      for (ServerEndpointConfig sec : webSocket.endpointConfigs()) {
        container.addEndpoint(sec);
      }
      container.start(EmbeddedContainer.contextPath(), requestedPort);
      container.doneDeployment();
      httpPublishing.start();
      http.start();
    } catch (IOException | DeploymentException e) {
      closeQuietly();
      throw new TransportException("cannot start the server on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
    }
    port = listener.getPort();
    LOG.log(System.Logger.Level.INFO, "framestream server listening on http://{0}:{1,number,#}/", host, port);
    return this;
  }

  /**
   * Returns the bound port (the real one when 0 was asked for).
   *
   * @return the port
   * @throws IllegalStateException if not started
   */
  public int port() {
    if (port < 0) {
      throw new IllegalStateException("server not started");
    }
    return port;
  }

  /**
   * Returns the bind address.
   *
   * @return the host
   */
  public String host() {
    return host;
  }

  /**
   * Returns the base HTTP address, such as {@code http://127.0.0.1:8080/}.
   *
   * @return the URI
   * @throws IllegalStateException if not started
   */
  public URI httpUri() {
    return URI.create("http://" + uriHost() + ":" + port() + "/");
  }

  /**
   * Returns the base WebSocket address, such as {@code ws://127.0.0.1:8080/}.
   *
   * @return the URI
   * @throws IllegalStateException if not started
   */
  public URI webSocketUri() {
    return URI.create("ws://" + uriHost() + ":" + port() + "/");
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private String uriHost() {
    String h = host.equals("0.0.0.0") ? "127.0.0.1" : host;
    return h.contains(":") ? "[" + h + "]" : h;
  }

  /**
   * Returns the channel registry behind the server.
   *
   * @return the registry
   */
  public ChannelRegistry registry() {
    return registry;
  }

  /**
   * Returns the SSE handler mounted at {@value #SSE_MAPPING}.
   *
   * @return the handler
   */
  public SseHandler sse() {
    return (SseHandler) extraHandlers.get(SSE_MAPPING);
  }

  /**
   * Returns the WebSocket transport.
   *
   * @return the transport
   */
  public WebSocketTransport webSocket() {
    return webSocket;
  }

  /**
   * Stops the server: WebSocket sessions get close code 1001, extra handlers that are {@link AutoCloseable}
   * are closed, the port is released, and a registry the server created is closed. Bounded by the shutdown
   * timeout; idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    webSocket.close();
    httpPublishing.close();
    for (HttpHandler h : extraHandlers.values()) {
      if (h instanceof AutoCloseable) {
        try {
          ((AutoCloseable) h).close();
        } catch (Exception e) {
          LOG.log(System.Logger.Level.WARNING, "closing handler " + h + " failed", e);
        }
      }
    }
    // Let the close frames go out (bounded), then stop.
    long closeFramesBy = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
    while (webSocket.openSessions() > 0 && System.nanoTime() < closeFramesBy) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    closeQuietly();
    tracker.close();
    // Sessions and streams were closed above; a graceful Grizzly shutdown would only wait out its grace
    // period (and log a warning), so stop at once.
    http.shutdownNow();
    if (ownsRegistry) {
      registry.close();
    }
  }

  private void closeQuietly() {
    try {
      container.stop();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "stopping the WebSocket container failed", e);
    }
  }

  /**
   * Builds a {@link FrameStreamServer}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private ChannelRegistry registry;
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private ClassLoader staticLoader = FrameStreamServer.class.getClassLoader();
    private String staticRoot = DEFAULT_STATIC_ROOT;
    private final Map<String, HttpHandler> handlers = new LinkedHashMap<>();
    private UnaryOperator<SseHandler.Builder> sse = UnaryOperator.identity();
    private UnaryOperator<WebSocketTransport.Builder> webSocket = UnaryOperator.identity();
    private Authorizer authorizer;
    private final List<String> allowedOrigins = new ArrayList<>();
    private final List<String> trustedProxies = new ArrayList<>();
    private TrustedProxies.Header forwardingHeader = TrustedProxies.Header.X_FORWARDED_FOR;
    private int maxConnectionsPerAddress = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;

    private Builder() {}

    /**
     * Sets the bind address.
     *
     * @param bindHost an IP address or host name, such as {@code 0.0.0.0}
     * @return this builder
     * @throws NullPointerException if {@code bindHost} is {@code null}
     */
    public Builder host(String bindHost) {
      this.host = Objects.requireNonNull(bindHost, "host");
      return this;
    }

    /**
     * Sets the port; 0 picks a free one (see {@link FrameStreamServer#port()}).
     *
     * @param bindPort 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int bindPort) {
      if (bindPort < 0 || bindPort > 65_535) {
        throw new IllegalArgumentException("port must be 0..65535, got " + bindPort);
      }
      this.port = bindPort;
      return this;
    }

    /**
     * Uses an existing registry; the server will not close it.
     *
     * @param channels the registry
     * @return this builder
     * @throws NullPointerException if {@code channels} is {@code null}
     */
    public Builder registry(ChannelRegistry channels) {
      this.registry = Objects.requireNonNull(channels, "registry");
      return this;
    }

    /**
     * Sets the largest frame a publisher may send (default 8 MiB); a larger WebSocket message is refused
     * from its header with close code 1009, before its payload is read (rule H2).
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
     * Serves pages from a class-path folder (default {@value #DEFAULT_STATIC_ROOT} of the server's class
     * loader). {@code /} serves {@code index.html}; missing files get 404.
     *
     * @param loader the class loader to read from
     * @param root the folder, such as {@code "framestream/static/"}
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     */
    public Builder staticContent(ClassLoader loader, String root) {
      this.staticLoader = Objects.requireNonNull(loader, "loader");
      String r = Objects.requireNonNull(root, "root");
      r = r.startsWith("/") ? r.substring(1) : r;
      this.staticRoot = r.endsWith("/") ? r : r + "/";
      return this;
    }

    /**
     * Serves the viewer and camera pages of the {@code io.framestream:framestream-pages} artifact at {@code
     * /} ({@code index.html} lists the channels; {@code live.html?channel=NAME}, {@code record.html}, ...),
     * checking now that the artifact is on the class path. An unknown page gets a 404 page that names the
     * pages and channels there are.
     *
     * @return this builder
     * @throws IllegalStateException if {@code framestream-pages} is not on the class path (the message
     *     names the dependency to add)
     */
    public Builder pages() {
      return staticContent(PagesHandler.pagesArtifactLoader(), DEFAULT_STATIC_ROOT);
    }

    /**
     * Sets who may publish and view, over both transports. Without it the server allows everyone, and
     * therefore refuses to start on an address other than loopback; pass {@link Authorizer#allowAll()} to
     * allow everyone on purpose. Refusals are HTTP 401 (with {@code WWW-Authenticate: Bearer}) or 403 with
     * a JSON body, in the WebSocket handshake, on SSE requests and on HTTP publishing. The server builds one
     * {@link AccessGate} of this, {@link #allowedOrigins(String...)} and {@link #trustedProxies(String...)},
     * which checks each request once; {@code webSocket(b -> b.authorizer(...))} would change the WebSocket
     * transport's copy only.
     *
     * @param auth the authorizer, for example {@code Authorizer.perAction(BearerTokens.of(token), tickets)}
     * @return this builder
     * @throws NullPointerException if {@code auth} is {@code null}
     */
    public Builder authorizer(Authorizer auth) {
      this.authorizer = Objects.requireNonNull(auth, "authorizer");
      return this;
    }

    /**
     * Allows browser pages of these origins only (default: any): WebSocket connections and HTTP publishing
     * from a page of another origin get 403; requests without {@code Origin} (non-browser clients) are not
     * affected. Part of the server's one access gate; see {@link AccessGate}.
     *
     * @param origins such as {@code https://cams.example.com}
     * @return this builder
     * @throws NullPointerException if an origin is {@code null}
     */
    public Builder allowedOrigins(String... origins) {
      for (String o : origins) {
        allowedOrigins.add(Objects.requireNonNull(o, "origin"));
      }
      return this;
    }

    /**
     * Chooses the forwarding header the {@linkplain #trustedProxies(String...) trusted proxies} write:
     * {@code X-Forwarded-For} (the default; nginx's {@code $proxy_add_x_forwarded_for}, HAProxy's {@code
     * option forwardfor}) or {@code Forwarded} (RFC 7239). Only that header is read: a proxy passes the other
     * one through untouched, so a client could write anything into it.
     *
     * @param header the header the proxies overwrite or append to
     * @return this builder
     * @throws NullPointerException if {@code header} is {@code null}
     */
    public Builder forwardingHeader(TrustedProxies.Header header) {
      this.forwardingHeader = Objects.requireNonNull(header, "header");
      return this;
    }

    /**
     * Names the reverse proxies in front of the server (default: none). A request whose TCP peer is one of
     * them is treated as coming from the client its forwarding header ({@code X-Forwarded-For}, or {@code
     * Forwarded}: see {@link #forwardingHeader(TrustedProxies.Header)}) names: the rightmost address of the
     * chain that is not itself a trusted proxy.
     * That address is what {@link #maxConnectionsPerAddress(int)} counts and what the authorizer sees. From
     * any other peer those headers are ignored; a deciding entry that is not an address ({@code unknown},
     * obfuscated, garbage) counts as the proxy itself. See {@link TrustedProxies}. A connection is charged once, to the
     * client of its first request: a proxy that reuses one keep-alive connection for several clients has it
     * counted against the first.
     *
     * @param addressesOrCidrs IP addresses or CIDR ranges, IPv4 or IPv6, such as {@code "127.0.0.1"}, {@code
     *     "10.0.0.0/8"} or {@code "fd00::/8"}; never host names (nothing is looked up in DNS)
     * @return this builder
     * @throws NullPointerException if an entry is {@code null}
     * @throws IllegalArgumentException if an entry is not an IP address or CIDR range
     */
    public Builder trustedProxies(String... addressesOrCidrs) {
      TrustedProxies.of(addressesOrCidrs); // fails here, not in build(), on a bad entry
      trustedProxies.addAll(List.of(addressesOrCidrs));
      return this;
    }

    /** Default for {@link #headTimeout(Duration)}: 10 s. */
    public static final Duration DEFAULT_HEAD_TIMEOUT = ConnectionTracker.DEFAULT_HEAD_TIMEOUT;

    private Duration headTimeout = DEFAULT_HEAD_TIMEOUT;

    /**
     * Sets how long a request head (request line and headers) may take to arrive (default 10 s), counted from
     * its first byte; a new connection's first head is counted from the connection's accept, so a connection
     * that sends nothing is closed after it too. A head still incomplete then is answered with 408 and a JSON
     * body if the connection can take the answer at once, and the connection is closed. On a keep-alive
     * connection the clock starts again at the first byte of each request; the keep-alive idle timeout still
     * governs the gaps between requests. Upgraded WebSockets and streaming requests (SSE, bodies, which have
     * {@link #uploadTimeout(Duration)}) are not timed once their head is complete. This bounds how long a peer
     * that trickles its headers (slowloris) holds a connection.
     *
     * @param timeout positive, under 24 days
     * @return this builder
     * @throws NullPointerException if {@code timeout} is {@code null}
     * @throws IllegalArgumentException if not positive
     */
    public Builder headTimeout(Duration timeout) {
      this.headTimeout = positive(timeout, "headTimeout");
      return this;
    }

    /**
     * Sets how many connections (WebSocket, SSE, page loads) one remote address may hold open at once; one
     * more is answered with 429 and closed.
     *
     * @param n at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnectionsPerAddress(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxConnectionsPerAddress must be >= 1, got " + n);
      }
      this.maxConnectionsPerAddress = n;
      return this;
    }

    /** Default for {@link #uploadTimeout(Duration)}: 10 s. */
    public static final Duration DEFAULT_UPLOAD_TIMEOUT = Duration.ofSeconds(10);
    /** Default for {@link #maxUploadsPerAddress(int)}: 4. */
    public static final int DEFAULT_MAX_UPLOADS_PER_ADDRESS = 4;

    private Duration uploadTimeout = DEFAULT_UPLOAD_TIMEOUT;
    private int maxUploadsPerAddress = DEFAULT_MAX_UPLOADS_PER_ADDRESS;

    /**
     * Sets how long the whole body of a {@code POST /api/channels/{name}/frames} may take to arrive
     * (default 10 s), counted from its headers; a body still incomplete then is answered with 408 and the
     * connection is closed. Bodies are read as they arrive, so a slow sender never holds a server thread.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder uploadTimeout(Duration timeout) {
      this.uploadTimeout = positive(timeout, "uploadTimeout");
      return this;
    }

    /**
     * Sets how many {@code POST /api/channels/{name}/frames} bodies one client address may be sending at
     * once (default 4); one more is answered with 429 and the connection is closed.
     *
     * @param n at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxUploadsPerAddress(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxUploadsPerAddress must be >= 1, got " + n);
      }
      this.maxUploadsPerAddress = n;
      return this;
    }

    /**
     * Configures the SSE transport (heartbeat, retry, write-queue limit), for example {@code sse(b ->
     * b.heartbeat(Duration.ofSeconds(5)))}.
     *
     * @param configure applied to the SSE handler's builder for the server's registry
     * @return this builder
     * @throws NullPointerException if {@code configure} is {@code null}
     */
    public Builder sse(UnaryOperator<SseHandler.Builder> configure) {
      this.sse = Objects.requireNonNull(configure, "configure");
      return this;
    }

    /**
     * Configures the WebSocket transport further (ping interval, pong timeout), for example {@code
     * webSocket(b -> b.pingInterval(Duration.ofSeconds(5)))}. Applied after the server's own settings.
     *
     * @param configure applied to the transport's builder
     * @return this builder
     * @throws NullPointerException if {@code configure} is {@code null}
     */
    public Builder webSocket(UnaryOperator<WebSocketTransport.Builder> configure) {
      this.webSocket = Objects.requireNonNull(configure, "configure");
      return this;
    }

    /**
     * Mounts an extra Grizzly handler. A handler that is {@link AutoCloseable} is closed with the server.
     *
     * @param mapping a Grizzly mapping such as {@code "/sse/*"}
     * @param handler the handler
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     */
    public Builder handler(String mapping, HttpHandler handler) {
      handlers.put(Objects.requireNonNull(mapping, "mapping"), Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /**
     * Serves a read-only text computed per request at one path, such as a Prometheus scrape:
     * {@code text("/metrics", PrometheusScrape.CONTENT_TYPE, scrape::scrape)}. {@code GET} and {@code HEAD}
     * answer 200 (never cached), other methods 405; a peer that stopped reading is dropped, never waited for.
     * The path has no authorization of its own: keep the server on loopback or guard the path in a proxy.
     *
     * @param path the exact path, such as {@code "/metrics"}
     * @param contentType the answer's content type
     * @param body called on a worker thread for every request; must be thread-safe and fast
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     */
    public Builder text(String path, String contentType, Supplier<String> body) {
      return handler(path, new TextHandler(contentType, body));
    }

    /**
     * Sets the bound on {@link FrameStreamServer#close()}.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = positive(timeout, "shutdownTimeout");
      return this;
    }

    /**
     * Builds the server; call {@link FrameStreamServer#start()} to bind it.
     *
     * @return the server
     */
    public FrameStreamServer build() {
      return new FrameStreamServer(this);
    }
  }

  /** A timeout that must be positive and fit in an {@code int} of milliseconds. */
  private static Duration positive(Duration timeout, String name) {
    Objects.requireNonNull(timeout, name);
    if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " must be positive (and under 24 days), got " + timeout);
    }
    return timeout;
  }

  /** Lists the mappings of the extra handlers, for diagnostics. */
  @Override
  public String toString() {
    List<String> mappings = new ArrayList<>(extraHandlers.keySet());
    return "FrameStreamServer[" + host + ":" + (port < 0 ? requestedPort : port) + ", handlers=" + mappings + "]";
  }
}
