package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static io.framestream.transport.sse.Refusals.assertError;
import static io.framestream.transport.sse.TestBytes.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.edge.AccessDecision;
import io.framestream.edge.AccessGate;
import io.framestream.edge.BearerTokens;
import io.framestream.edge.TrustedProxies;
import io.framestream.transport.sse.internal.GrizzlyEventOutput;
import io.framestream.transport.sse.internal.SseEvents;
import io.framestream.transport.sse.internal.SseViewer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SSE handler on a real Grizzly server, checked byte for byte with raw sockets. */
class SseHandlerIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private ChannelRegistry registry;
  private SseHandler handler;
  private TestServer server;

  @BeforeEach
  void start() throws IOException {
    registry = ChannelRegistry.builder().build();
    handler = SseHandler.builder(registry).heartbeat(Duration.ofSeconds(15)).retry(Duration.ofMillis(1500)).build();
    server = TestServer.start(handler);
  }

  @AfterEach
  void stop() {
    handler.close();
    server.close();
    registry.close();
  }


  @Test
  void stream_hasTheHeadersThenRetryThenInitThenTheNewestFrameThenLiveFrames() throws Exception {
    Channel cam = registry.channel("cam1");
    byte[] first = payload(3000, 1);
    cam.publish(Frame.builder(first).contentType("image/jpeg").dimensions(640, 480).build());

    try (RawSse sse = RawSse.open(server.port, "/sse/cam1")) {
      assertEquals("HTTP/1.1 200 OK", sse.statusLine);
      assertEquals("text/event-stream; charset=utf-8", sse.headers.get("content-type"), sse.headers.toString());
      assertEquals("no-cache", sse.headers.get("cache-control"));
      assertEquals("no", sse.headers.get("x-accel-buffering"));
      assertEquals("chunked", sse.headers.get("transfer-encoding"));

      assertEquals("retry: 1500\n\n", sse.readBlock());
      String init = sse.readBlock();
      assertTrue(init.startsWith("event: init\ndata: {"), init);
      JsonNode json = JSON.readTree(init.substring("event: init\ndata: ".length()).trim());
      assertEquals("init", json.get("type").asText());
      assertEquals("cam1", json.get("channel").asText());
      assertEquals("image/jpeg", json.get("contentType").asText());
      assertEquals(640, json.get("width").asInt());
      assertEquals(480, json.get("height").asInt());
      assertEquals(1, json.get("lastSequence").asLong());
      assertFalse(json.has("skipped"));

      assertEquals("id: 1\nevent: data\ndata: data:image/jpeg;base64,"
          + Base64.getEncoder().encodeToString(first) + "\n\n", sse.readBlock());

      byte[] second = payload(70_000, 2);
      cam.publish(Frame.of("image/png", second));
      assertEquals("id: 2\nevent: data\ndata: data:image/png;base64,"
          + Base64.getEncoder().encodeToString(second) + "\n\n", sse.readBlock());
    }
  }

  @Test
  void base64Format_sendsBarePayloadsAndAnEmptyChannelGetsAnInitWithoutType() throws Exception {
    Channel cam = registry.channel("cam2");
    try (RawSse sse = RawSse.open(server.port, "/sse/cam2?format=base64")) {
      assertEquals("retry: 1500\n\n", sse.readBlock());
      String init = sse.readBlock();
      JsonNode json = JSON.readTree(init.substring(init.indexOf('{')).trim());
      assertEquals("cam2", json.get("channel").asText());
      assertFalse(json.has("contentType"), init);
      assertEquals(0, json.get("lastSequence").asLong());

      until("subscribed", () -> cam.subscriberCount() == 1);
      byte[] p = payload(1234, 3);
      cam.publish(Frame.of("image/webp", p));
      assertEquals("id: 1\nevent: data\ndata: " + Base64.getEncoder().encodeToString(p) + "\n\n", sse.readBlock());
    }
  }

  @Test
  void initFrame_isSentAsAnInitEventWithTheSegment_neverAsData_andNoSynthesizedInit() throws Exception {
    Channel video = registry.channel("video");
    byte[] initSeg = payload(700, 4);
    byte[] key = payload(5000, 5);
    video.publish(Frame.builder(initSeg).contentType("video/mp4").kind(FrameKind.INIT)
        .codec("avc1.42E01E").dimensions(320, 240).build());
    video.publish(Frame.builder(key).contentType("video/mp4").kind(FrameKind.KEY).build());

    try (RawSse sse = RawSse.open(server.port, "/sse/video")) {
      assertEquals("retry: 1500\n\n", sse.readBlock());
      String init = sse.readBlock();
      assertTrue(init.startsWith("id: 1\nevent: init\ndata: {"), init);
      JsonNode json = JSON.readTree(init.substring(init.indexOf('{')).trim());
      assertEquals("video/mp4", json.get("contentType").asText());
      assertEquals("avc1.42E01E", json.get("codec").asText());
      assertEquals(Base64.getEncoder().encodeToString(initSeg), json.get("initSegment").asText());
      assertEquals("id: 2\nevent: data\ndata: data:video/mp4;base64," + Base64.getEncoder().encodeToString(key)
          + "\n\n", sse.readBlock());

      byte[] init2 = payload(600, 6);
      video.publish(Frame.builder(init2).contentType("video/mp4").kind(FrameKind.INIT).build());
      String live = sse.readBlock();
      assertTrue(live.startsWith("id: 3\nevent: init\ndata: {"), live);
      assertTrue(live.contains(Base64.getEncoder().encodeToString(init2)), live);
    }
  }

  @Test
  void lastEventIdHeader_reportsSkippedFramesAndSendsTheNewestAtOnce() throws Exception {
    Channel cam = registry.channel("cam3");
    for (int i = 0; i < 10; i++) {
      cam.publish(Frame.of("image/jpeg", payload(100, i)));
    }
    try (RawSse sse = RawSse.open(server.port, "/sse/cam3", "Last-Event-ID: 4")) {
      sse.readBlock();
      String init = sse.readBlock();
      JsonNode json = JSON.readTree(init.substring(init.indexOf('{')).trim());
      assertEquals(5, json.get("skipped").asLong(), init); // 5..9 missed; 10 comes next
      assertTrue(sse.readBlock().startsWith("id: 10\nevent: data\n"));
    }
    try (RawSse sse = RawSse.open(server.port, "/sse/cam3?lastEventId=9")) {
      sse.readBlock();
      String init = sse.readBlock();
      assertEquals(0, JSON.readTree(init.substring(init.indexOf('{')).trim()).get("skipped").asLong());
      assertTrue(sse.readBlock().startsWith("id: 10\n"));
    }
  }

  @Test
  void lastEventId_onAChannelWithAnInitFrame_putsSkippedIntoThatInitEvent() throws Exception {
    Channel video = registry.channel("video2");
    video.publish(Frame.builder(payload(50, 1)).contentType("video/mp4").kind(FrameKind.INIT).build());
    for (int i = 0; i < 5; i++) {
      video.publish(Frame.builder(payload(80, i)).contentType("video/mp4").kind(FrameKind.KEY).build());
    }
    try (RawSse sse = RawSse.open(server.port, "/sse/video2", "Last-Event-ID: 2")) {
      sse.readBlock();
      String init = sse.readBlock();
      assertTrue(init.startsWith("id: 1\nevent: init\n"), init);
      JsonNode json = JSON.readTree(init.substring(init.indexOf('{')).trim());
      assertEquals(3, json.get("skipped").asLong(), init); // 3, 4, 5 missed; 6 comes next
      assertTrue(json.has("initSegment"));
      assertTrue(sse.readBlock().startsWith("id: 6\nevent: data\n"));
    }
  }

  @Test
  void eventBytes_areBuiltOncePerFrameAndFormat_andSharedByEveryViewer() throws Exception {
    Channel cam = registry.channel("shared");
    int viewers = 6;
    List<RawSse> raw = new ArrayList<>();
    try {
      for (int i = 0; i < viewers; i++) {
        raw.add(RawSse.open(server.port, "/sse/shared" + (i % 2 == 0 ? "" : "?format=base64")));
      }
      for (RawSse r : raw) {
        r.readBlock();
        r.readBlock();
      }
      until("all subscribed", () -> cam.subscriberCount() == viewers);
      long before = SseEvents.encoderRuns();
      Frame published = cam.publish(Frame.of("image/jpeg", payload(20_000, 9)));
      for (RawSse r : raw) {
        assertTrue(r.readBlock().startsWith("id: 1\nevent: data\n"));
      }
      assertEquals(2, SseEvents.encoderRuns() - before, "one encoding per format, not per viewer");
      assertTrue(published.isEncoded(SseEvents.DATA_URI_EVENT));
      assertTrue(published.isEncoded(SseEvents.BASE64_EVENT));
      assertSame(published.encoded(SseEvents.DATA_URI_EVENT), published.encoded(SseEvents.DATA_URI_EVENT));
    } finally {
      for (RawSse r : raw) {
        r.close();
      }
    }
  }

  @Test
  void heartbeat_commentsReachIdleViewers() throws Exception {
    SseHandler fast = SseHandler.builder(registry).heartbeat(Duration.ofMillis(200)).build();
    try (TestServer s2 = TestServer.start(fast); RawSse sse = RawSse.open(s2.port, "/sse/quiet")) {
      sse.readBlock();
      sse.readBlock();
      assertEquals(": hb\n\n", sse.readBlock());
      assertEquals(": hb\n\n", sse.readBlock());
    } finally {
      fast.close();
    }
  }

  @Test
  void httpClientHttp11_seesTheEventStreamContentType() throws Exception {
    registry.channel("cam4").publish(Frame.of("image/jpeg", payload(10, 1)));
    HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url("/sse/cam4")))
        .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    try (java.io.InputStream in = r.body()) {
      assertEquals(200, r.statusCode());
      assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
      byte[] start = in.readNBytes("retry: 1500\n\n".length());
      assertEquals("retry: 1500\n\n", new String(start, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void badInput_getsAPreciseStatusWithAJsonBody() throws Exception {
    assertError(get("/sse/bad%20name"), 400, "invalid channel name");
    assertError(get("/sse/" + "x".repeat(65)), 400, "longer than 64");
    assertError(get("/sse/a/b"), 400, "invalid channel name");
    assertError(get("/sse/ok?format=png"), 400, "unknown format");
    assertError(get("/sse/"), 404, "no channel");
    assertError(get("/sse"), 404, "no channel");
    HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(server.url("/sse/ok")))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertError(post, 405, "not allowed");
    assertEquals("GET", post.headers().firstValue("allow").orElse(""));
    assertEquals(0, handler.viewerCount());
  }

  @Test
  void undeclaredChannel_whenChannelsMustBeDeclared_is404() throws Exception {
    try (ChannelRegistry strict = ChannelRegistry.builder().createOnDemand(false).build()) {
      strict.declare("known");
      SseHandler h = SseHandler.builder(strict).build();
      try (TestServer s2 = TestServer.start(h)) {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s2.url("/sse/unknown"))).build(),
            HttpResponse.BodyHandlers.ofString());
        assertError(r, 404, "unknown");
        try (RawSse sse = RawSse.open(s2.port, "/sse/known")) {
          assertEquals("HTTP/1.1 200 OK", sse.statusLine);
        }
      } finally {
        h.close();
      }
    }
  }

  @Test
  void close_endsEveryStreamAndLaterRequestsGet503() throws Exception {
    Channel cam = registry.channel("cam5");
    try (RawSse a = RawSse.open(server.port, "/sse/cam5"); RawSse b = RawSse.open(server.port, "/sse/cam5")) {
      a.readBlock();
      a.readBlock();
      b.readBlock();
      b.readBlock();
      until("two viewers", () -> handler.viewerCount() == 2 && cam.subscriberCount() == 2);
      handler.close();
      assertEquals(-1, a.read(), "the response ends with the last chunk");
      assertEquals(-1, b.read());
      until("no viewers left", () -> handler.viewerCount() == 0, Duration.ofSeconds(5));
      until("unsubscribed", () -> cam.subscriberCount() == 0);
      assertError(get("/sse/cam5"), 503, "shutting down");
    }
  }

  @Test
  void peerClosing_unsubscribesTheViewerAtOnce() throws Exception {
    Channel cam = registry.channel("cam6");
    RawSse sse = RawSse.open(server.port, "/sse/cam6");
    sse.readBlock();
    until("subscribed", () -> cam.subscriberCount() == 1);
    sse.close();
    until("unsubscribed after the peer left", () -> cam.subscriberCount() == 0 && handler.viewerCount() == 0);
  }

  @Test
  void bytesSentAfterTheRequest_affectOnlyThatClient() throws Exception {
    Channel cam = registry.channel("cam8");
    try (RawSse good = RawSse.open(server.port, "/sse/cam8"); RawSse junk = RawSse.open(server.port, "/sse/cam8")) {
      good.readBlock();
      good.readBlock();
      junk.readBlock();
      byte[] garbage = payload(100_000, 77);
      junk.socket.getOutputStream().write("GET /sse/cam8 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(
          java.nio.charset.StandardCharsets.US_ASCII));
      junk.socket.getOutputStream().write(garbage);
      junk.socket.getOutputStream().flush();
      until("subscribed", () -> cam.subscriberCount() >= 1);
      for (int i = 1; i <= 3; i++) {
        cam.publish(Frame.of("image/jpeg", payload(1000, i)));
        assertTrue(good.readBlock().startsWith("id: " + i + "\nevent: data\n"));
      }
    }
    // The well-behaved viewer's close is seen at once; the server still serves new viewers.
    until("the good viewer gone", () -> handler.viewerCount() <= 1);
    try (RawSse again = RawSse.open(server.port, "/sse/cam8")) {
      assertEquals("HTTP/1.1 200 OK", again.statusLine);
    }
  }

  @Test
  void channelClosing_endsTheStreamGracefully() throws Exception {
    Channel cam = registry.channel("cam7");
    try (RawSse sse = RawSse.open(server.port, "/sse/cam7")) {
      sse.readBlock();
      sse.readBlock();
      until("subscribed", () -> handler.viewerCount() == 1);
      cam.close();
      assertEquals(-1, sse.read());
      until("viewer gone", () -> handler.viewerCount() == 0);
      for (SseViewer v : handler.viewers()) {
        assertTrue(v.isEnded());
      }
    }
  }

  @Test
  void eventsAfterTheHead_goStraightToTheConnectionAsExactChunks_andTheLastChunkEndsTheBody() throws Exception {
    Channel cam = registry.channel("direct");
    long before = GrizzlyEventOutput.directWrites();
    try (RawSse sse = RawSse.open(server.port, "/sse/direct?format=base64")) {
      assertEquals("chunked", sse.headers.get("transfer-encoding"));
      StringBuilder preamble = new StringBuilder();
      for (int i = 0; i < 8 && !preamble.toString().contains("event: init"); i++) {
        preamble.append(new String(sse.readChunkStrictly(), StandardCharsets.UTF_8));
      }
      assertTrue(preamble.toString().startsWith("retry: 1500\n\n"), preamble.toString());
      until("subscribed", () -> handler.viewerCount() == 1);
      for (int i = 1; i <= 3; i++) {
        byte[] payload = payload(i == 2 ? 0x1_0000 : 900 * i, i); // 64 KiB: a size line of five hex digits
        cam.publish(Frame.of("image/jpeg", payload));
        assertEquals("id: " + i + "\nevent: data\ndata: " + Base64.getEncoder().encodeToString(payload) + "\n\n",
            new String(sse.readChunkStrictly(), StandardCharsets.US_ASCII));
      }
      // the write that commits the head decides; the events after it are direct
      assertTrue(GrizzlyEventOutput.directWrites() >= before + 2,
          "events written through the output stream: " + (GrizzlyEventOutput.directWrites() - before));
      cam.close();
      assertEquals(0, sse.readChunkStrictly().length, "the last chunk");
    }
  }

  @Test
  void anHttp10Peer_getsTheEventsUnchunkedThroughTheOutputStream() throws Exception {
    Channel cam = registry.channel("old");
    long before = GrizzlyEventOutput.directWrites();
    try (Socket s = new Socket("127.0.0.1", server.port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write("GET /sse/old?format=base64 HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = new BufferedInputStream(s.getInputStream());
      until("subscribed", () -> handler.viewerCount() == 1);
      byte[] payload = payload(5000, 7);
      cam.publish(Frame.of("image/jpeg", payload));
      String expected = "id: 1\nevent: data\ndata: " + Base64.getEncoder().encodeToString(payload) + "\n\n";
      StringBuilder seen = new StringBuilder();
      for (int i = 0; i < 1 << 20 && !seen.toString().endsWith(expected); i++) {
        int b = in.read();
        assertTrue(b >= 0, "EOF after: " + seen);
        seen.append((char) b);
      }
      String text = seen.toString();
      assertTrue(text.startsWith("HTTP/1.1 200"), text);
      assertFalse(text.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked"), text);
      assertTrue(text.contains("\r\n\r\nretry: 1500\n\n"), "an unchunked body: " + text);
    }
    assertEquals(before, GrizzlyEventOutput.directWrites());
  }

  @Test
  void w6_theGateRefusesBeforeAnyChannelIsCreated_401WithAChallenge_403ForAForeignOrigin() throws Exception {
    String token = "sse-test-token-0123456789";
    AccessGate gate = AccessGate.builder().authorizer(BearerTokens.of(token))
        .allowedOrigins(List.of("https://cams.example.com")).build();
    SseHandler guarded = SseHandler.builder(registry).accessGate(gate).build();
    try (TestServer s2 = TestServer.start(guarded)) {
      HttpResponse<String> none = HTTP.send(HttpRequest.newBuilder(URI.create(s2.url("/sse/locked"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertError(none, 401, "");
      assertEquals("Bearer", none.headers().firstValue("www-authenticate").orElse(""));
      HttpResponse<String> foreign = HTTP.send(HttpRequest.newBuilder(URI.create(s2.url("/sse/locked?token=" + token)))
          .header("Origin", "https://evil.example.com").build(), HttpResponse.BodyHandlers.ofString());
      assertError(foreign, 403, "origin");
      assertTrue(registry.find("locked").isEmpty(), "no channel created for a refused request");
      try (RawSse ok = RawSse.open(s2.port, "/sse/locked?token=" + token, "Origin: https://cams.example.com")) {
        assertEquals("HTTP/1.1 200 OK", ok.statusLine);
      }
    } finally {
      guarded.close();
    }
  }

  @Test
  void h3_behindATrustedProxy_theGateSeesTheForwardedClient() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    AccessGate gate = AccessGate.builder().trustedProxies(TrustedProxies.of("127.0.0.1"))
        .authorizer(r -> {
          seen.add(r.remoteAddress());
          return AccessDecision.ALLOW;
        }).build();
    SseHandler proxied = SseHandler.builder(registry).accessGate(gate).build();
    try (TestServer s2 = TestServer.start(proxied);
        RawSse sse = RawSse.open(s2.port, "/sse/behind", "X-Forwarded-For: 198.51.100.7")) {
      assertEquals("HTTP/1.1 200 OK", sse.statusLine);
      assertEquals(List.of("198.51.100.7"), seen);
    } finally {
      proxied.close();
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(server.url(path))).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
