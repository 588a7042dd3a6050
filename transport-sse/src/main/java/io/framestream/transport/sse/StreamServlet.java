package io.framestream.transport.sse;

import io.framestream.transport.sse.internal.SseEndpoint;
import jakarta.servlet.http.HttpServlet;

/**
 * What the streaming servlets of this module share ({@link SseServlet}, {@link MjpegServlet}): their endpoint,
 * the count of open streams, and shutting down.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe.
 */
abstract class StreamServlet extends HttpServlet implements AutoCloseable {

  private static final long serialVersionUID = 1L;

  final transient SseEndpoint endpoint;

  StreamServlet(SseEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  /** Called by the container when it takes the servlet out of service: {@link #close()}. */
  @Override
  public void destroy() {
    close();
  }

  /**
   * Tells whether {@link #close()} (or {@link #destroy()}) was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return endpoint.isClosed();
  }

  /**
   * Returns the number of open streams.
   *
   * @return the viewer count
   */
  public int viewerCount() {
    return endpoint.viewerCount();
  }

  /**
   * Ends every open stream gracefully (queued bytes go out, then each response completes; forced after
   * {@link SseServlet#GRACEFUL_CLOSE_TIMEOUT}) and answers later requests with 503. Does not wait for peers.
   * Idempotent; safe from any thread. Does not close the registry.
   */
  @Override
  public void close() {
    endpoint.close();
  }

  /**
   * Tells how many streams are open, and whether {@link #close()} was called.
   *
   * @return {@code "<class>[N viewers]"}, with {@code ", closed"} once closed
   */
  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + viewerCount() + " viewers" + (isClosed() ? ", closed" : "") + "]";
  }
}
