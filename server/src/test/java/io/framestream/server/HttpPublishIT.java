package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Authorizer;
import io.framestream.core.BearerTokens;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelState;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /api/channels/{name}/frames: one frame per request, with the same limits as WebSocket publishing. */
class HttpPublishIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final String TOKEN = "publisher-token-0123456789";

  private ChannelRegistry registry;
  private FrameStreamServer server;

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().maxPublishFps(5).build()).build();
    server = FrameStreamServer.builder().port(0).registry(registry).maxFrameBytes(64 * 1024)
        .authorizer(Authorizer.perAction(BearerTokens.of(TOKEN), Authorizer.allowAll())).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    registry.close();
  }

  private HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.httpUri().resolve(path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPostedFrameReachesViewersAndTheChannelIsOnlineWhileItsPublisherPosts() throws Exception {
    JdkWsClient viewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/snap"));
    try {
      Await.until("subscribed", () -> registry.channel("snap").subscriberCount() == 1);
      byte[] jpeg = WebSocketServerIT.jpeg(1, 5000);
      // curl --data-binary sends a form content type: the body must still be the frame, and sniffed
      HttpResponse<String> r = post("/api/channels/snap/frames?token=" + TOKEN, jpeg,
          "Content-Type", "application/x-www-form-urlencoded");
      assertEquals(204, r.statusCode(), r.body());
      Await.until("frame delivered", () -> viewer.binaries().size() == 1);
      assertArrayEquals(jpeg, viewer.binaries().get(0));
      assertEquals(Optional.of(ChannelState.ONLINE), registry.channel("snap").state());
      assertEquals(1, registry.channel("snap").publisherCount(), "one shared HTTP publisher handle");
    } finally {
      viewer.abort();
    }
  }

  @Test
  void everyRefusalIsPreciseAndNamesTheProblem() throws Exception {
    byte[] jpeg = WebSocketServerIT.jpeg(1, 100);
    HttpResponse<String> noToken = post("/api/channels/x/frames", jpeg);
    assertEquals(401, noToken.statusCode());
    assertEquals("Bearer", noToken.headers().firstValue("www-authenticate").orElse(""));

    HttpResponse<String> tooBig = post("/api/channels/x/frames", new byte[64 * 1024 + 1], "Authorization",
        "Bearer " + TOKEN);
    assertEquals(413, tooBig.statusCode());
    assertTrue(JSON.readTree(tooBig.body()).get("error").asText().contains("maxFrameBytes"), tooBig.body());

    HttpResponse<String> unknown = post("/api/channels/x/frames", new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9},
        "Authorization", "Bearer " + TOKEN);
    assertEquals(415, unknown.statusCode());

    assertEquals(400, post("/api/channels/a%20b/frames", jpeg, "Authorization", "Bearer " + TOKEN).statusCode());
    assertEquals(405, HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/x/frames")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());

    JdkWsClient wsPublisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/busy?token=" + TOKEN));
    try {
      Await.until("the WebSocket publisher holds the channel", () -> registry.channel("busy").publisherCount() == 1);
      HttpResponse<String> conflict = post("/api/channels/busy/frames", jpeg, "Authorization", "Bearer " + TOKEN);
      assertEquals(409, conflict.statusCode());
      assertTrue(conflict.body().contains("maxPublishers"), conflict.body());
    } finally {
      wsPublisher.abort();
    }

    int accepted = 0;
    int limited = 0;
    for (int i = 0; i < 12; i++) {
      int code = post("/api/channels/rate/frames", jpeg, "Authorization", "Bearer " + TOKEN).statusCode();
      accepted += code == 204 ? 1 : 0;
      limited += code == 429 ? 1 : 0;
    }
    assertTrue(limited > 0 && accepted >= 5, "accepted " + accepted + ", limited " + limited + " at 5 fps");
  }
}
