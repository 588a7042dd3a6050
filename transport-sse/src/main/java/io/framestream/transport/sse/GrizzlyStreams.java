package io.framestream.transport.sse;

import io.framestream.edge.TrustedProxies;
import io.framestream.transport.sse.internal.GrizzlyEventOutput;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import io.framestream.transport.sse.internal.SseViewer;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * The Grizzly side every streaming handler of this module shares ({@link SseHandler}, {@link MjpegHandler},
 * {@link SnapshotHandler}): reading a request for the endpoint, answering a refusal without waiting on the
 * peer, and suspending a response for a viewer.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; called on Grizzly's worker threads.
 */
final class GrizzlyStreams {

  /** How long a graceful close of a viewer's connection may take before it is forced: 5 s. */
  static final long GRACEFUL_CLOSE_MILLIS = SseHandler.GRACEFUL_CLOSE_TIMEOUT.toMillis();

  private GrizzlyStreams() {}

  /**
   * Serves one request of a streaming endpoint: refuses it, or subscribes a viewer and suspends the
   * response, which stays open until the viewer ends.
   *
   * @param endpoint the endpoint
   * @param headers the stream's response headers, in order
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  static void serve(SseEndpoint endpoint, Map<String, String> headers, Request request, Response response)
      throws IOException {
    SseEndpoint.Admitted admitted;
    try {
      admitted = endpoint.open(call(endpoint, request));
    } catch (SseRequest.Rejection r) {
      reject(response, r);
      return;
    }
    SseViewer viewer = admitted.viewer();
    Connection<?> connection = request.getContext().getConnection();
    GrizzlyEventOutput.limitWriteQueue(connection, endpoint.writeQueueLimit());
    response.setStatus(200);
    headers.forEach(response::setHeader);
    GrizzlyEventOutput output = new GrizzlyEventOutput(response.getNIOOutputStream(), response.getResponse(),
        connection, endpoint.timer(), GRACEFUL_CLOSE_MILLIS);
    response.suspend(0, TimeUnit.MILLISECONDS, new CompletionHandler<Response>() {
      @Override
      public void cancelled() {
        viewer.peerGone(null);
      }

      @Override
      public void failed(Throwable throwable) {
        viewer.peerGone(throwable);
      }

      @Override
      public void completed(Response result) {
        // never resumed by us
      }

      @Override
      public void updated(Response result) {
        // nothing to do
      }
    });
    endpoint.begin(admitted, output);
    // A suspended request leaves read interest off, so a peer that closes would be noticed only by the
    // next failing write (up to two heartbeats on an idle channel). Reading again lets the selector see
    // the close at once. (Bytes a client sends after its GET are taken as that request's body and not
    // read further; they cannot reach other viewers.)
    try {
      connection.enableIOEvent(IOEvent.READ);
    } catch (IOException | RuntimeException e) {
      viewer.peerGone(e);
    }
  }

  /** What the endpoint needs of a Grizzly request. */
  static SseEndpoint.Call call(SseEndpoint endpoint, Request request) {
    Object stamped = request.getAttribute(TrustedProxies.CLIENT_ADDRESS_ATTRIBUTE);
    return endpoint.call(request.getMethod().getMethodString(), request.getPathInfo(), request.getHeaderNames(),
        request::getHeaders, request.getQueryString(), stamped instanceof String ? (String) stamped : null,
        request.getRemoteAddr());
  }

  /** Answers a refusal, or drops a peer whose write queue is full (it reads no answers). */
  static void reject(Response response, SseRequest.Rejection r) throws IOException {
    if (!response.getOutputBuffer().canWrite()) {
      // Its write queue is full: a peer that pipelines requests and reads no answers. Writing would park this
      // worker until the peer reads (rule H1), so drop the connection instead.
      response.getRequest().getContext().getConnection().terminateSilently();
      return;
    }
    byte[] body = r.body();
    response.setStatus(r.status());
    r.headers().forEach(response::setHeader);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }
}
