package io.framestream.server.internal;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Supplier;
import org.glassfish.grizzly.http.Method;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * A read-only text resource computed per request, such as a metrics scrape: {@code GET} and {@code HEAD}
 * answer 200 with the supplier's text, anything else 405. The answer is written once after {@code
 * canWrite()} (see {@link ApiHandler#writable(Response)}), so a peer that stopped reading is dropped rather
 * than parking a worker thread.
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe if the supplier is: Grizzly calls it from its worker threads, concurrently.
 */
public final class TextHandler extends HttpHandler {

  private final String contentType;
  private final Supplier<String> body;

  /**
   * Creates the handler.
   *
   * @param contentType the answer's content type, such as {@code text/plain; charset=utf-8}
   * @param body called once per request for the answer's text
   */
  public TextHandler(String contentType, Supplier<String> body) {
    this.contentType = Objects.requireNonNull(contentType, "contentType");
    this.body = Objects.requireNonNull(body, "body");
  }

  @Override
  public void service(Request request, Response response) throws Exception {
    Method method = request.getMethod();
    if (method != Method.GET && method != Method.HEAD) {
      response.setHeader("Allow", "GET, HEAD");
      ApiHandler.error(response, 405, "only GET and HEAD");
      return;
    }
    if (!ApiHandler.writable(response)) {
      return; // a peer that stopped reading gets dropped before any work is done for it
    }
    byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
    response.setStatus(200);
    response.setContentType(contentType);
    response.setHeader("Cache-Control", "no-store");
    response.setContentLength(bytes.length);
    if (method == Method.GET) {
      try (OutputStream out = response.getOutputStream()) {
        out.write(bytes);
      }
    }
  }
}
