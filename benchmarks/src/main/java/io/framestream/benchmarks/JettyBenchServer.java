package io.framestream.benchmarks;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.Authorizer;
import io.framestream.testkit.ServletContainerHost;
import io.framestream.transport.sse.SseServlet;
import io.framestream.transport.websocket.WebSocketTransport;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * framestream's endpoints on an embedded Jetty 12 (ee10), run by {@link LoadTool} in its own JVM as the peer
 * {@code framestream-jetty}: the same channel and limits as {@link BenchServer}, the WebSocket endpoints
 * deployed through the standard Jakarta API ({@link WebSocketTransport#endpointConfigs()} added to Jetty's
 * {@code ServerContainer}), the SSE endpoint as {@link SseServlet} at {@code /sse/*}, and {@code GET
 * /bench/stats}, in the testkit's {@link ServletContainerHost} (as the conformance suite's Jetty host). This is how an application deploys framestream into a Servlet container: no raw frame sender
 * (every viewer's message is framed by Jetty), no connection filters. Prints {@code PORT <n>} once it accepts
 * connections and exits when its standard input closes.
 *
 * <p>Arguments: {@code [--max-in-flight N]} as for {@link BenchServer}.
 *
 * <h2>Thread safety</h2>
 *
 * A main class; the stats servlet runs on Jetty's threads and only reads thread-safe state.
 */
public final class JettyBenchServer {

  private JettyBenchServer() {}

  /**
   * Starts the server.
   *
   * @param args see the class description
   * @throws Exception if Jetty cannot start
   */
  public static void main(String[] args) throws Exception {
    int maxInFlight = ChannelConfig.DEFAULT_MAX_IN_FLIGHT;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--max-in-flight")) {
        maxInFlight = Integer.parseInt(args[++i]);
      }
    }
    ChannelRegistry registry = BenchServer.registry(maxInFlight);
    Channel channel = registry.declare(BenchServer.CHANNEL);
    WebSocketTransport transport = WebSocketTransport.builder(registry).authorizer(Authorizer.allowAll()).build();
    SseServlet sse = SseServlet.builder(registry).authorizer(Authorizer.allowAll()).build();

    ServletContainerHost server = ServletContainerHost.builder()
        .endpoints(transport.endpointConfigs())
        .servlet("/sse/*", sse)
        .servlet("/bench/*", new StatsServlet(channel))
        .maxWebSocketFrameBytes(transport.maxFrameBytes() + 16L)
        .start();
    System.out.println("PORT " + server.port());
    System.out.flush();
    while (System.in.read() >= 0) {
      // run until the load tool closes our stdin (or dies)
    }
    sse.close();
    transport.close();
    server.close();
    registry.close();
    System.exit(0);
  }

  /** {@code GET /bench/stats}: one line of JSON. */
  private static final class StatsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final transient Channel channel;

    StatsServlet(Channel channel) {
      this.channel = channel;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
      byte[] bytes = BenchServer.statsJson(channel, null, "1".equals(request.getParameter("gc")))
          .getBytes(StandardCharsets.UTF_8);
      response.setContentType("application/json");
      response.setContentLength(bytes.length);
      response.getOutputStream().write(bytes);
    }
  }
}
