package io.framestream.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.DataUris;
import io.framestream.core.Frame;
import io.framestream.transport.sse.internal.EventStreamParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * An SSE viewer on the JDK's {@code HttpClient} (HTTP/1.1), parsing the stream with the library's WHATWG
 * parser. It asks for one chunk of the body at a time, so {@link #pause()} really stops reading the socket.
 */
final class SseClient implements ViewerClient, Flow.Subscriber<List<ByteBuffer>> {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private static final int MAX = 64 << 20;

  private final List<ViewerEvent> events = new ArrayList<>();
  private final EventStreamParser parser = new EventStreamParser(this::onEvent, MAX, MAX);
  private final CompletableFuture<Integer> status = new CompletableFuture<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final Object demand = new Object();
  private boolean paused; // guarded by demand
  private boolean owed; // guarded by demand
  private volatile Flow.Subscription subscription;

  private SseClient() {}

  /** Opens {@code GET uri} with extra headers (name, value, ...); fails unless the answer is 200 within 15 s. */
  static SseClient connect(URI uri, String... headers) {
    SseClient c = new SseClient();
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HTTP.sendAsync(b.build(), info -> {
      c.status.complete(info.statusCode());
      return HttpResponse.BodySubscribers.fromSubscriber(c);
    }).whenComplete((r, e) -> c.ended.complete(null));
    int code = c.status.orTimeout(15, TimeUnit.SECONDS).join();
    if (code != 200) {
      c.close();
      throw new AssertionError("GET " + uri + " answered " + code);
    }
    return c;
  }

  private void onEvent(String type, String data, String lastEventId) {
    switch (type) {
      case "init": {
        JsonNode json = parse(data);
        add(ViewerEvent.description(json));
        if (json.hasNonNull("initSegment")) { // a video INIT frame travels inside its init event
          add(ViewerEvent.frame(Base64.getDecoder().decode(json.get("initSegment").asText()),
              json.path("contentType").asText(null)));
        }
        break;
      }
      case "data": {
        Frame f = DataUris.decode(data, MAX).build();
        add(ViewerEvent.frame(f.copyPayload(), f.contentType()));
        break;
      }
      case "status":
        add(ViewerEvent.status(parse(data)));
        break;
      default:
        break;
    }
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + json, e);
    }
  }

  private void add(ViewerEvent e) {
    synchronized (events) {
      events.add(e);
    }
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
    synchronized (demand) {
      if (paused) {
        owed = true;
        return;
      }
    }
    subscription.request(1);
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
  public List<ViewerEvent> events() {
    synchronized (events) {
      return new ArrayList<>(events);
    }
  }

  @Override
  public void pause() {
    synchronized (demand) {
      paused = true;
    }
  }

  @Override
  public void resume() {
    boolean request;
    synchronized (demand) {
      paused = false;
      request = owed;
      owed = false;
    }
    if (request) {
      subscription.request(1);
    }
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
