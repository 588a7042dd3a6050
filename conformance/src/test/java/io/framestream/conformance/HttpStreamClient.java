package io.framestream.conformance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * A viewer of an HTTP stream (SSE, MJPEG) on the JDK's {@code HttpClient} (HTTP/1.1), taking the body one chunk
 * at a time so that {@link #pause()} lets the socket fill up; subclasses parse the chunks.
 */
abstract class HttpStreamClient extends RecordingClient implements Flow.Subscriber<List<ByteBuffer>> {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  private final CompletableFuture<Integer> status = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private volatile Flow.Subscription subscription;

  /** Parses one chunk of the body. */
  abstract void feed(ByteBuffer chunk);

  /**
   * Opens {@code GET uri} with an {@code Accept} header and extra headers (name, value, ...) for a client;
   * fails unless the answer is 200 within 15 s.
   */
  static <C extends HttpStreamClient> C connect(C viewer, URI uri, String accept, String... headers) {
    HttpStreamClient client = viewer;
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", accept);
    for (int i = 1; i < headers.length; i += 2) {
      request.header(headers[i - 1], headers[i]);
    }
    HTTP.sendAsync(request.build(), info -> {
      client.status.complete(info.statusCode());
      return HttpResponse.BodySubscribers.fromSubscriber(client);
    }).whenComplete((r, e) -> client.ended.complete(null));
    int code = client.status.orTimeout(15, TimeUnit.SECONDS).join();
    if (code != 200) {
      client.close();
      throw new AssertionError("GET " + uri + " answered " + code);
    }
    return viewer;
  }

  @Override
  final void requestOne() {
    subscription.request(1);
  }

  @Override
  public final void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public final void onNext(List<ByteBuffer> item) {
    for (ByteBuffer b : item) {
      feed(b);
    }
    taken();
  }

  @Override
  public final void onError(Throwable throwable) {
    ended.complete(null);
  }

  @Override
  public final void onComplete() {
    ended.complete(null);
  }

  @Override
  public final boolean isClosed() {
    return ended.isDone();
  }

  @Override
  public final void close() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
