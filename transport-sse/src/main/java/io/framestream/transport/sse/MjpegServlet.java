package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.transport.sse.internal.MjpegParts;
import io.framestream.transport.sse.internal.SseEndpoint;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A Jakarta Servlet 6.0 servlet that streams JPEG channels as MJPEG, with the same wire, refusals and
 * promises as {@link MjpegHandler} on Grizzly, so Jetty, Tomcat, Undertow and Spring Boot can serve {@code
 * <img src="/mjpeg/cam1">}. Register it as {@link SseServlet} is (through {@code ServletContext.addServlet},
 * with async support, which it needs: without it every request is 500), mapped at {@code /mjpeg/*}:
 *
 * <pre>{@code
 * ServletHolder holder = new ServletHolder("framestream-mjpeg", MjpegServlet.builder(registry).build());
 * holder.setAsyncSupported(true);
 * context.addServlet(holder, "/mjpeg/*");
 * }</pre>
 *
 * Writes are non-blocking ({@code WriteListener}, a write only while {@code isReady()}), at most {@link
 * Builder#writeQueueLimit(int) writeQueueLimit} bytes wait per viewer, and a viewer stuck past its channel's
 * stall timeout is evicted: the code is {@link SseServlet}'s.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. Requests run on the container's threads; parts are written on the registry's delivery threads
 * and the container's; {@link #close()} may be called from any thread.
 *
 * @since 0.4.0
 */
public final class MjpegServlet extends StreamServlet {

  private static final long serialVersionUID = 1L;

  private MjpegServlet(Builder b) {
    super(SseEndpoint.mjpeg(b.registry, b.gate, b.writeQueueLimit));
  }

  /**
   * Starts a builder.
   *
   * @param registry the channels to serve
   * @return a new builder
   * @throws NullPointerException if {@code registry} is {@code null}
   */
  public static Builder builder(ChannelRegistry registry) {
    return new Builder(registry);
  }

  /**
   * Serves one request, whatever its method: refuses it, or streams the channel until the viewer ends.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    ServletStreams.serve(endpoint, MjpegParts.STREAM_HEADERS, "MJPEG", request, response);
  }

  /**
   * Builds an {@link MjpegServlet}, with the same settings as {@link MjpegHandler.Builder}.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.4.0
   */
  public static final class Builder extends HttpStreamSettings<Builder> {

    private Builder(ChannelRegistry registry) {
      super(registry);
    }

    /**
     * Builds the servlet, to be registered with async support.
     *
     * @return it
     */
    public MjpegServlet build() {
      return new MjpegServlet(this);
    }
  }
}
