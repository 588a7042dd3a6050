package io.framestream.server.internal;

import jakarta.websocket.DeploymentException;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.glassfish.tyrus.core.TyrusWebSocketEngine;
import org.glassfish.tyrus.server.TyrusServerContainer;
import org.glassfish.tyrus.spi.WebSocketEngine;

/**
 * A Tyrus server container that binds nothing itself: its engine is plugged into our own Grizzly listener
 * through Tyrus's {@code WebSocketAddOn}, so WebSocket, SSE and pages share one port.
 *
 * <h2>Thread safety</h2>
 *
 * As thread-safe as Tyrus's own containers: configured by one thread during start, then used by Tyrus.
 */
public final class EmbeddedContainer extends TyrusServerContainer {

  private static final String CONTEXT_PATH = "/";

  private final WebSocketEngine engine;
  private final Map<String, Object> properties = new HashMap<>();

  /**
   * Creates the container.
   *
   * @param incomingBufferSize the largest WebSocket frame the engine buffers, in bytes
   */
  public EmbeddedContainer(int incomingBufferSize) {
    super((Set<Class<?>>) null);
    this.engine = TyrusWebSocketEngine.builder(this).incomingBufferSize(incomingBufferSize).build();
  }

  @Override
  public void register(Class<?> endpointClass) throws DeploymentException {
    engine.register(endpointClass, CONTEXT_PATH);
  }

  @Override
  public void register(ServerEndpointConfig serverEndpointConfig) throws DeploymentException {
    engine.register(serverEndpointConfig, CONTEXT_PATH);
  }

  @Override
  public WebSocketEngine getWebSocketEngine() {
    return engine;
  }

  @Override
  public Map<String, Object> getProperties() {
    return properties;
  }

  /**
   * Returns the context path the endpoints are registered under.
   *
   * @return {@code "/"}
   */
  public static String contextPath() {
    return CONTEXT_PATH;
  }
}
