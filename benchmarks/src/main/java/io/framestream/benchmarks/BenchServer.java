package io.framestream.benchmarks;

import io.framestream.cluster.nats.NatsBridge;
import io.framestream.cluster.nats.NatsBridgeStats;
import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelStats;
import io.framestream.edge.Authorizer;
import io.framestream.server.FrameStreamServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * The framestream server under test, run by {@link LoadTool} in its own JVM: one channel {@value #CHANNEL}
 * with limits raised for hundreds of loopback viewers, plus {@code GET /bench/stats} (heap, allocated bytes,
 * channel counters; {@code ?gc=1} collects first). Prints {@code PORT <n>} once it accepts connections and
 * exits when its standard input closes.
 *
 * <p>Arguments: {@code [--portable]} turns the WebSocket pre-framed fast path off (the Jakarta send path);
 * {@code [--max-in-flight N]} sets the channel's frames in flight per viewer (default 1); {@code [--nats URL]}
 * joins the node to other nodes through a {@link NatsBridge} connected to that NATS server (the cross-node
 * scenario), {@code [--node-id ID]} names the node on the wire. With a bridge, {@code /bench/stats} also
 * reports its frames out, in and dropped.
 *
 * <h2>Thread safety</h2>
 *
 * A main class; the stats handler runs on Grizzly worker threads and only reads thread-safe state.
 */
public final class BenchServer {

  /** The channel every benchmark publishes to and views. */
  public static final String CHANNEL = "bench";

  private BenchServer() {}

  /**
   * Starts the server.
   *
   * @param args see the class description
   * @throws IOException if standard input fails
   */
  public static void main(String[] args) throws IOException {
    boolean portable = false;
    int maxInFlight = ChannelConfig.DEFAULT_MAX_IN_FLIGHT;
    String nats = null;
    String nodeId = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--portable")) {
        portable = true;
      } else if (args[i].equals("--nats")) {
        nats = args[++i];
      } else if (args[i].equals("--node-id")) {
        nodeId = args[++i];
      } else if (args[i].equals("--max-in-flight")) {
        maxInFlight = Integer.parseInt(args[++i]);
      }
    }
    ChannelRegistry registry = registry(maxInFlight);
    Channel channel = registry.declare(CHANNEL);
    NatsBridge bridge = null;
    if (nats != null) {
      NatsBridge.Builder nb = NatsBridge.builder(registry).servers(nats);
      if (nodeId != null) {
        nb.nodeId(nodeId);
      }
      bridge = nb.build().start();
    }
    FrameStreamServer.Builder b = FrameStreamServer.builder()
        .host("127.0.0.1")
        .port(0)
        .registry(registry)
        .authorizer(Authorizer.allowAll())
        .maxConnectionsPerAddress(100_000)
        .shutdownTimeout(Duration.ofSeconds(1))
        .handler("/bench/*", new StatsHandler(channel, bridge));
    if (portable) {
      BenchServerOptions.portable(b);
    }
    FrameStreamServer server = b.build().start();
    System.out.println("PORT " + server.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // run until the load tool closes our stdin (or dies)
    }
    if (bridge != null) {
      bridge.close();
    }
    server.close();
    registry.close();
    System.exit(0);
  }

  /** {@code GET /bench/stats}: one line of JSON. */
  private static final class StatsHandler extends HttpHandler {
    private final Channel channel;
    private final NatsBridge bridge;

    StatsHandler(Channel channel, NatsBridge bridge) {
      this.channel = channel;
      this.bridge = bridge;
    }

    @Override
    public void service(Request request, Response response) throws IOException {
      byte[] bytes = statsJson(channel, bridge, "1".equals(request.getParameter("gc"))).getBytes(StandardCharsets.UTF_8);
      response.setContentType("application/json");
      response.setContentLength(bytes.length);
      response.getOutputStream().write(bytes);
    }
  }

  /**
   * The body of {@code GET /bench/stats}: heap used, bytes allocated, the channel's counters and (with a
   * bridge) its NATS counters, as one line of JSON. Shared with {@link JettyBenchServer}.
   */
  static String statsJson(Channel channel, NatsBridge bridge, boolean gc) {
    if (gc) {
      System.gc();
      System.gc();
    }
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ChannelStats s = channel.stats();
    String json = "{\"heapUsed\":" + memory.getHeapMemoryUsage().getUsed()
        + ",\"allocated\":" + allocatedBytes()
        + ",\"subscribers\":" + s.subscribers()
        + ",\"framesIn\":" + s.framesIn()
        + ",\"framesOut\":" + s.framesOut()
        + ",\"evictions\":" + s.evictions()
        + ",\"drops\":" + s.totalDrops();
    if (bridge != null) {
      NatsBridgeStats n = bridge.stats();
      json += ",\"natsFramesOut\":" + n.framesOut() + ",\"natsFramesIn\":" + n.framesIn()
          + ",\"natsDropped\":" + n.framesDropped() + ",\"natsReconnects\":" + n.reconnects();
    }
    return json + "}";
  }

  /** The channel configuration of every bench server: limits raised for hundreds of loopback viewers. */
  static ChannelRegistry registry(int maxInFlight) {
    ChannelConfig config = ChannelConfig.builder()
        .maxInFlight(maxInFlight)
        .maxSubscribers(100_000)
        .maxPublishFps(0) // no limit
        .maxPublishBytesPerSecond(0)
        .build();
    return ChannelRegistry.builder().channelDefaults(config).build();
  }

  /** Bytes allocated so far by all live threads (HotSpot's per-thread TLAB accounting). */
  static long allocatedBytes() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (threads instanceof com.sun.management.ThreadMXBean) {
      com.sun.management.ThreadMXBean t = (com.sun.management.ThreadMXBean) threads;
      long sum = 0;
      for (long v : t.getThreadAllocatedBytes(t.getAllThreadIds())) {
        if (v > 0) {
          sum += v;
        }
      }
      return sum;
    }
    return -1;
  }
}
