package io.framestream.testkit;

import jakarta.servlet.Servlet;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.resource.ResourceFactory;

/**
 * A real Servlet container for tests: an embedded Jetty 12 (Jakarta EE 10) on {@code 127.0.0.1}, into which
 * a test deploys framestream's endpoints the way an application server would, through the standard APIs:
 * WebSocket endpoints ({@code WebSocketTransport.builder(registry).build().endpointConfigs()}) into the
 * container's {@code jakarta.websocket.server.ServerContainer}, servlets (an SSE servlet) at their mappings,
 * and pages from a class-path folder.
 *
 * <pre>{@code
 * try (ServletContainerHost host = ServletContainerHost.builder()
 *     .endpoints(WebSocketTransport.builder(registry).build().endpointConfigs())
 *     .staticContent(getClass().getClassLoader(), "framestream/static/")
 *     .start()) {
 *   URI live = host.webSocketUri().resolve("/ws/live/cam1");
 *   ...
 * }
 * }</pre>
 *
 * <p>Jetty is an optional dependency of the testkit: a test that uses this class declares {@code
 * org.eclipse.jetty.ee10:jetty-ee10-servlet} and {@code
 * org.eclipse.jetty.ee10.websocket:jetty-ee10-websocket-jakarta-server} (test scope) itself; the rest of the
 * testkit works without them.
 *
 * <p>WebSocket messages: Jetty refuses any single WebSocket frame over 64 KiB unless told otherwise, whatever
 * message size the endpoint allows. Each deployed endpoint therefore gets Jetty's user property {@value
 * #JETTY_MAX_FRAME_SIZE} set to {@link Builder#maxWebSocketFrameBytes(long)} (default 16 MiB), so that a
 * publisher's message is limited by the endpoint's own {@code setMaxBinaryMessageBufferSize} (framestream's
 * {@code maxFrameBytes}), as on other containers.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: {@link #close()} may be called from any thread, any number of times. The builder is not
 * thread-safe.
 *
 * @since 0.2.0
 */
public final class ServletContainerHost implements AutoCloseable {

  /** The endpoint user property through which Jetty takes the largest WebSocket frame it accepts. */
  public static final String JETTY_MAX_FRAME_SIZE = "org.eclipse.jetty.websocket.maxFrameSize";
  /** Default for {@link Builder#maxWebSocketFrameBytes(long)}: 16 MiB. */
  public static final long DEFAULT_MAX_WEBSOCKET_FRAME_BYTES = 16L << 20;

  private final Server server;
  private final ServerConnector connector;

  private ServletContainerHost(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the bound port.
   *
   * @return the port
   */
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * Returns the base HTTP address, such as {@code http://127.0.0.1:41234/}.
   *
   * @return the URI
   */
  public URI httpUri() {
    return URI.create("http://127.0.0.1:" + port() + "/");
  }

  /**
   * Returns the base WebSocket address, such as {@code ws://127.0.0.1:41234/}.
   *
   * @return the URI
   */
  public URI webSocketUri() {
    return URI.create("ws://127.0.0.1:" + port() + "/");
  }

  /** Stops the container and releases its port. Idempotent. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping Jetty failed", e);
    }
  }

  @Override
  public String toString() {
    return "ServletContainerHost[Jetty " + Server.getVersion() + " on " + httpUri() + "]";
  }

  /**
   * Builds a {@link ServletContainerHost}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.2.0
   */
  public static final class Builder {
    private final List<ServerEndpointConfig> endpoints = new ArrayList<>();
    private final Map<String, Servlet> servlets = new LinkedHashMap<>();
    private ClassLoader staticLoader;
    private String staticRoot;
    private long maxFrameBytes = DEFAULT_MAX_WEBSOCKET_FRAME_BYTES;
    private Consumer<ServletContextHandler> customizer = context -> { };

    private Builder() {}

    /**
     * Adds WebSocket endpoints, deployed through the container's {@code ServerContainer.addEndpoint}.
     *
     * @param configs the endpoint configurations
     * @return this builder
     * @throws NullPointerException if {@code configs} is {@code null}
     */
    public Builder endpoints(List<ServerEndpointConfig> configs) {
      endpoints.addAll(Objects.requireNonNull(configs, "configs"));
      return this;
    }

    /**
     * Adds a servlet, with asynchronous processing enabled (as a streaming servlet needs).
     *
     * @param mapping the URL pattern, such as {@code /sse/*}
     * @param servlet the servlet
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     */
    public Builder servlet(String mapping, Servlet servlet) {
      servlets.put(Objects.requireNonNull(mapping, "mapping"), Objects.requireNonNull(servlet, "servlet"));
      return this;
    }

    /**
     * Serves files from a class-path folder at {@code /} (with {@code index.html} as the welcome file).
     *
     * @param loader the class loader to find the folder with
     * @param root the folder, such as {@code framestream/static/}
     * @return this builder
     * @throws NullPointerException if an argument is {@code null}
     */
    public Builder staticContent(ClassLoader loader, String root) {
      this.staticLoader = Objects.requireNonNull(loader, "loader");
      this.staticRoot = Objects.requireNonNull(root, "root");
      return this;
    }

    /**
     * Sets the largest single WebSocket frame Jetty accepts (see the class description).
     *
     * @param bytes positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxWebSocketFrameBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxWebSocketFrameBytes must be positive, got " + bytes);
      }
      this.maxFrameBytes = bytes;
      return this;
    }

    /**
     * Lets the test add anything else to the Servlet context before the container starts (filters, servlets
     * that need a {@code ServletHolder} of their own).
     *
     * @param configure called once, before start
     * @return this builder
     * @throws NullPointerException if {@code configure} is {@code null}
     */
    public Builder configure(Consumer<ServletContextHandler> configure) {
      this.customizer = Objects.requireNonNull(configure, "configure");
      return this;
    }

    /**
     * Starts the container on {@code 127.0.0.1}, on a free port.
     *
     * @return the running host
     * @throws IllegalStateException if Jetty cannot start or an endpoint cannot be deployed
     */
    public ServletContainerHost start() {
      Server server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);

      ServletContextHandler context = new ServletContextHandler();
      context.setContextPath("/");
      server.setHandler(context);
      for (Map.Entry<String, Servlet> s : servlets.entrySet()) {
        ServletHolder holder = new ServletHolder(s.getValue());
        holder.setAsyncSupported(true);
        context.addServlet(holder, s.getKey());
      }
      if (staticLoader != null) {
        URL folder = staticLoader.getResource(staticRoot);
        if (folder == null) {
          throw new IllegalStateException("no class-path folder " + staticRoot);
        }
        context.setBaseResource(ResourceFactory.of(context).newResource(folder));
        context.setWelcomeFiles(new String[] {"index.html"});
        ServletHolder files = new ServletHolder("static", DefaultServlet.class);
        files.setInitParameter("dirAllowed", "false");
        context.addServlet(files, "/");
      }
      List<ServerEndpointConfig> configs = List.copyOf(endpoints);
      long frameBytes = maxFrameBytes;
      JakartaWebSocketServletContainerInitializer.configure(context, (servletContext, container) -> {
        for (ServerEndpointConfig config : configs) {
          config.getUserProperties().put(JETTY_MAX_FRAME_SIZE, frameBytes);
          container.addEndpoint(config);
        }
      });
      customizer.accept(context);
      try {
        server.start();
      } catch (Exception e) {
        try {
          server.stop();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
        Throwable cause = e instanceof DeploymentException || e.getCause() == null ? e : e.getCause();
        throw new IllegalStateException("cannot start Jetty: " + cause, e);
      }
      return new ServletContainerHost(server, connector);
    }
  }
}
