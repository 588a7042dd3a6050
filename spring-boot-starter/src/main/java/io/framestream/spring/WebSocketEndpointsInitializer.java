package io.framestream.spring;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.web.servlet.ServletContextInitializer;

/**
 * Deploys WebSocket endpoints into the application's own Servlet container through the standard API: the
 * {@code jakarta.websocket.server.ServerContainer} that the container puts in the Servlet context (Tomcat's
 * {@code WsSci}, which Spring Boot installs when {@code tomcat-embed-websocket} is present). Nothing
 * container-specific is done.
 *
 * <p>The container's WebSocket initializer may run after Spring Boot's initializers, so the endpoints are
 * added from a {@link ServletContextListener} that this initializer registers: listeners start after every
 * initializer has run and before the container takes requests.
 *
 * <h2>Thread safety</h2>
 *
 * Immutable; the container calls it once, at start-up.
 *
 * @since 0.3.0
 */
public final class WebSocketEndpointsInitializer implements ServletContextInitializer {

  private final List<ServerEndpointConfig> configs;

  /**
   * Creates an initializer that deploys these endpoints.
   *
   * @param configs the endpoint configurations, such as {@code WebSocketTransport.endpointConfigs()}
   * @throws NullPointerException if {@code configs} is {@code null}
   */
  public WebSocketEndpointsInitializer(List<ServerEndpointConfig> configs) {
    this.configs = List.copyOf(Objects.requireNonNull(configs, "configs"));
  }

  /**
   * Moves endpoints from the default prefix {@code /ws} to another one: {@code /ws/live/{channel}} becomes
   * {@code <prefix>/live/{channel}}. Everything else of each configuration (its configurator, which checks
   * access and finds the channel in the last path segment, and its user properties) is kept.
   *
   * @param configs the endpoint configurations, with paths under {@code /ws}
   * @param prefix the new prefix, such as {@code /streams/ws}
   * @return the configurations under the new prefix (the same ones if the prefix is {@code /ws})
   * @throws IllegalArgumentException if a configuration's path is not under {@code /ws}
   */
  public static List<ServerEndpointConfig> underPath(List<ServerEndpointConfig> configs, String prefix) {
    if ("/ws".equals(prefix)) {
      return List.copyOf(configs);
    }
    List<ServerEndpointConfig> moved = new ArrayList<>(configs.size());
    for (ServerEndpointConfig c : configs) {
      if (!c.getPath().startsWith("/ws/")) {
        throw new IllegalArgumentException("not under /ws: " + c.getPath());
      }
      ServerEndpointConfig m = ServerEndpointConfig.Builder
          .create(c.getEndpointClass(), prefix + c.getPath().substring("/ws".length()))
          .configurator(c.getConfigurator())
          .subprotocols(c.getSubprotocols())
          .extensions(c.getExtensions())
          .encoders(c.getEncoders())
          .decoders(c.getDecoders())
          .build();
      m.getUserProperties().putAll(c.getUserProperties());
      moved.add(m);
    }
    return List.copyOf(moved);
  }

  /**
   * The endpoints it deploys.
   *
   * @return the configurations
   */
  public List<ServerEndpointConfig> endpointConfigs() {
    return configs;
  }

  @Override
  public void onStartup(ServletContext servletContext) {
    servletContext.addListener(new Deployer(configs));
  }

  /** Adds the endpoints once the container's WebSocket support has put its ServerContainer in the context. */
  private static final class Deployer implements ServletContextListener {
    private final List<ServerEndpointConfig> configs;

    Deployer(List<ServerEndpointConfig> configs) {
      this.configs = configs;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
      Object attribute = event.getServletContext().getAttribute(ServerContainer.class.getName());
      if (!(attribute instanceof ServerContainer container)) {
        throw new IllegalStateException("framestream: the Servlet container offers no WebSocket support ("
            + ServerContainer.class.getName() + " is not in the Servlet context). Add Tomcat's WebSocket"
            + " support (org.apache.tomcat.embed:tomcat-embed-websocket, part of spring-boot-starter-tomcat),"
            + " or set framestream.websocket.enabled=false");
      }
      for (ServerEndpointConfig config : configs) {
        try {
          container.addEndpoint(config);
        } catch (DeploymentException e) {
          throw new IllegalStateException("framestream: cannot deploy the WebSocket endpoint "
              + config.getPath() + ": " + e.getMessage(), e);
        }
      }
    }
  }
}
