package io.framestream.transport.sse;

import io.framestream.transport.sse.internal.SseEndpoint;
import org.glassfish.grizzly.http.server.HttpHandler;

/**
 * What the streaming Grizzly handlers of this module share ({@link SseHandler}, {@link MjpegHandler}): their
 * endpoint, the count of open streams, and shutting down.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe.
 */
abstract class StreamHandler extends HttpHandler implements AutoCloseable {

  final SseEndpoint endpoint;

  StreamHandler(String name, SseEndpoint endpoint) {
    super(name);
    this.endpoint = endpoint.inlineViewers(); // Grizzly: every write of a viewer is non-blocking
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
   * Tells whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return endpoint.isClosed();
  }

  /**
   * Ends every open stream (finishing the response where the connection can take it, closing the
   * connection at once otherwise), stops the timer thread and answers later requests with 503. Does not
   * wait for peers. Idempotent; safe from any thread.
   */
  @Override
  public void close() {
    endpoint.close();
  }

  /** Called by Grizzly when the server shuts down: {@link #close()}. */
  @Override
  public void destroy() {
    close();
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
