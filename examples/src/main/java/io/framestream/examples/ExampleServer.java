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
import io.framestream.core.FrameSource;
import io.framestream.media.MjpegSource;
import io.framestream.micrometer.FrameStreamMetrics;
import io.framestream.micrometer.PrometheusScrape;
import java.io.FileNotFoundException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * The example server: the embedded {@link FrameStreamServer} with the pages of {@code framestream-pages}
 * and three demo channels, runnable from the command line and as the self-contained {@code
 * framestream-server.jar}.
 *
 * <pre>
 * java -jar examples/target/framestream-server.jar --port 9090        # after mvn package
 * FRAMESTREAM_PORT=0 java -jar examples/target/framestream-server.jar
 * mvn -q compile -Prun -Dexec.args="--port 9090 --host 0.0.0.0"      # from the repository root
 * </pre>
 *
 * <p>Every option is a flag and an environment variable (the flag wins); {@code --help} lists them.
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
 *   <li>channels given sources by options ({@code --mjpeg NAME=URL}, {@code --mjpeg-command}, {@code
 *       --fmp4}, {@code --fmp4-command}); {@code --demo false} leaves out the three above;
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

  /** The JUL property that sets the console's line format. */
  private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";

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
    return start(Options.of(host, port, publishToken));
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
    for (Options.SourceSpec spec : options.sources()) {
      if (spec.kind() == Options.SourceKind.FMP4_FILE && !Files.isReadable(Path.of(spec.target()))) {
        throw new StartupException("--fmp4 " + spec.channel() + "=" + spec.target() + ": no readable file there",
            "Give the path of a fragmented MP4 file (see docs/video.md for making one with ffmpeg).", null);
      }
    }
    FrameStreamServer.Builder builder = FrameStreamServer.builder()
        .host(host)
        .port(options.port())
        .authorizer(Authorizer.perAction(publish, view))
        .allowedOrigins(options.allowedOrigins().toArray(new String[0]))
        .trustedProxies(options.trustedProxies().toArray(new String[0]))
        .maxConnectionsPerAddress(options.limits().maxConnectionsPerAddress())
        .maxFrameBytes(options.limits().maxFrameBytes())
        .pages(); // framestream-pages, from the class path
    PrometheusScrape metrics = PrometheusScrape.create();
    builder.text("/metrics", PrometheusScrape.CONTENT_TYPE, metrics::scrape);
    ChannelRegistry ownRegistry = null;
    if (options.limits().maxViewers() != Options.Limits.DEFAULTS.maxViewers()
        || options.limits().maxChannels() != Options.Limits.DEFAULTS.maxChannels()) {
      ownRegistry = ChannelRegistry.builder()
          .maxChannels(options.limits().maxChannels())
          .channelDefaults(ChannelConfig.builder().maxSubscribers(options.limits().maxViewers()).build())
          .build();
      builder.registry(ownRegistry);
    }
    FrameStreamServer server = builder.build();
    metrics.bind(FrameStreamMetrics.builder(server.registry()).accessGate(server.webSocket().accessGate()).build());
    NatsBridge bridge = null;
    try {
      ChannelRegistry channels = server.registry();
      if (options.demo()) {
        channels.attachSource(DEMO_CHANNEL, TestPatternSource.create(), DEMO_FPS);
        channels.attachSource(LIFE_CHANNEL, new LifeSource(), LIFE_FPS);
        channels.attachSource(VIDEO_CHANNEL, videoDemo(), 0); // the source paces itself
      }
      for (Options.SourceSpec spec : options.sources()) {
        channels.attachSource(spec.channel(), source(spec), 0); // each paces itself: a camera, a process, a file
      }
      try {
        server.start();
      } catch (TransportException e) {
        throw new StartupException(e.getMessage(), bindHint(host, options.port(), e), e);
      }
      if (options.nats() != null) {
        NatsBridge.Builder b = NatsBridge.builder(channels).servers(options.nats().split(","));
        if (options.nodeId() != null) {
          b.nodeId(options.nodeId());
        }
        try {
          bridge = b.build().start();
        } catch (java.io.IOException e) {
          throw new StartupException("cannot reach NATS at " + options.nats() + ": " + e.getMessage(),
              "Is nats-server running there? Start one with: nats-server -js (or drop --nats / FRAMESTREAM_NATS"
                  + " to run a single node).", e);
        }
      }
    } catch (RuntimeException e) {
      closeAll(server, ownRegistry); // releases the registry's threads
      throw e;
    }
    return new ExampleServer(server, tickets, bridge, ownRegistry);
  }

  /** What to do when the server cannot bind. */
  private static String bindHint(String host, int port, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException && String.valueOf(t.getMessage()).contains("in use")) {
        return "Port " + port + " is taken, probably by another server. Choose another with --port N (or"
            + " FRAMESTREAM_PORT=N); --port 0 picks a free one and the banner prints it.";
      }
      if (t instanceof java.net.BindException || t instanceof java.net.UnknownHostException) {
        return "Cannot bind " + host + ": --host (FRAMESTREAM_HOST) must be an address of this machine, such as"
            + " 127.0.0.1 or 0.0.0.0 (every interface).";
      }
      if (t instanceof SecurityException || String.valueOf(t.getMessage()).contains("ermission denied")) {
        return "Ports below 1024 need privileges: use --port 8080 behind a reverse proxy (docs/operations.md).";
      }
    }
    return "Check --host and --port (FRAMESTREAM_HOST, FRAMESTREAM_PORT).";
  }

  /** The source a command-line entry names. */
  static FrameSource source(Options.SourceSpec spec) {
    return switch (spec.kind()) {
      case MJPEG_URL -> MjpegSource.builder(() -> openUrl(spec.target())).build();
      case MJPEG_COMMAND -> MjpegSource.fromProcess(List.of("sh", "-c", spec.target()));
      case FMP4_FILE -> Fmp4Source.fromFile(Path.of(spec.target()), true);
      case FMP4_COMMAND -> Fmp4Source.fromProcess(List.of("sh", "-c", spec.target()));
    };
  }

  private static InputStream openUrl(String url) {
    try {
      java.net.URLConnection connection = URI.create(url).toURL().openConnection();
      connection.setConnectTimeout(10_000);
      connection.setReadTimeout(30_000); // a camera that stops sending is reconnected
      return connection.getInputStream();
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
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
   * Runs the example server until the JVM is stopped (Ctrl-C, SIGTERM). Prints the URLs to open. Every
   * option also has an environment variable ({@code FRAMESTREAM_PORT}, ...); {@code --help} lists them.
   *
   * @param args the options; {@code --help} lists them
   */
  public static void main(String[] args) {
    if (System.getProperty(LOG_FORMAT) == null) {
      System.setProperty(LOG_FORMAT, "%4$s %5$s%6$s%n"); // one line per record: "INFO framestream server ..."
    }
    Options options;
    try {
      options = Options.read(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println("Run with --help to see every option and its environment variable.");
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(Setting.usage());
      return;
    }
    ExampleServer example;
    try {
      example = start(options);
    } catch (StartupException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println(e.hint());
      System.exit(1);
      return;
    } catch (RuntimeException e) {
      System.err.println("error: cannot start the example server: " + e);
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
    // The server's threads are daemon threads: this (non-daemon) thread keeps the JVM alive until a signal.
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

  /** A start-up failure with what the user should do about it. */
  static final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String hint;

    StartupException(String message, String hint, Throwable cause) {
      super(message, cause);
      this.hint = hint;
    }

    String hint() {
      return hint;
    }
  }
}
