package io.framestream.server.internal;

import org.glassfish.grizzly.http.server.CLStaticHttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

/**
 * Pages from the class path, as {@link CLStaticHttpHandler} serves them, except that no answer waits for
 * a peer that stopped reading. Grizzly already sends found pages without blocking (8 KiB each time the
 * connection can take more, or a queued file transfer, the response suspended meanwhile), however large
 * the page. Its small synchronous answers (404, 405) are written with Grizzly's blocking output buffer,
 * which parks the worker thread when the connection's write queue is full, as it is for a peer that
 * pipelines requests and reads no answer; such a peer is dropped instead (see {@link
 * ApiHandler#writable(Response)}).
 *
 * <h2>Thread safety</h2>
 *
 * Thread-safe, as {@link CLStaticHttpHandler}: Grizzly calls it from its worker threads.
 */
public final class PagesHandler extends CLStaticHttpHandler {

  /**
   * Creates the handler.
   *
   * @param loader the class loader to read pages from
   * @param root the class-path folder, such as {@code "/framestream/static/"}
   */
  public PagesHandler(ClassLoader loader, String root) {
    super(loader, root);
    setFileCacheEnabled(false);
  }

  @Override
  public void service(Request request, Response response) throws Exception {
    if (ApiHandler.writable(response)) {
      super.service(request, response);
    }
  }
}
