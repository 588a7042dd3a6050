package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The WebSocket endpoints on the real embedded server, with real JDK WebSocket clients. */
class WebSocketServerIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(15);

  private ChannelRegistry registry;
  private FrameStreamServer server;
  private final List<JdkWsClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build())
        .build();
    server = FrameStreamServer.builder().port(0).registry(registry).maxFrameBytes(1 << 20).build().start();
  }

  @AfterEach
  void stop() {
    clients.forEach(JdkWsClient::abort);
    server.close();
    registry.close();
  }

  private URI ws(String path) {
    return server.webSocketUri().resolve(path);
  }

  private JdkWsClient connect(String path) {
    JdkWsClient c = JdkWsClient.connect(ws(path));
    clients.add(c);
    return c;
  }

  static byte[] jpeg(int n, int size) {
    byte[] b = new byte[size];
    new Random(n).nextBytes(b);
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    b[2] = (byte) 0xFF;
    return b;
  }

  @Test
  void publishedBinaryFramesArriveIdenticalAndInOrderInBothFormats() throws Exception {
    JdkWsClient binaryViewer = connect("/ws/live/cam1");
    JdkWsClient dataUriViewer = connect("/ws/live/cam1?format=datauri");
    Await.until("init message", () -> binaryViewer.count() == 1);
    JsonNode init = JSON.readTree(binaryViewer.texts().get(0));
    assertEquals("init", init.get("type").asText());
    assertEquals("cam1", init.get("channel").asText());
    Await.until("both viewers subscribed", () -> registry.channel("cam1").subscriberCount() == 2);

    JdkWsClient publisher = connect("/ws/publish/cam1");
    List<byte[]> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      byte[] frame = jpeg(i, 2_000 + i);
      sent.add(frame);
      publisher.sendBinary(frame);
      Await.until("frame " + i + " delivered", () -> dataUriViewer.count() == sent.size()
          && binaryViewer.binaries().size() == sent.size());
    }
    List<byte[]> got = binaryViewer.binaries();
    List<String> uris = dataUriViewer.texts();
    for (int i = 0; i < sent.size(); i++) {
      assertArrayEquals(sent.get(i), got.get(i), "binary frame " + i);
      assertEquals("data:image/jpeg;base64," + Base64.getEncoder().encodeToString(sent.get(i)), uris.get(i),
          "data URI frame " + i);
    }
    assertEquals(sent.size(), dataUriViewer.count(), "datauri format sends data URIs and nothing else");
    List<String> texts = binaryViewer.texts();
    // The join init; the publisher arrives: status online and a fresh init. Before the first frame an init
    // describes it (the fresh one, if the frame was already published when it was written, else another).
    assertEquals("init", JSON.readTree(texts.get(0)).get("type").asText());
    assertEquals("online", JSON.readTree(texts.get(1)).get("status").asText());
    List<JdkWsClient.Message> messages = binaryViewer.messages();
    int firstFrame = messages.indexOf(messages.stream().filter(m -> !m.isText()).findFirst().orElseThrow());
    JsonNode announcing = JSON.readTree(messages.get(firstFrame - 1).text());
    assertEquals("init", announcing.get("type").asText(), "an init comes right before the first frame");
    assertEquals("image/jpeg", announcing.get("contentType").asText());
  }

  @Test
  void dataUriPublisherReachesBinaryViewers() {
    JdkWsClient viewer = connect("/ws/live/page");
    Await.until("subscribed", () -> registry.channel("page").subscriberCount() == 1);
    JdkWsClient publisher = connect("/ws/publish/page");
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3};
    publisher.sendText("data:image/png;base64," + Base64.getEncoder().encodeToString(png));
    Await.until("frame", () -> viewer.binaries().size() == 1);
    assertArrayEquals(png, viewer.binaries().get(0));
    assertEquals("image/png", registry.channel("page").latestFrame().orElseThrow().contentType());
  }

  @Test
  void lateJoinerGetsInitThenTheNewestFrameAtOnce() throws Exception {
    JdkWsClient publisher = connect("/ws/publish/late?type=image/jpeg");
    publisher.sendText("{\"type\":\"meta\",\"width\":320,\"height\":240}");
    for (int i = 0; i < 5; i++) {
      publisher.sendBinary(jpeg(i, 500));
    }
    Await.until("published", () -> registry.channel("late").stats().framesIn() == 5);
    JdkWsClient late = connect("/ws/live/late");
    Await.until("init and a frame", () -> late.count() == 2);
    JsonNode init = JSON.readTree(late.messages().get(0).text());
    assertEquals("image/jpeg", init.get("contentType").asText());
    assertEquals(320, init.get("width").asInt());
    assertEquals(240, init.get("height").asInt());
    assertEquals(5, init.get("lastSequence").asLong());
    assertArrayEquals(jpeg(4, 500), late.messages().get(1).binary(), "the newest frame, at once");
  }

  @Test
  void channelsStayIsolated() {
    JdkWsClient a = connect("/ws/live/a");
    JdkWsClient b = connect("/ws/live/b");
    Await.until("subscribed", () -> registry.channel("a").subscriberCount() == 1
        && registry.channel("b").subscriberCount() == 1);
    connect("/ws/publish/a").sendBinary(jpeg(1, 100));
    Await.until("a gets its frame", () -> a.binaries().size() == 1);
    connect("/ws/publish/b").sendBinary(jpeg(2, 100));
    Await.until("b gets its frame", () -> b.binaries().size() == 1);
    assertArrayEquals(jpeg(1, 100), a.binaries().get(0));
    assertArrayEquals(jpeg(2, 100), b.binaries().get(0));
    assertEquals(1, a.binaries().size());
  }

  @Test
  void badHandshakesAreRefusedWithAStatus() {
    assertEquals(400, JdkWsClient.refusedStatus(ws("/ws/live/bad%20name")));
    assertEquals(400, JdkWsClient.refusedStatus(ws("/ws/live/" + "x".repeat(65))));
    assertEquals(400, JdkWsClient.refusedStatus(ws("/ws/live/ok?format=gif")));
    assertEquals(400, JdkWsClient.refusedStatus(ws("/ws/publish/ok?type=notatype")));
    assertEquals(404, JdkWsClient.refusedStatus(ws("/ws/nothing/here")));
    // the server keeps serving
    JdkWsClient viewer = connect("/ws/live/ok");
    Await.until("init", () -> viewer.count() == 1);
  }

  @Test
  void undeclaredChannelIs404WhenChannelsMustBeDeclared() {
    try (ChannelRegistry strict = ChannelRegistry.builder().createOnDemand(false).build();
        FrameStreamServer s = FrameStreamServer.builder().port(0).registry(strict).build().start()) {
      strict.declare("known");
      assertEquals(404, JdkWsClient.refusedStatus(s.webSocketUri().resolve("/ws/live/unknown")));
      JdkWsClient ok = JdkWsClient.connect(s.webSocketUri().resolve("/ws/live/known"));
      clients.add(ok);
      Await.until("init", () -> ok.count() == 1);
    }
  }

  @Test
  void badMessagesCloseOnlyTheirPublisherWithAPreciseCode() {
    registry.declare("bad", ChannelConfig.builder().maxPublishers(10).build());
    JdkWsClient viewer = connect("/ws/live/bad");
    Await.until("subscribed", () -> registry.channel("bad").subscriberCount() == 1);
    JdkWsClient good = connect("/ws/publish/bad");

    JdkWsClient tooBig = connect("/ws/publish/bad");
    tooBig.sendBinary(jpeg(0, (1 << 20) + 1));
    assertEquals(1009, tooBig.closeCode(CLOSE_WAIT));
    assertTrue(tooBig.closeReason().contains("maxFrameBytes"), tooBig.closeReason());

    JdkWsClient badUri = connect("/ws/publish/bad");
    badUri.sendText("data:image/jpeg;base64,@@@@");
    assertEquals(1007, badUri.closeCode(CLOSE_WAIT));
    assertTrue(badUri.closeReason().contains("base64"), badUri.closeReason());

    JdkWsClient garbage = connect("/ws/publish/bad");
    garbage.sendBinary(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    assertEquals(1003, garbage.closeCode(CLOSE_WAIT));
    assertTrue(garbage.closeReason().contains("?type="), garbage.closeReason());

    JdkWsClient badJson = connect("/ws/publish/bad");
    badJson.sendText("{\"type\":\"meta\",");
    assertEquals(1007, badJson.closeCode(CLOSE_WAIT));

    JdkWsClient chatter = connect("/ws/publish/bad");
    chatter.sendText("hello");
    assertEquals(1003, chatter.closeCode(CLOSE_WAIT));

    JdkWsClient midMessage = connect("/ws/publish/bad");
    midMessage.abort(); // a client that disconnects without a close handshake

    good.sendBinary(jpeg(7, 300));
    Await.until("the good publisher still reaches the viewer", () -> viewer.binaries().size() == 1);
    assertArrayEquals(jpeg(7, 300), viewer.binaries().get(0));
    assertFalse(viewer.isClosed());
  }

  @Test
  void clientsThatVanishMidMessageLeaveNothingBehind() {
    JdkWsClient viewer = connect("/ws/live/gone");
    Await.until("subscribed", () -> registry.channel("gone").subscriberCount() == 1);
    for (int i = 0; i < 5; i++) {
      JdkWsClient publisher = connect("/ws/publish/gone");
      publisher.sendPartialBinary(jpeg(i, 50_000)); // first fragment of a message, then the socket dies
      publisher.abort();
      JdkWsClient vanishingViewer = connect("/ws/live/gone");
      vanishingViewer.abort();
      // One publisher per channel: the next one is refused (409) until the server has seen this one vanish.
      Await.until("the vanished publisher's slot is free", () -> registry.channel("gone").publisherCount() == 0);
    }
    Await.until(() -> "only the steady viewer is left: " + server.webSocket().openSessions() + " sessions, "
        + registry.channel("gone").subscriberCount() + " subscribers",
        () -> server.webSocket().openSessions() == 1 && registry.channel("gone").subscriberCount() == 1,
        Duration.ofSeconds(20));
    assertEquals(0, registry.channel("gone").stats().framesIn(), "no half message became a frame");
    connect("/ws/publish/gone").sendBinary(jpeg(9, 100));
    Await.until("the steady viewer still gets frames", () -> viewer.binaries().size() == 1);
  }

  @Test
  void apiReportsViewersFramesAndDrops() throws Exception {
    connect("/ws/live/api");
    connect("/ws/live/api?format=datauri");
    Await.until("subscribed", () -> registry.channel("api").subscriberCount() == 2);
    JdkWsClient publisher = connect("/ws/publish/api");
    for (int i = 0; i < 3; i++) {
      publisher.sendBinary(jpeg(i, 1000));
      long expected = 2L * (i + 1);
      Await.until("frame " + i + " delivered to both", () -> registry.channel("api").stats().framesOut() == expected);
    }
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> list = http.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, list.statusCode());
    assertTrue(list.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonNode channels = JSON.readTree(list.body()).get("channels");
    JsonNode api = null;
    for (JsonNode c : channels) {
      if (c.get("channel").asText().equals("api")) {
        api = c;
      }
    }
    assertEquals(2, api.get("subscribers").asInt());
    assertEquals(3, api.get("framesIn").asLong());
    assertEquals(6, api.get("framesOut").asLong());
    assertEquals(0, api.get("drops").get("SUPERSEDED").asLong());

    HttpResponse<String> one = http.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/api")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(3000, JSON.readTree(one.body()).get("bytesIn").asLong());
    HttpResponse<String> missing = http.send(
        HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/nope")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());
    assertTrue(JSON.readTree(missing.body()).get("error").asText().contains("nope"));
    HttpResponse<String> bad = http.send(
        HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/a%20b")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
  }

  @Test
  void apiFpsAndDropsMatchAPacedStreamAndABurst() throws Exception {
    JdkWsClient viewer = JdkWsClient.connectCounting(ws("/ws/live/rate"));
    clients.add(viewer);
    Await.until("subscribed", () -> registry.channel("rate").subscriberCount() == 1);
    JdkWsClient publisher = connect("/ws/publish/rate");
    long period = 1_000_000_000L / 20;
    long next = System.nanoTime();
    for (int i = 0; i < 50; i++) { // 2.5 s at 20 fps
      publisher.sendBinary(jpeg(i, 2000));
      next += period;
      Await.pace(next - System.nanoTime());
    }
    JsonNode paced = apiChannel("rate");
    double fpsIn = paced.get("fpsIn").asDouble();
    double fpsOut = paced.get("fpsOut").asDouble();
    assertTrue(fpsIn > 12 && fpsIn < 28, "published at 20 fps, API says fpsIn " + fpsIn);
    assertTrue(fpsOut > 12 && fpsOut < 28, "delivered at 20 fps, API says fpsOut " + fpsOut);
    assertEquals(1, paced.get("subscribers").asInt());

    for (int i = 50; i < 250; i++) { // a burst: newest wins for the viewer
      publisher.sendBinary(jpeg(i, 2000));
    }
    Await.until("burst published and the newest delivered", () -> registry.channel("rate").stats().framesIn() == 250
        && viewer.lastBinary() != null && java.util.Arrays.equals(viewer.lastBinary(), jpeg(249, 2000)));
    Await.until("nothing in flight", () -> registry.channel("rate").stats().inFlightFrames() == 0);
    JsonNode after = apiChannel("rate");
    long delivered = after.get("framesOut").asLong();
    long superseded = after.get("drops").get("SUPERSEDED").asLong();
    assertEquals(viewer.binaryCount(), delivered, "API framesOut = frames the viewer got");
    assertEquals(250, delivered + superseded, "every frame is delivered or counted as superseded");
  }

  private JsonNode apiChannel(String name) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/" + name)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return JSON.readTree(r.body());
  }

  @Test
  void closingTheServerSendsGoingAway() {
    JdkWsClient viewer = connect("/ws/live/bye");
    Await.until("init", () -> viewer.count() == 1);
    server.close();
    assertEquals(1001, viewer.closeCode(CLOSE_WAIT));
    server.close(); // idempotent
  }
}
