package io.framestream.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The example server over plain HTTP, without a browser: pages, channels, and the sources starting on demand. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExampleServerIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ExampleServer example;
  private ApiClient api;

  @BeforeAll
  void start() {
    example = ExampleServer.start("127.0.0.1", 0);
    api = new ApiClient(example.httpUri());
  }

  @AfterAll
  void stop() {
    if (example != null) {
      example.close();
    }
  }

  @ParameterizedTest(name = "/{0} is {1}")
  @CsvSource({
      "'', text/html, id=\"channels\"",
      "record.html, text/html, id=\"sourcevid\"",
      "record.html, text/html, id=\"output\"",
      "live.html, text/html, id=\"receiver\"",
      "live-sse.html, text/html, id=\"receiver\"",
      "common.js, text/javascript, export class FrameShower",
      "viewer.js, text/javascript, export function startViewer",
      "live-video.html, text/html, id=\"player\"",
      "video.js, text/javascript, export function startVideoViewer",
      "style.css, text/css, .stage",
      "favicon.svg, image/svg+xml, <svg"})
  void pagesAreServedFromTheClassPath(String path, String type, String contains) {
    HttpResponse<String> response = api.get(path);
    assertEquals(200, response.statusCode(), path);
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith(type),
        () -> path + ": " + response.headers().map());
    assertTrue(response.body().contains(contains), () -> path + " lacks " + contains);
  }

  @Test
  void pagesPutNoNetworkTextIntoInnerHtml() {
    for (String page : List.of("", "record.html", "live.html", "live-sse.html", "common.js", "viewer.js",
        "live-video.html", "video.js")) {
      String body = api.get(page).body();
      assertTrue(!body.contains("innerHTML") && !body.contains("outerHTML") && !body.contains("insertAdjacentHTML"),
          () -> page + " writes HTML from strings");
    }
  }

  @Test
  void demoAndLifeChannelsAreListed_beforeAnyoneWatches() throws IOException {
    JsonNode body = JSON.readTree(api.get("api/channels").body());
    List<String> names = new ArrayList<>();
    body.path("channels").forEach(c -> names.add(c.path("channel").asText()));
    assertTrue(names.containsAll(List.of("demo", "life")), names::toString);
  }

  @Test
  void theDemoSourceStartsForAViewer_overSse() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(example.httpUri().resolve("sse/demo")).build();
    HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      assertEquals(200, response.statusCode());
      CompletableFuture<String> frame = CompletableFuture.supplyAsync(() -> SseEvents.firstDataLine(in));
      String data = getWithin(frame, Duration.ofSeconds(15));
      assertTrue(data.startsWith("data: data:image/jpeg;base64,/9j/"), () -> data.substring(0, Math.min(80, data.length())));
    }
  }

  @Test
  void aPublishTokenProtectsPublishingButNotViewing() throws Exception {
    String token = "publisher-token-0123";
    try (ExampleServer guarded = ExampleServer.start("127.0.0.1", 0, token)) {
      java.net.URI base = guarded.server().webSocketUri();
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.util.concurrent.CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(
          java.util.concurrent.CompletionException.class,
          () -> http.newWebSocketBuilder().buildAsync(base.resolve("/ws/publish/cam"),
              new java.net.http.WebSocket.Listener() { }).join());
      assertTrue(refused.getCause() instanceof java.net.http.WebSocketHandshakeException);
      assertEquals(401, ((java.net.http.WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
      http.newWebSocketBuilder().buildAsync(base.resolve("/ws/publish/cam?token=" + token),
          new java.net.http.WebSocket.Listener() { }).join().abort();
      http.newWebSocketBuilder().buildAsync(base.resolve("/ws/live/cam"),
          new java.net.http.WebSocket.Listener() { }).join().abort();
    }
  }

  @Test
  void aTicketKeyMakesViewersShowATicketAndTheBannerPrintsOne() throws Exception {
    Options options = Options.parse("--port", "0", "--ticket-key", "k".repeat(32));
    try (ExampleServer guarded = ExampleServer.start(options)) {
      java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      java.net.URI base = guarded.httpUri();
      assertEquals(401, http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/sse/demo")).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode());
      String banner = guarded.banner();
      String ticketUrl = banner.substring(banner.indexOf(base + "live.html?channel=demo&ticket=")).trim();
      String ticket = ticketUrl.substring(ticketUrl.indexOf("&ticket=") + 8);
      java.net.http.HttpResponse<java.io.InputStream> ok = http.send(java.net.http.HttpRequest.newBuilder(
          base.resolve("/sse/demo?ticket=" + ticket)).build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, ok.statusCode(), "the banner's ticket lets a viewer in");
      ok.body().close();
    }
  }

  @Test
  void metricsShowWhatTheTestPublished_inPrometheusText() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, (byte) 0xFF, (byte) 0xD9};
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> posted = http.send(HttpRequest.newBuilder(example.httpUri().resolve("api/channels/metered/frames"))
          .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(204, posted.statusCode(), posted::body);
    }
    HttpResponse<String> scrape = api.get("metrics");
    assertEquals(200, scrape.statusCode());
    assertTrue(scrape.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = scrape.body();
    assertTrue(text.contains("framestream_frames_in_total{channel=\"metered\"} 3.0"), text);
    assertTrue(text.contains("framestream_in_bytes_total{channel=\"metered\"} " + (3.0 * jpeg.length)), text);
    assertTrue(text.contains("framestream_channel_viewers{channel=\"metered\"} 0.0"), text);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(example.httpUri().resolve("metrics"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
  }

  @Test
  void bannerNamesThePagesToOpen() {
    String banner = example.banner();
    String base = example.httpUri().toString();
    assertTrue(banner.contains(base + "record.html?channel=cam1"), banner);
    assertTrue(banner.contains(base + "live.html?channel=demo"), banner);
    assertTrue(banner.contains(base + "live-sse.html?channel=life"), banner);
  }


  private static <T> T getWithin(CompletableFuture<T> future, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
