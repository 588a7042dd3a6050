package io.framestream.transport.sse;

import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.InitMessage;
import io.framestream.edge.AccessGate;
import io.framestream.edge.ErrorBody;
import io.framestream.edge.TrustedProxies;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import java.io.IOException;
import java.time.Duration;
import io.framestream.transport.sse.internal.SseViewer;
import java.util.List;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * A Grizzly {@link org.glassfish.grizzly.http.server.HttpHandler} that streams channels of a {@link
 * ChannelRegistry} as Server-Sent Events.
 * Mount it at {@code /sse/*}:
 *
 * <pre>{@code
 * SseHandler sse = SseHandler.builder(registry).build();
 * httpServer.getServerConfiguration().addHttpHandler(sse, "/sse/*");
 * ...
 * sse.close(); // or httpServer.shutdownNow(), which calls destroy()
 * }</pre>
 *
 * <h2>What a viewer gets</h2>
 *
 * For {@code GET /sse/{channel}}: status 200, {@code Content-Type: text/event-stream; charset=utf-8},
 * {@code Cache-Control: no-cache}, {@code X-Accel-Buffering: no}; then {@code retry: <ms>}; then an {@code
 * init} event (the channel's {@link InitMessage} JSON); then the channel's late-joiner frames and live
 * frames. Each frame is a {@code data} event with {@code id: <sequence>} and the frame as a data URI, or
 * with {@code ?format=base64} as bare base64. An {@code INIT} frame (video init segment) is an {@code init}
 * event whose JSON carries it as {@code initSegment}, never a {@code data} event; when the channel has one,
 * it is the init event a new viewer gets first. A comment ({@code : hb}) is written every {@link
 * Builder#heartbeat(Duration) heartbeat} to idle viewers.
 *
 * <p>Resuming: with a {@code Last-Event-ID} header (or {@code ?lastEventId=N}, since a browser's first
 * connect cannot set headers) the init JSON carries {@code skipped}, the number of frames published after
 * that id and before the newest frame, which follows at once.
 *
 * <p>Errors (JSON body {@code {"error":"..."}}, {@link ErrorBody}): 400 for an invalid channel name or
 * format; 401 (with {@code WWW-Authenticate: Bearer}) or 403 when the {@linkplain Builder#accessGate(AccessGate)
 * access gate} refuses; 404 for a path without a channel or an unknown channel when the registry creates none
 * on demand; 405 for methods other than GET; 429 when a channel or subscriber limit is reached; 503 while
 * shutting down. What is checked, in which order, is shared with {@link SseServlet}, which serves the same
 * stream from a Servlet container.
 *
 * <p>The client address the gate sees is the one the embedded server stamped on the request (request
 * attribute {@value TrustedProxies#CLIENT_ADDRESS_ATTRIBUTE}) when it did, else the gate's reading of the
 * socket peer and, behind its trusted proxies, their forwarding header.
 *
 * <h2>Slow viewers</h2>
 *
 * Writes never block: each viewer writes only when its connection can take more, and otherwise keeps its
 * one frame in flight while the channel's mailbox keeps only the newest frame. Grizzly queues at most
 * {@link Builder#writeQueueLimit(int) writeQueueLimit} bytes per connection beyond what the socket takes.
 * A viewer that makes no progress for the channel's {@link ChannelConfig#stallTimeout()} is evicted and its
 * connection closed at once, releasing that queue. Event bytes are built once per frame and format and
 * shared by every viewer, without a copy per viewer.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe. {@link #service(Request, Response)} runs on Grizzly's worker threads; frames are written on
 * the registry's delivery threads and, when a connection becomes writable again, on Grizzly's threads; one
 * timer thread ({@code framestream-sse-timer-N}) per handler writes heartbeats to all viewers. Nothing
 * blocks on a peer. {@link #close()} may be called from any thread.
 *
 * @since 0.1.0
 */
public final class SseHandler extends StreamHandler {

  /** Default heartbeat interval: 15 s. */
  public static final Duration DEFAULT_HEARTBEAT = SseSettings.HEARTBEAT;
  /** Default reconnection delay sent as {@code retry:}: 2 s. */
  public static final Duration DEFAULT_RETRY = SseSettings.RETRY;
  /**
   * Default per-connection limit of bytes Grizzly queues beyond the socket buffers: 512 KiB (Grizzly's own
   * default is 4 times the socket send buffer, several MiB). About 8 frames of 50 KB as base64: enough to
   * ride out a short hiccup, small enough that a stalled viewer holds little and is noticed quickly.
   */
  public static final int DEFAULT_WRITE_QUEUE_LIMIT = SseSettings.WRITE_QUEUE_LIMIT;
  /** How long a graceful close of a viewer's connection may take before it is forced: 5 s. */
  public static final Duration GRACEFUL_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private SseHandler(Builder b) {
    super("framestream-sse", b.endpoint());
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
   * Serves one request: validates it, then either answers with an error status or subscribes a viewer and
   * suspends the response, which stays open until the viewer ends.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing an error response fails
   */
  @Override
  public void service(Request request, Response response) throws IOException {
    GrizzlyStreams.serve(endpoint, SseRequest.STREAM_HEADERS, request, response);
  }

  /**
   * Returns the heartbeat interval.
   *
   * @return the interval
   */
  public Duration heartbeat() {
    return endpoint.heartbeat();
  }

  /**
   * Returns the reconnection delay sent to viewers.
   *
   * @return the delay
   */
  public Duration retry() {
    return endpoint.retry();
  }

  /** For tests in this package: the open viewers. */
  List<SseViewer> viewers() {
    return endpoint.viewers();
  }

  /** For tests in this package. */
  SseEndpoint endpoint() {
    return endpoint;
  }

  /**
   * Builds an {@link SseHandler}. The settings ({@code heartbeat}, {@code retry}, {@code writeQueueLimit},
   * {@code accessGate}, {@code authorizer}) are the same, with the same defaults, as {@link
   * SseServlet.Builder}'s.
   *
   * <h2>Thread safety</h2>
   *
   * Not thread-safe.
   *
   * @since 0.1.0
   */
  public static final class Builder extends SseSettings<Builder> {

    private Builder(ChannelRegistry registry) {
      super(registry);
    }

    /**
     * Builds the handler and starts its timer thread.
     *
     * @return it
     */
    public SseHandler build() {
      return new SseHandler(this);
    }
  }
}
