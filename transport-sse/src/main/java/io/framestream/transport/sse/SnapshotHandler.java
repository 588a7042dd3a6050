package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.edge.TrustedProxies;
import io.framestream.transport.sse.internal.GrizzlyEventOutput;
import io.framestream.transport.sse.internal.Snapshot;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.WriteHandler;
import org.glassfish.grizzly.http.io.NIOOutputStream;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * A Grizzly {@link HttpHandler} that answers {@code GET /snapshot/{channel}} with the newest image of an
 * image channel, for thumbnails and scripts ({@code curl -o cam1.jpg .../snapshot/cam1}). Mount it at
 * {@code /snapshot/*} (the embedded server does).
 *
 * <p>200 with the image's {@code Content-Type}, {@code Content-Length}, {@code Last-Modified} (its capture
 * time, never in the future), an {@code ETag} and {@code Cache-Control: no-cache}; 304 when {@code
 * If-None-Match} names the current tag. Refusals with a JSON body: 400 invalid name; 401/403 the {@linkplain
 * Builder#accessGate(AccessGate) access gate}, run once before anything is looked up; 404 no channel in the
 * path, an unknown channel (a snapshot never creates one) or a channel without a picture yet; 405 other
 * methods; 415 a video channel. {@link SnapshotServlet} answers the same from a Servlet container.
 *
 * <p>No worker waits on the peer: the response is suspended and the image (the same array for every
 * request of that frame) is written when the connection can take it; a peer that has not taken it within the
 * channel's stall timeout is dropped.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe and stateless past its settings; requests run on Grizzly's worker threads.
 *
 * @since 0.4.0
 */
public final class SnapshotHandler extends HttpHandler {

  private final ChannelRegistry registry;
  private final AccessGate gate;

  private SnapshotHandler(Builder b) {
    super("framestream-snapshot");
    this.registry = b.registry;
    this.gate = b.gate;
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
   * Answers one request.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  @Override
  public void service(Request request, Response response) throws IOException {
    Snapshot.Answer answer;
    try {
      Object stamped = request.getAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE);
      answer = Snapshot.answer(registry, gate, SseEndpoint.call(gate, request.getMethod().getMethodString(),
          request.getPathInfo(), request.getHeaderNames(), request::getHeaders, request.getQueryString(),
          stamped instanceof String ? (String) stamped : null, request.getRemoteAddr()));
    } catch (SseRequest.Rejection r) {
      GrizzlyStreams.reject(response, r);
      return;
    }
    response.setStatus(answer.status());
    answer.headers().forEach(response::setHeader);
    byte[] body = answer.body();
    if (body.length == 0) {
      return;
    }
    response.setContentLength(body.length);
    Connection<?> connection = request.getContext().getConnection();
    NIOOutputStream out = response.getNIOOutputStream();
    AtomicBoolean done = new AtomicBoolean();
    response.suspend(answer.stallTimeout().toMillis(), TimeUnit.MILLISECONDS, new CompletionHandler<Response>() {
      @Override
      public void cancelled() {
        if (done.compareAndSet(false, true)) { // timed out before the body could be handed over
          connection.terminateSilently();
        }
      }

      @Override
      public void failed(Throwable throwable) {
        connection.terminateSilently();
      }

      @Override
      public void completed(Response result) {
        // resumed after the write
      }

      @Override
      public void updated(Response result) {
        // nothing to do
      }
    });
    Runnable write = () -> {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      try {
        GrizzlyEventOutput.writeShared(out, connection, body);
        response.resume();
      } catch (IOException | RuntimeException e) {
        connection.terminateSilently();
      }
    };
    if (out.canWrite()) {
      write.run();
    } else {
      out.notifyCanWrite(new WriteHandler() {
        @Override
        public void onWritePossible() {
          write.run();
        }

        @Override
        public void onError(Throwable t) {
          connection.terminateSilently();
        }
      });
    }
  }

  @Override
  public String toString() {
    return "SnapshotHandler";
  }

  /**
   * Builds a {@link SnapshotHandler}: {@code accessGate} or {@code authorizer}, as for the streams.
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
    public SnapshotHandler build() {
      return new SnapshotHandler(this);
    }
  }
}
