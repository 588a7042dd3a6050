package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.Publisher;
import io.framestream.core.Subscription;
import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The one-call pages, the helpful 404, and what {@code /api/channels} tells about each channel (online,
 * kind, codec, size).
 */
class PagesAndChannelListIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private FrameStreamServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve(path)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void pages_failFastWithTheDependencyToAdd_whenTheArtifactIsMissing() {
    // The server module's tests do not have framestream-pages on their class path.
    IllegalStateException e = Assertions.assertThrows(IllegalStateException.class,
        () -> FrameStreamServer.builder().pages());
    assertTrue(e.getMessage().contains("io.framestream:framestream-pages"), e.getMessage());
  }

  @Test
  void h1_anUnknownPageGetsA404NamingThePagesAndChannels() throws Exception {
    server = FrameStreamServer.builder().port(0).build().start();
    server.registry().channel("cam-1");
    server.registry().channel("yard");
    HttpResponse<String> r = get("/nope.html");
    assertEquals(404, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), r.headers().toString());
    assertTrue(r.body().contains("No page at /nope.html"), r.body());
    assertTrue(r.body().contains("<a href=\"/\">/</a>"), "the test resources have an index.html: " + r.body());
    assertFalse(r.body().contains("live.html\">"), "pages that are not there are not named: " + r.body());
    assertTrue(r.body().contains("cam-1") && r.body().contains("yard"), r.body());

    HttpResponse<String> hostile = get("/%3Cscript%3Ealert(1)%3C/script%3E");
    assertEquals(404, hostile.statusCode());
    assertFalse(hostile.body().contains("<script>"), hostile.body());
  }

  @Test
  void apiChannels_tellOnlineStateKindCodecAndSize() throws Exception {
    server = FrameStreamServer.builder().port(0).build().start();
    Channel cam = server.registry().channel("cam");
    JsonNode fresh = channel("cam");
    assertFalse(fresh.path("online").asBoolean(true));
    assertTrue(fresh.path("state").isNull() && fresh.path("kind").isNull() && fresh.path("width").isNull(),
        fresh.toString());

    Publisher publisher = cam.openPublisher("test camera");
    publisher.publish(Frame.builder(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9})
        .contentType("image/jpeg").dimensions(640, 480).build());
    JsonNode live = channel("cam");
    assertTrue(live.path("online").asBoolean(), live.toString());
    assertEquals("online", live.path("state").asText());
    assertEquals("image", live.path("kind").asText());
    assertEquals(640, live.path("width").asInt());
    assertEquals(480, live.path("height").asInt());
    assertTrue(live.path("codec").isNull(), live.toString());

    publisher.close();
    Await.until("the channel to go offline", () -> !channel("cam").path("online").asBoolean(true));
    assertEquals("offline", channel("cam").path("state").asText());

    Channel video = server.registry().channel("film");
    video.publish(Frame.builder(new byte[] {0, 0, 0, 8, 'f', 't', 'y', 'p'}).contentType("video/mp4")
        .kind(FrameKind.INIT).codec("avc1.42E01E").dimensions(1280, 720).build());
    JsonNode film = null;
    for (JsonNode c : JSON.readTree(get("/api/channels").body()).path("channels")) {
      if (c.path("channel").asText().equals("film")) {
        film = c;
      }
    }
    assertTrue(film != null, "the list has it too");
    assertEquals("video", film.path("kind").asText(), film.toString());
    assertEquals("avc1.42E01E", film.path("codec").asText());
    assertEquals(1280, film.path("width").asInt());
  }

  @Test
  void apiChannels_tellWhetherASourceIsAttachedAndRuns() throws Exception {
    ChannelRegistry registry = ChannelRegistry.builder().sourceGracePeriod(Duration.ZERO).build();
    try {
      server = FrameStreamServer.builder().port(0).registry(registry).build().start();
      byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9};
      Channel pattern = registry.attachSource("pattern",
          () -> Frame.builder(jpeg).contentType("image/jpeg").build(), 20);
      assertEquals("idle", channel("pattern").path("source").asText());
      registry.channel("plain");
      assertEquals("none", channel("plain").path("source").asText(), "a channel without a source");

      RecordingSink sink = RecordingSink.immediate();
      Subscription viewer = pattern.subscribe(sink);
      Await.until("the source runs for its viewer", () -> "running".equals(channel("pattern").path("source").asText()));
      viewer.close();
      Await.until("the source stops after the (zero) grace period",
          () -> "idle".equals(channel("pattern").path("source").asText()));
    } finally {
      if (server != null) {
        server.close();
        server = null;
      }
      registry.close();
    }
  }

  private JsonNode channel(String name) {
    try {
      HttpResponse<String> r = get("/api/channels/" + name);
      assertEquals(200, r.statusCode(), r.body());
      return JSON.readTree(r.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
