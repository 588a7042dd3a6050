package io.framestream.examples;

import io.framestream.cluster.nats.NatsBridge;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.TransportException;
import io.framestream.edge.Authorizer;
import io.framestream.edge.BearerTokens;
import io.framestream.edge.TrustedProxies;
import io.framestream.edge.ViewerTickets;
import io.framestream.media.Fmp4Source;
import io.framestream.media.TestPatternSource;
import io.framestream.server.FrameStreamServer;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * The example server: the embedded {@link FrameStreamServer} with the example pages and two built-in
 * channels, runnable from the command line.
 *
 * <pre>
 * mvn -q compile -Prun                                                 # from the repository root
 * mvn -q compile -Prun -Dexec.args="--port 9090 --host 0.0.0.0"
 * </pre>
 *
 * <p>Channels:
 *
 * <ul>
 *   <li>{@value #DEMO_CHANNEL}: the core's {@link TestPatternSource} at {@value #DEMO_FPS} fps, so that a
 *       viewer sees a moving picture without any camera;
 *   <li>{@value #LIFE_CHANNEL}: a {@link LifeSource}, the example of a custom source, at {@value #LIFE_FPS}
 *       fps;
 *   <li>{@value #VIDEO_CHANNEL}: live video, a bundled 10 s fragmented-MP4 sample (H.264, 640x360, 30 fps)
 *       played by an {@link Fmp4Source} at real-time pace, in a loop;
 *   <li>any other name: created when a camera page publishes into it (or a viewer opens it).
 * </ul>
 *
 * <p>The sources are attached with {@link ChannelRegistry#attachSource}, not started for good: they draw
 * and encode only while somebody watches, and stop a grace period after the last viewer leaves, so an idle
 * example server costs no CPU. The channels are declared, so they are listed (and watchable) even while
 * their sources sleep.
 *
 * <p>Pages (from the class-path folder {@code framestream/static/}): {@code /} lists the channels with
 * live thumbnails, {@code /record.html?channel=NAME} publishes the browser's camera, {@code
 * /live.html?channel=NAME} and {@code /live-sse.html?channel=NAME} show a channel over WebSocket and
 * Server-Sent Events, {@code /live-video.html?channel=NAME&transport=sse|ws} a video channel.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: {@link #close()} may be called from any thread, any number of times.
 *
 * @since 0.1.0
 */
public final class ExampleServer implements AutoCloseable {

  /** Default port: 8080. */
  public static final int DEFAULT_PORT = FrameStreamServer.DEFAULT_PORT;
  /** Default bind address: loopback only. */
  public static final String DEFAULT_HOST = FrameStreamServer.DEFAULT_HOST;
  /** The channel fed by the test pattern. */
  public static final String DEMO_CHANNEL = "demo";
  /** The channel fed by the example custom source, {@link LifeSource}. */
  public static final String LIFE_CHANNEL = "life";
  /** The channel fed by the bundled video sample. */
  public static final String VIDEO_CHANNEL = "video-demo";
  /** The class-path resource of the video sample, next to this class (how it was made: video-demo.md). */
  static final String VIDEO_SAMPLE = "video-demo.mp4";
  /** Frame rate of {@value #DEMO_CHANNEL}. */
  public static final double DEMO_FPS = 20;
  /** Frame rate of {@value #LIFE_CHANNEL}. */
  public static final double LIFE_FPS = 15;
  /** Default of {@code --max-frame-bytes}: the server's, 8 MiB. */
  static final int DEFAULT_MAX_FRAME_BYTES = FrameStreamServer.DEFAULT_MAX_FRAME_BYTES;
  /** Largest {@code --max-frame-bytes} the server accepts: 256 MiB. */
  static final int MAX_FRAME_BYTES = 256 << 20;

  static final String USAGE = String.join(System.lineSeparator(),
      "Usage: ExampleServer [--port N] [--host ADDRESS] [--publish-token TOKEN] [--ticket-key SECRET]",
      "                     [--allow-origin URL] [--nats URL] [--node-id ID]",
      "                     [--max-connections-per-address N] [--max-viewers N] [--max-frame-bytes N]",
      "                     [--trusted-proxy ADDRESS|CIDR] [--help]",
      "",
      "  --port N        port to listen on (default " + DEFAULT_PORT + "; 0 picks a free one)",
      "  --host ADDRESS  address to bind (default " + DEFAULT_HOST + ", this machine only;",
      "                  --host 0.0.0.0 accepts other machines)",
      "  --publish-token TOKEN",
      "                  publishers must send this token (record.html?channel=NAME&token=TOKEN);",
      "                  at least 16 characters. Without it anyone who reaches the server may publish",
      "  --ticket-key SECRET",
      "                  viewers need a signed ticket (?ticket=...); at least 32 characters. The banner",
      "                  prints a ticket URL for the demo channel; your application issues the others",
      "                  with ViewerTickets.withKey(SECRET).issue(channel, ttl)",
      "  --allow-origin URL",
      "                  only pages from this origin may open WebSockets (repeatable), such as",
      "                  https://cams.example.com",
      "  --nats URL[,URL]",
      "                  join a cluster: share channels with other nodes through NATS, such as",
      "                  nats://127.0.0.1:4222 (the server needs JetStream: nats-server -js)",
      "  --node-id ID    this node's name in the cluster (default: random)",
      "  --max-connections-per-address N",
      "                  connections one client address may hold open: WebSockets, SSE streams and page",
      "                  loads (default " + FrameStreamServer.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
          + "); one more is answered with 429",
      "  --max-viewers N viewers one channel may have at once, over both transports (default "
          + ChannelConfig.DEFAULT_MAX_SUBSCRIBERS + ")",
      "  --max-frame-bytes N",
      "                  largest frame a publisher may send, in bytes (default "
          + DEFAULT_MAX_FRAME_BYTES + ", 8 MiB;",
      "                  at most " + MAX_FRAME_BYTES + "); a larger one is refused from its header",
      "  --trusted-proxy ADDRESS|CIDR[,...]",
      "                  a reverse proxy in front of the server, such as 127.0.0.1 or 10.0.0.0/8",
      "                  (repeatable): its X-Forwarded-For header names the client, which",
      "                  the limits count and the authorizer sees. Headers from other peers are ignored",
      "  --help          show this text",
      "",
      "From the repository root: mvn -q compile -Prun -Dexec.args=\"--port 9090\"");

  private static final System.Logger LOG = System.getLogger(ExampleServer.class.getName());

  private final FrameStreamServer server;
  private final ViewerTickets tickets; // null: viewing is open
  private final NatsBridge bridge; // null: not in a cluster
  private final ChannelRegistry ownRegistry; // null: the server's own, closed with it

  private ExampleServer(FrameStreamServer server, ViewerTickets tickets, NatsBridge bridge,
      ChannelRegistry ownRegistry) {
    this.server = server;
    this.tickets = tickets;
    this.bridge = bridge;
    this.ownRegistry = ownRegistry;
  }

  /**
   * Starts the example server: the pages, the {@value #DEMO_CHANNEL}, {@value #LIFE_CHANNEL} and {@value
   * #VIDEO_CHANNEL} channels, and channels created on demand for cameras.
   *
   * @param host the bind address, such as {@code 127.0.0.1} or {@code 0.0.0.0}
   * @param port the port; 0 picks a free one
   * @return the running server
   * @throws NullPointerException if {@code host} is {@code null}
   * @throws IllegalArgumentException if the port is out of range
   * @throws TransportException if the port cannot be bound
   */
  public static ExampleServer start(String host, int port) {
    return start(host, port, null);
  }

  /**
   * Starts the example server; with a publish token, publishers must present it (viewers stay open).
   *
   * @param host the bind address
   * @param port the port; 0 picks a free one
   * @param publishToken the token publishers must send, or {@code null} to let anyone publish (with a
   *     warning when the address is not loopback)
   * @return the running server
   * @throws NullPointerException if {@code host} is {@code null}
   * @throws IllegalArgumentException if the port is out of range or the token shorter than 16 characters
   * @throws TransportException if the port cannot be bound
   */
  public static ExampleServer start(String host, int port, String publishToken) {
    return start(new Options(host, port, false, publishToken, null, java.util.List.of()));
  }

  static ExampleServer start(Options options) {
    String host = Objects.requireNonNull(options.host(), "host");
    ViewerTickets tickets = options.ticketKey() == null ? null
        : ViewerTickets.withKey(options.ticketKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Authorizer publish = options.publishToken() == null ? Authorizer.allowAll() : BearerTokens.of(options.publishToken());
    Authorizer view = tickets == null ? Authorizer.allowAll() : tickets;
    if (!isLoopback(host) && (options.publishToken() == null || tickets == null)) {
      LOG.log(System.Logger.Level.WARNING, "Serving {0} with {1}: anyone who can reach this address may do that."
          + " Use --publish-token and --ticket-key to protect it.", host,
          options.publishToken() == null && tickets == null ? "no authorization at all"
              : options.publishToken() == null ? "open publishing" : "open viewing");
    }
    FrameStreamServer.Builder builder = FrameStreamServer.builder()
        .host(host)
        .port(options.port())
        .authorizer(Authorizer.perAction(publish, view))
        .allowedOrigins(options.allowedOrigins().toArray(new String[0]))
        .trustedProxies(options.trustedProxies().toArray(new String[0]))
        .maxConnectionsPerAddress(options.limits().maxConnectionsPerAddress())
        .maxFrameBytes(options.limits().maxFrameBytes())
        .staticContent(ExampleServer.class.getClassLoader(), FrameStreamServer.DEFAULT_STATIC_ROOT);
    ChannelRegistry ownRegistry = null;
    if (options.limits().maxViewers() != ChannelConfig.DEFAULT_MAX_SUBSCRIBERS) {
      ownRegistry = ChannelRegistry.builder()
          .channelDefaults(ChannelConfig.builder().maxSubscribers(options.limits().maxViewers()).build())
          .build();
      builder.registry(ownRegistry);
    }
    FrameStreamServer server = builder.build();
    NatsBridge bridge = null;
    try {
      ChannelRegistry channels = server.registry();
      channels.attachSource(DEMO_CHANNEL, TestPatternSource.create(), DEMO_FPS);
      channels.attachSource(LIFE_CHANNEL, new LifeSource(), LIFE_FPS);
      channels.attachSource(VIDEO_CHANNEL, videoDemo(), 0); // the source paces itself
      server.start();
      if (options.nats() != null) {
        NatsBridge.Builder b = NatsBridge.builder(channels).servers(options.nats().split(","));
        if (options.nodeId() != null) {
          b.nodeId(options.nodeId());
        }
        bridge = b.build().start();
      }
    } catch (java.io.IOException e) {
      closeAll(server, ownRegistry);
      throw new TransportException(e.getMessage(), e);
    } catch (RuntimeException e) {
      closeAll(server, ownRegistry); // releases the registry's threads
      throw e;
    }
    return new ExampleServer(server, tickets, bridge, ownRegistry);
  }

  private static void closeAll(FrameStreamServer server, ChannelRegistry ownRegistry) {
    server.close();
    if (ownRegistry != null) {
      ownRegistry.close();
    }
  }

  /**
   * Returns the NATS bridge when the server joined a cluster ({@code --nats}).
   *
   * @return the bridge, or empty
   */
  public java.util.Optional<NatsBridge> bridge() {
    return java.util.Optional.ofNullable(bridge);
  }

  /** The bundled sample, at real-time pace, looping. */
  static Fmp4Source videoDemo() {
    return Fmp4Source.builder(() -> {
      InputStream in = ExampleServer.class.getResourceAsStream(VIDEO_SAMPLE);
      if (in == null) {
        throw new UncheckedIOException(new FileNotFoundException("class-path resource " + VIDEO_SAMPLE));
      }
      return in;
    }).realTime(true).loop(true).build();
  }

  /**
   * Returns the embedded server, for its registry and addresses.
   *
   * @return the server
   */
  public FrameStreamServer server() {
    return server;
  }

  /**
   * Returns the address of the index page, such as {@code http://127.0.0.1:8080/}.
   *
   * @return the URI
   */
  public URI httpUri() {
    return server.httpUri();
  }

  /** Stops the server and its sources; WebSocket viewers get close code 1001. Idempotent. */
  @Override
  public void close() {
    if (bridge != null) {
      bridge.close(); // tells the other nodes that this node's channels are offline
    }
    closeAll(server, ownRegistry);
  }

  /**
   * Tells what to open, one URL a line.
   *
   * @return the text printed at start
   */
  String banner() {
    String base = httpUri().toString();
    return String.join(System.lineSeparator(),
        "framestream example server on " + base + "  (Ctrl-C stops it)",
        "  all channels, live thumbnails   " + base,
        "  test pattern over WebSocket     " + base + "live.html?channel=" + DEMO_CHANNEL,
        "  Game of Life over SSE           " + base + "live-sse.html?channel=" + LIFE_CHANNEL,
        "  live video (fragmented MP4)     " + base + "live-video.html?channel=" + VIDEO_CHANNEL + "&transport=sse",
        "  publish your camera             " + base + "record.html?channel=cam1",
        "  watch that camera               " + base + "live.html?channel=cam1",
        "  channel statistics (JSON)       " + base + "api/channels")
        + (bridge == null ? "" : System.lineSeparator() + "  in a NATS cluster as node '" + bridge.nodeId()
            + "': channels published here are watchable on every node")
        + (tickets == null ? "" : System.lineSeparator() + "  viewers need a ticket; one for "
            + DEMO_CHANNEL + ", valid a day: " + base + "live.html?channel=" + DEMO_CHANNEL + "&ticket="
            + tickets.issue(DEMO_CHANNEL, java.time.Duration.ofDays(1)));
  }

  /**
   * Runs the example server until the JVM is stopped (Ctrl-C). Prints the URLs to open.
   *
   * @param args {@code --port N}, {@code --host ADDRESS}, {@code --help}
   */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(USAGE);
      return;
    }
    ExampleServer example;
    try {
      example = start(options);
    } catch (TransportException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(e.getCause() instanceof java.io.IOException
          ? "Is nats-server running at " + options.nats() + "? Start one with: nats-server -js"
          : "Is another server using port " + options.port() + "? Try --port with another number.");
      System.exit(1);
      return;
    } catch (RuntimeException e) {
      System.err.println("error: cannot start the example server: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      example.close();
      System.out.println("framestream example server stopped");
      stopped.countDown();
    }, "framestream-example-shutdown"));

    System.out.println(example.banner());
    if (isLoopback(options.host())) {
      LOG.log(System.Logger.Level.INFO, "Listening on {0} only. To let other machines in, run with --host 0.0.0.0"
          + " (browsers allow the camera only on https:// or http://localhost pages).", options.host());
    }
    awaitUninterruptibly(stopped);
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (latch.getCount() > 0) {
      try {
        latch.await();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The limits set on the command line, or their defaults. */
  record Limits(int maxConnectionsPerAddress, int maxViewers, int maxFrameBytes) {
    static final Limits DEFAULTS = new Limits(FrameStreamServer.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        ChannelConfig.DEFAULT_MAX_SUBSCRIBERS, DEFAULT_MAX_FRAME_BYTES);
  }

  /** The command line. */
  record Options(String host, int port, boolean help, String publishToken, String ticketKey,
      java.util.List<String> allowedOrigins, String nats, String nodeId, Limits limits,
      java.util.List<String> trustedProxies) {

    Options(String host, int port, boolean help, String publishToken, String ticketKey,
        java.util.List<String> allowedOrigins) {
      this(host, port, help, publishToken, ticketKey, allowedOrigins, null, null, Limits.DEFAULTS, java.util.List.of());
    }

    static Options parse(String... args) {
      String host = DEFAULT_HOST;
      int port = DEFAULT_PORT;
      boolean help = false;
      String publishToken = null;
      String ticketKey = null;
      java.util.List<String> origins = new java.util.ArrayList<>();
      String nats = null;
      String nodeId = null;
      int maxConnections = Limits.DEFAULTS.maxConnectionsPerAddress();
      int maxViewers = Limits.DEFAULTS.maxViewers();
      int maxFrameBytes = Limits.DEFAULTS.maxFrameBytes();
      java.util.List<String> proxies = new java.util.ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        String name = arg;
        String value = null;
        int eq = arg.indexOf('=');
        if (arg.startsWith("--") && eq > 0) {
          name = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        }
        switch (name) {
          case "--help", "-h" -> help = true;
          case "--host" -> {
            value = value != null ? value : valueOf(args, ++i, name);
            if (value.isBlank()) {
              throw new IllegalArgumentException("--host needs an address, such as 0.0.0.0");
            }
            host = value;
          }
          case "--port" -> port = port(value != null ? value : valueOf(args, ++i, name));
          case "--publish-token" -> {
            publishToken = value != null ? value : valueOf(args, ++i, name);
            if (publishToken.length() < 16) {
              throw new IllegalArgumentException("--publish-token needs at least 16 characters");
            }
          }
          case "--ticket-key" -> {
            ticketKey = value != null ? value : valueOf(args, ++i, name);
            if (ticketKey.length() < 32) {
              throw new IllegalArgumentException("--ticket-key needs at least 32 characters");
            }
          }
          case "--allow-origin" -> origins.add(value != null ? value : valueOf(args, ++i, name));
          case "--nats" -> {
            nats = value != null ? value : valueOf(args, ++i, name);
            if (!nats.startsWith("nats://") && !nats.startsWith("tls://")) {
              throw new IllegalArgumentException("--nats needs URLs such as nats://127.0.0.1:4222, got '" + nats + "'");
            }
          }
          case "--node-id" -> {
            nodeId = value != null ? value : valueOf(args, ++i, name);
            if (!nodeId.matches("[A-Za-z0-9_-]{1,32}")) {
              throw new IllegalArgumentException("--node-id needs 1 to 32 of A-Z a-z 0-9 _ -");
            }
          }
          case "--max-connections-per-address" ->
              maxConnections = number(value != null ? value : valueOf(args, ++i, name), name, 1, Integer.MAX_VALUE);
          case "--max-viewers" ->
              maxViewers = number(value != null ? value : valueOf(args, ++i, name), name, 1, Integer.MAX_VALUE);
          case "--max-frame-bytes" ->
              maxFrameBytes = number(value != null ? value : valueOf(args, ++i, name), name, 1, MAX_FRAME_BYTES);
          case "--trusted-proxy" -> proxies.addAll(trustedProxies(value != null ? value : valueOf(args, ++i, name)));
          default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
        }
      }
      return new Options(host, port, help, publishToken, ticketKey, java.util.List.copyOf(origins), nats, nodeId,
          new Limits(maxConnections, maxViewers, maxFrameBytes), java.util.List.copyOf(proxies));
    }

    private static int number(String text, String option, int min, int max) {
      try {
        long n = Long.parseLong(text.trim());
        if (n >= min && n <= max) {
          return (int) n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          option + " needs a number from " + min + " to " + max + ", got '" + text + "'");
    }

    /** Addresses or CIDR ranges, comma-separated; checked here so that a typo stops the server at once. */
    private static java.util.List<String> trustedProxies(String text) {
      java.util.List<String> entries = new java.util.ArrayList<>();
      for (String part : text.split(",")) {
        if (!part.isBlank()) {
          entries.add(part.trim());
        }
      }
      try {
        if (TrustedProxies.of(entries).isEmpty()) {
          throw new IllegalArgumentException("no address given");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--trusted-proxy needs IP addresses or CIDR ranges such as 10.0.0.0/8: "
            + e.getMessage());
      }
      return entries;
    }

    private static String valueOf(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }

    private static int port(String text) {
      try {
        int p = Integer.parseInt(text.trim());
        if (p >= 0 && p <= 65_535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("--port needs a number from 0 to 65535, got '" + text + "'");
    }
  }
}
