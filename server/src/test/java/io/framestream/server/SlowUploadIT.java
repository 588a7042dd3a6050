package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.Publisher;
import io.framestream.testkit.Await;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rule H1: no shared thread waits on a peer; slow request bodies hold nothing but their connection. */
class SlowUploadIT {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final List<AutoCloseable> closeLater = new ArrayList<>();
  private FrameStreamServer server;
  private ChannelRegistry registry;

  @AfterEach
  void stop() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    if (server != null) {
      server.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private void start(FrameStreamServer.Builder b) {
    registry = ChannelRegistry.builder().build();
    server = b.port(0).registry(registry).build().start();
  }

  private SlowUploader upload(String channel, byte[] body) throws Exception {
    SlowUploader u = SlowUploader.start(server.httpUri(), "/api/channels/" + channel + "/frames", body);
    closeLater.add(u);
    return u;
  }

  @Test
  void h1_slowUploadsHoldNoSharedThread() throws Exception {
    start(FrameStreamServer.builder().maxUploadsPerAddress(1000).uploadTimeout(Duration.ofSeconds(60)));
    Publisher publisher = registry.channel("live").openPublisher("test");
    ScheduledExecutorService frames = Executors.newSingleThreadScheduledExecutor();
    closeLater.add(frames::shutdownNow);
    AtomicInteger n = new AtomicInteger();
    frames.scheduleAtFixedRate(() -> publisher.publish(Frame.of("image/jpeg",
        WebSocketServerIT.jpeg(n.incrementAndGet(), 2000))), 0, 50, TimeUnit.MILLISECONDS);
    JdkWsClient viewer = JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/live"));
    closeLater.add(viewer::abort);
    Await.until("the viewer receives frames", () -> viewer.binaryCount() > 3);

    // More slow uploaders than Grizzly has worker threads (2 x cores), each sending a declared 100 KB body
    // one byte every 200 ms.
    int uploaders = Math.max(12, 2 * Runtime.getRuntime().availableProcessors() + 4);
    List<SlowUploader> slow = new ArrayList<>();
    for (int i = 0; i < uploaders; i++) {
      slow.add(upload("up" + i, WebSocketServerIT.jpeg(i, 100_000)));
    }
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    long nextCheck = System.nanoTime() + Duration.ofMillis(600).toNanos();
    int received = viewer.binaryCount();
    int checks = 0;
    for (int round = 0; round < 100 && System.nanoTime() < until; round++) {
      for (SlowUploader u : slow) {
        assertTrue(u.send(1), "a slow upload was cut off while within its deadline");
      }
      if (System.nanoTime() >= nextCheck) {
        checks++;
        assertApiAnswersWithinASecond("check " + checks);
        assertNewViewerConnects("check " + checks);
        int now = viewer.binaryCount();
        assertTrue(now > received, "check " + checks + ": the established viewer stopped receiving (" + now + ")");
        received = now;
        nextCheck = System.nanoTime() + Duration.ofMillis(600).toNanos();
      }
      Await.pace(Duration.ofMillis(200).toNanos());
    }
    assertTrue(checks >= 3, "only " + checks + " checks ran");
  }

  private void assertApiAnswersWithinASecond(String when) throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r;
    try {
      r = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      fail(when + ": GET /api/channels did not answer within 3 s");
      return;
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(ms < 1000, when + ": GET /api/channels took " + ms + " ms");
  }

  private void assertNewViewerConnects(String when) {
    JdkWsClient listener = JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/live"));
    try {
      Await.until(() -> when + ": a new viewer receives a frame", () -> listener.binaryCount() > 0,
          Duration.ofSeconds(3));
    } finally {
      listener.abort();
    }
  }

  @Test
  void h1_bodyDeadlineAnswers408() throws Exception {
    start(FrameStreamServer.builder().uploadTimeout(Duration.ofMillis(700)));
    SlowUploader u = upload("late", WebSocketServerIT.jpeg(1, 10_000));
    assertTrue(u.send(100));
    long start = System.nanoTime();
    String answer = "";
    for (int i = 0; i < 50 && answer.isEmpty(); i++) {
      u.send(1);
      answer = u.answer(Duration.ofMillis(200));
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(408, SlowUploader.status(answer), answer);
    assertTrue(answer.contains("application/json") && answer.contains("\"error\"")
        && answer.contains("uploadTimeout"), answer);
    assertTrue(ms < 5000, "408 after " + ms + " ms");
    assertTrue(u.awaitClose(Duration.ofSeconds(5)), "the connection is closed after the 408");

    // A body that arrives in time is published.
    SlowUploader fine = upload("late", WebSocketServerIT.jpeg(2, 10_000));
    assertTrue(fine.send(5000));
    assertTrue(fine.finish());
    assertEquals(204, SlowUploader.status(fine.answer(Duration.ofSeconds(5))));
  }

  @Test
  void h1_uploadsInProgressPerAddressAreCapped() throws Exception {
    start(FrameStreamServer.builder().maxUploadsPerAddress(2).uploadTimeout(Duration.ofSeconds(60)));
    // Three slow uploads from one address at once: whichever the server takes third is refused.
    List<SlowUploader> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      SlowUploader u = upload("capped", WebSocketServerIT.jpeg(i, 5000));
      assertTrue(u.send(10));
      all.add(u);
    }
    SlowUploader refused = null;
    String answer = "";
    for (int round = 0; round < 50 && refused == null; round++) {
      for (SlowUploader u : all) {
        String a = u.answer(Duration.ofMillis(50));
        if (!a.isEmpty()) {
          assertTrue(refused == null, "two uploads were answered: " + answer + " and " + a);
          refused = u;
          answer = a;
        }
      }
    }
    assertEquals(429, SlowUploader.status(answer), answer);
    assertTrue(answer.contains("maxUploadsPerAddress") && answer.contains("\"error\""), answer);
    assertTrue(answer.toLowerCase().contains("connection: close"), answer);
    assertTrue(refused.closedByServer() || refused.awaitClose(Duration.ofSeconds(5)),
        "the connection is closed after the 429");
    all.remove(refused);

    // The two in progress are still being read; when they finish they are published and free their places.
    for (SlowUploader u : all) {
      assertEquals("", u.answer(Duration.ofMillis(100)), "an upload in progress was answered early");
      assertTrue(u.finish());
    }
    for (SlowUploader u : all) {
      assertEquals(204, SlowUploader.status(u.answer(Duration.ofSeconds(5))));
    }
    SlowUploader later = upload("capped", WebSocketServerIT.jpeg(4, 5000));
    assertTrue(later.finish());
    assertEquals(204, SlowUploader.status(later.answer(Duration.ofSeconds(5))));
  }

  /** The pages handler that drops a peer with a full write queue still serves as Grizzly's does. */
  @Test
  void h1_pagesHandlerServesPagesAndMissingOnes() throws Exception {
    start(FrameStreamServer.builder().handler("/p/*",
        new io.framestream.server.internal.PagesHandler(getClass().getClassLoader(), "/framestream/static/")));
    HttpResponse<String> index = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/p/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, index.statusCode());
    assertTrue(index.body().contains("test index"), index.body());
    assertEquals(404, HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/p/missing.html")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
  }
}
