package io.framestream.transport.sse;

import java.io.IOException;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.strategies.WorkerThreadIOStrategy;

/**
 * A real Grizzly 4 HttpServer on 127.0.0.1 and an ephemeral port, set up as the embedded server module
 * does: WorkerThreadIOStrategy, keep-alive idle timeout off, the handler at {@code /sse/*}.
 */
final class TestServer implements AutoCloseable {

  final HttpServer http;
  final int port;

  private TestServer(HttpServer http, int port) {
    this.http = http;
    this.port = port;
  }

  static TestServer start(HttpHandler handler, String mapping) throws IOException {
    HttpServer http = new HttpServer();
    NetworkListener listener = new NetworkListener("test", "127.0.0.1", 0);
    listener.getTransport().setIOStrategy(WorkerThreadIOStrategy.getInstance());
    listener.getKeepAlive().setIdleTimeoutInSeconds(-1);
    http.addListener(listener);
    http.getServerConfiguration().addHttpHandler(handler, mapping);
    http.start();
    return new TestServer(http, listener.getPort());
  }

  static TestServer start(SseHandler handler) throws IOException {
    return start(handler, "/sse/*");
  }

  String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
