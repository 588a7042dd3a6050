package io.framestream.examples.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Boots the example as it ships (its application.properties), on port 0, and uses it as a browser would: the
 * pages at {@code /}, the statistics they poll, the meters, a WebSocket viewer of the demo channel (W2), and the health
 * component.
 */
@Timeout(120)
class FrameStreamBootExampleTest {

  private static final Duration BOUND = Duration.ofSeconds(30);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private static ConfigurableApplicationContext context;
  private static URI base;

  @BeforeAll
  static void boot() {
    context = SpringApplication.run(FrameStreamBootExample.class, "--server.port=0", "--spring.main.banner-mode=off");
    base = URI.create("http://127.0.0.1:" + context.getEnvironment().getRequiredProperty("local.server.port") + "/");
  }

  @AfterAll
  static void close() {
    if (context != null) {
      context.close();
    }
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(BOUND).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The viewer pages come from framestream-pages on the class path; the index polls the statistics; meters. */
  @Test
  void pagesAndStatisticsAreServed() throws Exception {
    HttpResponse<String> index = get("/");
    assertEquals(200, index.statusCode(), index::body);
    assertTrue(index.body().contains("pollStats"), "the channel index page");
    assertEquals(200, get("/live.html").statusCode());
    assertEquals(200, get("/viewer.js").statusCode());
    HttpResponse<String> api = get("/api/channels");
    assertEquals(200, api.statusCode());
    assertTrue(api.body().contains("\"" + FrameStreamBootExample.DEMO_CHANNEL + "\""), api::body);
    HttpResponse<String> metric = get("/actuator/metrics/framestream.channels");
    assertEquals(200, metric.statusCode(), "framestream-micrometer's meters are bound: " + metric.body());
  }

  /** W2: a viewer of the demo channel gets the init text, then the test pattern's JPEG frames. */
  @Test
  void w2_aWebSocketViewerOfTheDemoChannelGetsFrames() throws Exception {
    List<String> texts = new CopyOnWriteArrayList<>();
    List<byte[]> frames = new CopyOnWriteArrayList<>();
    WebSocket viewer = HTTP.newWebSocketBuilder().connectTimeout(BOUND)
        .buildAsync(URI.create("ws://" + base.getAuthority() + "/ws/live/" + FrameStreamBootExample.DEMO_CHANNEL),
            new WebSocket.Listener() {
              private final java.io.ByteArrayOutputStream parts = new java.io.ByteArrayOutputStream();

              @Override
              public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                texts.add(data.toString());
                ws.request(1);
                return null;
              }

              @Override
              public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] part = new byte[data.remaining()];
                data.get(part);
                parts.writeBytes(part);
                if (last) {
                  frames.add(parts.toByteArray());
                  parts.reset();
                }
                ws.request(1);
                return null;
              }
            })
        .get(30, TimeUnit.SECONDS);
    try {
      Await.until(() -> "two frames; texts " + texts + ", frames " + frames.size(), () -> frames.size() >= 2, BOUND);
      assertTrue(texts.get(0).contains("\"init\""), texts::toString);
      byte[] first = frames.get(0);
      assertTrue((first[0] & 0xFF) == 0xFF && (first[1] & 0xFF) == 0xD8, "a JPEG image");
      HttpResponse<String> health = get("/actuator/health");
      assertEquals(200, health.statusCode(), health::body);
      assertTrue(health.body().contains("\"framestream\""), health::body);
      assertTrue(health.body().matches("(?s).*\"viewers\":1\\b.*"), health::body);
    } finally {
      viewer.abort();
    }
  }
}
