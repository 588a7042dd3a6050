package io.framestream.transport.sse;

import io.framestream.transport.sse.internal.ServletEventOutput;
import io.framestream.transport.sse.internal.SseEndpoint;
import io.framestream.transport.sse.internal.SseRequest;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;

/**
 * The Servlet side every streaming servlet of this module shares ({@link SseServlet}, {@link MjpegServlet},
 * {@link SnapshotServlet}): reading a request for the endpoint, answering a refusal, and starting an async,
 * non-blocking response for a viewer.
 *
 * <h2>Thread safety</h2>
 *
 * Stateless; called on the container's request threads.
 */
final class ServletStreams {

  private ServletStreams() {}

  /**
   * Serves one request of a streaming endpoint: refuses it with a status and a JSON body, or starts async
   * processing and streams the channel until the viewer ends.
   *
   * @param endpoint the endpoint
   * @param headers the stream's response headers, in order
   * @param what the endpoint's name for messages ({@code "SSE"})
   * @param request the request
   * @param response the response
   * @throws IOException if writing a refusal fails
   */
  static void serve(SseEndpoint endpoint, Map<String, String> headers, String what, HttpServletRequest request,
      HttpServletResponse response) throws IOException {
    SseEndpoint.Admitted admitted;
    try {
      if (!request.isAsyncSupported()) {
        throw new SseRequest.Rejection(500,
            "the " + what + " servlet must be registered with async support (setAsyncSupported(true))");
      }
      admitted = endpoint.open(call(endpoint, request));
    } catch (SseRequest.Rejection r) {
      reject(response, r);
      return;
    }
    ServletEventOutput output;
    try {
      AsyncContext async = request.startAsync();
      async.setTimeout(0); // no async timeout: the stream lasts until the viewer ends
      response.setStatus(200);
      headers.forEach(response::setHeader);
      output = new ServletEventOutput(async, response.getOutputStream(), endpoint.writeQueueLimit(),
          admitted.viewer()::peerGone, endpoint.timer(), SseServlet.GRACEFUL_CLOSE_TIMEOUT.toMillis());
      output.attach();
    } catch (IOException | RuntimeException e) {
      endpoint.abandon(admitted, e);
      throw e;
    }
    endpoint.begin(admitted, output);
  }

  /** Answers a refusal; the body is small enough for the response buffer, so this never waits on the peer. */
  static void reject(HttpServletResponse response, SseRequest.Rejection r) throws IOException {
    byte[] body = r.body();
    response.setStatus(r.status());
    r.headers().forEach(response::setHeader);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /** What the endpoint needs of a servlet request; the client address comes from the gate. */
  static SseEndpoint.Call call(SseEndpoint endpoint, HttpServletRequest request) {
    return endpoint.call(request.getMethod(), request.getPathInfo(), Collections.list(request.getHeaderNames()),
        name -> Collections.list(request.getHeaders(name)), request.getQueryString(), null,
        request.getRemoteAddr());
  }
}
