package io.framestream.spring;

import io.framestream.transport.websocket.WebSocketTransport;
import java.util.List;
import java.util.Objects;
import org.springframework.context.SmartLifecycle;

/**
 * Ends the open streams first when the application stops: closes the WebSocket sessions (1001, going away)
 * and ends the SSE and MJPEG streams, in the first lifecycle phase to stop, before the web server's graceful shutdown.
 * A viewer's stream never ends by itself, so without this a graceful shutdown would wait its whole timeout
 * (30 s by default) for them. The registry is closed later, when its bean is destroyed.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe: Spring calls it from the thread that closes the context; the closes it makes are idempotent.
 *
 * @since 0.3.0
 */
public final class StreamsShutdown implements SmartLifecycle {

  private final List<WebSocketTransport> webSockets;
  private final List<Runnable> httpStreams;
  private volatile boolean running;

  /**
   * Creates it.
   *
   * @param webSockets the WebSocket transports to close
   * @param httpStreams closes the HTTP streaming servlets (SSE, MJPEG): each ends its open streams
   * @throws NullPointerException if an argument is {@code null}
   */
  public StreamsShutdown(List<WebSocketTransport> webSockets, List<Runnable> httpStreams) {
    this.webSockets = List.copyOf(Objects.requireNonNull(webSockets, "webSockets"));
    this.httpStreams = List.copyOf(Objects.requireNonNull(httpStreams, "httpStreams"));
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    webSockets.forEach(WebSocketTransport::close);
    httpStreams.forEach(Runnable::run);
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** {@inheritDoc} The first phase to stop: {@link SmartLifecycle#DEFAULT_PHASE}. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
