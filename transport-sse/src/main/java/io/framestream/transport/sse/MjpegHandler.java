package io.framestream.transport.sse;

import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.transport.sse.internal.MjpegParts;
import io.framestream.transport.sse.internal.SseEndpoint;
import java.io.IOException;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * A Grizzly {@link HttpHandler} that streams JPEG channels of a {@link ChannelRegistry} as MJPEG, so that
 * {@code <img src="/mjpeg/cam1">} plays a camera with no JavaScript and every tool that reads IP cameras
 * reads framestream. Mount it at {@code /mjpeg/*} (the embedded server does):
 *
 * <pre>{@code
 * MjpegHandler mjpeg = MjpegHandler.builder(registry).accessGate(gate).build();
 * httpServer.getServerConfiguration().addHttpHandler(mjpeg, "/mjpeg/*");
 * }</pre>
 *
 * <h2>What a viewer gets</h2>
 *
 * For {@code GET /mjpeg/{channel}}: status 200, {@code Content-Type: multipart/x-mixed-replace;
 * boundary=framestream-mjpeg-b7f3a9c1}, {@code Cache-Control: no-cache, no-store}, {@code X-Accel-Buffering:
 * no}; then the channel's newest image at once (a late joiner waits for nothing), then one part per frame:
 * {@code --boundary}, {@code Content-Type: image/jpeg}, {@code Content-Length}, {@code
 * X-Framestream-Sequence}, an empty line, the JPEG and a line end. Each part's bytes are built once per frame
 * and written to every viewer as the same array. Frames that are not JPEG images are skipped.
 *
 * <p>Refusals carry {@link io.framestream.edge.ErrorBody}'s JSON, as for SSE: 400 invalid channel name; 401
 * (with {@code WWW-Authenticate: Bearer}) or 403 from the {@linkplain Builder#accessGate(AccessGate) access
 * gate}, run once per request before any channel is created; 404 no channel in the path, or an undeclared
 * channel; 405 other methods; 415 a video channel, or one whose newest frame is not a JPEG; 429 a channel or
 * subscriber limit; 503 after {@link #close()}. {@link MjpegServlet} serves the same stream from a Servlet
 * container.
 *
 * <h2>Slow viewers</h2>
 *
 * As for {@link SseHandler}, with the same code: writes never block, each viewer writes only when its
 * connection can take more and otherwise keeps its one frame in flight while the channel's mailbox keeps only
 * the newest (newest wins); Grizzly queues at most {@link Builder#writeQueueLimit(int) writeQueueLimit}
 * bytes per connection; a viewer that makes no progress for the channel's {@link
 * ChannelConfig#stallTimeout()} is evicted and its connection closed at once. There are no heartbeats: a
 * peer that leaves is noticed by its connection closing.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #service(Request, Response)} runs on Grizzly's worker threads; parts are written on
 * the registry's delivery threads and on Grizzly's threads; {@link #close()} may be called from any thread.
 *
 * @since 0.4.0
 */
public final class MjpegHandler extends StreamHandler {

  private MjpegHandler(Builder b) {
    super("framestream-mjpeg", SseEndpoint.mjpeg(b.registry, b.gate, b.writeQueueLimit));
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
   * Serves one request: refuses it, or subscribes a viewer and suspends the response until the viewer ends.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  @Override
  public void service(Request request, Response response) throws IOException {
    GrizzlyStreams.serve(endpoint, MjpegParts.STREAM_HEADERS, request, response);
  }

  /**
   * Builds an {@link MjpegHandler}: {@code writeQueueLimit}, {@code accessGate} and {@code authorizer}, with
   * the same checks and defaults as the SSE builders.
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
     * Builds the handler.
     *
     * @return it
     */
    public MjpegHandler build() {
      return new MjpegHandler(this);
    }
  }
}
