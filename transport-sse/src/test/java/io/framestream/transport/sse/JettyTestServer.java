package io.framestream.transport.sse;

import jakarta.servlet.http.HttpServlet;
import java.time.Duration;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real embedded Jetty 12 (ee10, Servlet 6.0) on 127.0.0.1 and an ephemeral port, with servlets registered
 * as a deployment would: a {@link ServletHolder} each, async support as given.
 */
final class JettyTestServer implements AutoCloseable {

  final Server server;
  final ServletContextHandler context;
  private final ServerConnector connector;

  private JettyTestServer(Duration idleTimeout) {
    server = new Server();
    connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setIdleTimeout(idleTimeout.toMillis());
    server.addConnector(connector);
    context = new ServletContextHandler();
    context.setContextPath("/");
    server.setHandler(context);
  }

  /** A server with Jetty's default idle timeout (30 s) and {@code sse} at {@code /sse/*}, async. */
  static JettyTestServer start(HttpServlet sse) throws Exception {
    return builder(Duration.ofSeconds(30)).add("/sse/*", sse, true).start();
  }

  static JettyTestServer builder(Duration idleTimeout) {
    return new JettyTestServer(idleTimeout);
  }

  JettyTestServer add(String mapping, HttpServlet servlet, boolean asyncSupported) {
    ServletHolder holder = new ServletHolder(servlet);
    holder.setAsyncSupported(asyncSupported);
    context.addServlet(holder, mapping);
    return this;
  }

  JettyTestServer start() throws Exception {
    server.start();
    return this;
  }

  int port() {
    return connector.getLocalPort();
  }

  /** The connections the connector has open now. */
  int connections() {
    return connector.getConnectedEndPoints().size();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
