package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.transport.sse.internal.EventStreamParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * An SSE viewer on the JDK's {@code HttpClient} (HTTP/1.1), parsing the stream with the library's WHATWG
 * parser, one chunk of the body at a time.
 */
final class SseClient extends RecordingClient implements Flow.Subscriber<List<ByteBuffer>> {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private static final int MAX = 64 << 20;

  private final EventStreamParser parser = new EventStreamParser(this::onEvent, MAX, MAX);
  private final CompletableFuture<Integer> status = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private volatile Flow.Subscription subscription;

  private SseClient() {}

  /** Opens {@code GET uri} with extra headers (name, value, ...); fails unless the answer is 200 within 15 s. */
  static SseClient connect(URI uri, String... headers) {
    SseClient client = new SseClient();
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
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
    return client;
  }

  private void onEvent(String type, String data, String lastEventId) {
    if (type.equals("data")) {
      Frame f = DataUris.decode(data, MAX).build();
      add(ViewerEvent.frame(f.copyPayload(), f.contentType()));
    } else if (type.equals("status")) {
      add(ViewerEvent.status(json(data)));
    } else if (type.equals("init")) {
      JsonNode init = json(data);
      add(ViewerEvent.description(init));
      if (init.hasNonNull("initSegment")) { // a video INIT frame travels inside its init event
        add(ViewerEvent.frame(Base64.getDecoder().decode(init.get("initSegment").asText()),
            init.path("contentType").asText(null)));
      }
    }
  }

  @Override
  void requestOne() {
    subscription.request(1);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    for (ByteBuffer b : item) {
      parser.feed(b);
    }
    taken();
  }

  @Override
  public void onError(Throwable throwable) {
    ended.complete(null);
  }

  @Override
  public void onComplete() {
    ended.complete(null);
  }

  @Override
  public boolean isClosed() {
    return ended.isDone();
  }

  @Override
  public void close() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
