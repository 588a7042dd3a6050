package io.framestream.transport.sse;

import io.framestream.core.ChannelRegistry;
import io.framestream.edge.AccessGate;
import io.framestream.transport.sse.internal.Snapshot;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;

/**
 * A Jakarta Servlet 6.0 servlet that answers {@code GET /snapshot/{channel}} exactly as {@link
 * SnapshotHandler} does on Grizzly (the newest image, {@code ETag}/{@code If-None-Match}, {@code
 * Last-Modified}, the same refusals). Map it at {@code /snapshot/*} with async support (without it every
 * request is 500): the image is written from a {@code WriteListener}, so no container thread waits on a slow
 * peer, and a peer that has not taken it within the channel's stall timeout is dropped.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe; requests run on the container's threads.
 *
 * @since 0.4.0
 */
public final class SnapshotServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  private final transient ChannelRegistry registry;
  private final transient AccessGate gate;

  private SnapshotServlet(Builder b) {
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
   * Answers one request, whatever its method.
   *
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
    Snapshot.Answer answer;
    try {
      if (!request.isAsyncSupported()) {
        throw new SseRequest.Rejection(500,
            "the snapshot servlet must be registered with async support (setAsyncSupported(true))");
      }
      answer = Snapshot.answer(registry, gate, SseEndpoint.call(gate, request.getMethod(), request.getPathInfo(),
          Collections.list(request.getHeaderNames()), name -> Collections.list(request.getHeaders(name)),
          request.getQueryString(), null, request.getRemoteAddr()));
    } catch (SseRequest.Rejection r) {
      ServletStreams.reject(response, r);
      return;
    }
    response.setStatus(answer.status());
    answer.headers().forEach(response::setHeader);
    byte[] body = answer.body();
    if (body.length == 0) {
      return;
    }
    response.setContentLength(body.length);
    AsyncContext async = request.startAsync();
    async.setTimeout(answer.stallTimeout().toMillis());
    async.addListener(new AsyncListener() {
      @Override
      public void onComplete(AsyncEvent event) {
        // done
      }

      @Override
      public void onTimeout(AsyncEvent event) {
        async.complete(); // with the write still pending, the container drops the connection
      }

      @Override
      public void onError(AsyncEvent event) {
        async.complete();
      }

      @Override
      public void onStartAsync(AsyncEvent event) {
        // not restarted
      }
    });
    ServletOutputStream out = response.getOutputStream();
    out.setWriteListener(new WriteListener() {
      private boolean written;

      @Override
      public void onWritePossible() throws IOException {
        if (!written) {
          written = true;
          out.write(body);
        }
        if (out.isReady()) {
          async.complete();
        }
      }

      @Override
      public void onError(Throwable t) {
        async.complete();
      }
    });
  }

  @Override
  public String toString() {
    return "SnapshotServlet";
  }

  /**
   * Builds a {@link SnapshotServlet}, with the same settings as {@link SnapshotHandler.Builder}.
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
    public SnapshotServlet build() {
      return new SnapshotServlet(this);
    }
  }
}
