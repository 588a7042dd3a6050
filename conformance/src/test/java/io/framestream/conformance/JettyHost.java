package io.framestream.conformance;

import io.framestream.core.ChannelRegistry;
import io.framestream.testkit.ServletContainerHost;
import io.framestream.transport.sse.MjpegServlet;
import io.framestream.transport.sse.SnapshotServlet;
import io.framestream.transport.sse.SseServlet;
import io.framestream.transport.websocket.WebSocketTransport;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;

/**
 * A real Servlet container: embedded Jetty 12 (ee10), with the WebSocket endpoints deployed through the
 * standard Jakarta API ({@code WebSocketTransport...endpointConfigs()} added to Jetty's {@code
 * jakarta.websocket.server.ServerContainer}) and the SSE endpoint as a Servlet at {@code /sse/*} (see {@link
 * #registerSse}). Nothing framestream-specific is done to Jetty: no raw frame sender, no handshake filter.
 */
final class JettyHost extends Host {

  private final WebSocketTransport transport;
  private ServletContainerHost container;
  private SseServlet sse;
  private MjpegServlet mjpeg;

  private JettyHost(HostConfig config) {
    super(HostKind.JETTY, config);
    this.transport = WebSocketTransport.builder(config.registry())
        .authorizer(config.authorizer())
        .maxFrameBytes(config.maxFrameBytes())
        .build();
  }

  static Host start(HostConfig config) {
    JettyHost host = new JettyHost(config);
    host.container = ServletContainerHost.builder()
        .endpoints(host.transport.endpointConfigs())
        .configure(context -> {
          host.registerSse(context, config.registry());
        })
        .start();
    return host;
  }

  /**
   * Deploys SSE, MJPEG and snapshots as the portable servlets, at {@code /sse/*}, {@code /mjpeg/*} and {@code
   * /snapshot/*}, with async support (as any container needs it).
   *
   * @param context the Servlet context of the container
   * @param registry the channels to serve
   */
  private void registerSse(ServletContextHandler context, ChannelRegistry registry) {
    sse = SseServlet.builder(registry).authorizer(config().authorizer()).build();
    ServletHolder holder = new ServletHolder("framestream-sse", sse);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/sse/*");
    mjpeg = MjpegServlet.builder(registry).authorizer(config().authorizer()).build();
    ServletHolder mjpegHolder = new ServletHolder("framestream-mjpeg", mjpeg);
    mjpegHolder.setAsyncSupported(true);
    context.addServlet(mjpegHolder, "/mjpeg/*");
    ServletHolder snapshotHolder = new ServletHolder("framestream-snapshot",
        SnapshotServlet.builder(registry).authorizer(config().authorizer()).build());
    snapshotHolder.setAsyncSupported(true);
    context.addServlet(snapshotHolder, "/snapshot/*");
  }

  @Override
  int port() {
    return container.port();
  }

  @Override
  boolean refusesHandshakesWithStatus() {
    return false; // the Jakarta API cannot set a handshake's status: refusals are close 1008 "<status> <reason>"
  }

  @Override
  String sseUnavailable() {
    return null;
  }

  @Override
  String sharedFramesUnavailable() {
    return "W11 needs a RawFrameSender for the container's connections; on Jetty the endpoints use the portable"
        + " Jakarta path (getAsyncRemote().sendBinary/sendText), which encodes and frames each message per viewer"
        + " (contract W11: 'the portable path encodes per viewer')";
  }

  @Override
  void stop() {
    transport.close();
    container.close();
  }
}
