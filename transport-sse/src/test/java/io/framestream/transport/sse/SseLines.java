package io.framestream.transport.sse;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An SSE stream read with the JDK {@link HttpClient} (HTTP/1.1), cut into events: each block of lines up to
 * an empty line, joined with {@code \n}. A daemon thread reads; the test takes events with a bound.
 */
final class SseLines implements AutoCloseable {

  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final String END = "\u0000end";

  final HttpResponse<Stream<String>> response;
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

  private SseLines(HttpResponse<Stream<String>> response) {
    this.response = response;
    Thread reader = new Thread(this::read, "sse-lines-reader");
    reader.setDaemon(true);
    reader.start();
  }

  static SseLines open(String url) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build();
    return new SseLines(HTTP.send(request, HttpResponse.BodyHandlers.ofLines()));
  }

  private void read() {
    StringBuilder block = new StringBuilder();
    try {
      response.body().forEach(line -> {
        if (line.isEmpty()) {
          events.add(block.toString());
          block.setLength(0);
        } else {
          block.append(line).append('\n');
        }
      });
    } catch (RuntimeException e) {
      // closed by the test, or the stream broke: the test sees the end
    }
    events.add(END);
  }

  /** The next event, without its blank line; fails after 20 s, or if the stream ended. */
  String next() throws InterruptedException {
    String e = events.poll(20, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no SSE event within 20 s");
    }
    if (e.equals(END)) {
      events.add(END);
      throw new AssertionError("the SSE stream ended");
    }
    return e;
  }

  @Override
  public void close() {
    response.body().close();
  }
}
