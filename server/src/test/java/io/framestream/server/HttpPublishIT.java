package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelState;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.core.FrameSink;
import io.framestream.core.wire.Fmp4Parser;
import io.framestream.edge.Authorizer;
import io.framestream.edge.BearerTokens;
import io.framestream.testkit.Await;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  @Test
  void w9_httpPublishingRecoversAfterItsChannelWasClosed() throws Exception {
    byte[] first = WebSocketServerIT.jpeg(1, 2000);
    assertEquals(204, post("/api/channels/again/frames", first, "Authorization", "Bearer " + TOKEN).statusCode());
    registry.channel("again").close(); // the registry forgets a closed channel; the HTTP handle is now stale

    JdkWsClient viewer = JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/again"));
    try {
      Await.until("subscribed to the new channel", () -> registry.channel("again").subscriberCount() == 1);
      byte[] second = WebSocketServerIT.jpeg(2, 2000);
      HttpResponse<String> r = post("/api/channels/again/frames", second, "Authorization", "Bearer " + TOKEN);
      assertEquals(204, r.statusCode(), r.body());
      Await.until("the frame reaches the viewer of the channel the registry now has",
          () -> viewer.binaryCount() == 1 && Arrays.equals(second, viewer.lastBinary()));
      assertEquals(Optional.of(ChannelState.ONLINE), registry.channel("again").state());
    } finally {
      viewer.abort();
    }
  }

  @Test
  void w9_httpPostedFragmentsAreMarkedKeyOrDelta() throws Exception {
    Path sample = Path.of("..", "core", "src", "test", "resources", "fmp4", "avc-frag-every-frame.mp4");
    List<Fmp4Parser.Segment> segments = new ArrayList<>();
    Fmp4Parser parser = new Fmp4Parser(new ByteArrayInputStream(Files.readAllBytes(sample)),
        Fmp4Parser.DEFAULT_MAX_INIT_BYTES, Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES);
    try {
      for (int i = 0; i < 1000; i++) {
        segments.add(parser.next());
      }
    } catch (EOFException end) {
      // all read
    }
    List<FrameKind> expected = segments.stream().map(Fmp4Parser.Segment::kind).toList();
    assertTrue(expected.contains(FrameKind.DELTA) && expected.contains(FrameKind.KEY), expected.toString());

    List<FrameKind> published = new ArrayList<>();
    registry.declare("vid", ChannelConfig.builder().maxPublishFps(240).build())
        .subscribe(FrameSink.of((Frame f) -> {
          synchronized (published) {
            published.add(f.kind());
          }
        }));
    for (int i = 0; i < segments.size(); i++) {
      HttpResponse<String> r = post("/api/channels/vid/frames", segments.get(i).bytes(),
          "Authorization", "Bearer " + TOKEN);
      assertEquals(204, r.statusCode(), "segment " + i + ": " + r.body());
      int n = i + 1;
      Await.until("segment " + i + " published", () -> {
        synchronized (published) {
          return published.size() == n;
        }
      });
    }
    assertEquals(expected, published, "kinds as published into the channel");
  }

  @Test
  void w9_chunkedBodiesAreReadAndBoundedByMaxFrameBytes() throws Exception {
    byte[] jpeg = WebSocketServerIT.jpeg(1, 40_000);
    HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/api/channels/chunked/frames"))
        .header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(jpeg))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(204, ok.statusCode(), ok.body());
    assertArrayEquals(jpeg, registry.channel("chunked").latestFrame().orElseThrow().copyPayload());

    // Over maxFrameBytes (64 KiB): refused with 413 once the running total passes it, and closed.
    try (java.net.Socket s = new java.net.Socket(server.httpUri().getHost(), server.httpUri().getPort())) {
      s.setSoTimeout(5000);
      java.io.OutputStream out = s.getOutputStream();
      out.write(("POST /api/channels/chunked/frames HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] chunk = new byte[16 * 1024];
      int sent = 0;
      try {
        for (int i = 0; i < 5; i++) { // 80 KiB, never finished
          out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          out.flush();
          sent += chunk.length;
        }
      } catch (java.io.IOException closed) {
        // the server may close while we still send
      }
      byte[] answer = s.getInputStream().readNBytes(12);
      String status = new String(answer, java.nio.charset.StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", status, "after " + sent + " bytes");
    }
  }

  /**
   * Sends the head of a POST declaring a 1 GiB body and the first few KB of it, then reads what comes back
   * until the server closes the connection. Fails if it does not close within a few seconds: a kept-alive
   * connection would have the server read and discard the whole declared body.
   */
  private String refusedBeforeTheBody(String authorization) throws Exception {
    return refusedBeforeTheBody("POST /api/channels/huge/frames", authorization);
  }

  private String refusedBeforeTheBody(String requestLine, String authorization) throws Exception {
    try (java.net.Socket s = new java.net.Socket(server.httpUri().getHost(), server.httpUri().getPort())) {
      s.setSoTimeout(1000);
      byte[] head = (requestLine + " HTTP/1.1\r\nHost: x\r\n" + authorization
          + "Content-Type: image/jpeg\r\nContent-Length: " + (1L << 30) + "\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] start = Arrays.copyOf(head, head.length + 4 * 1024); // the head and the first 4 KB, in one write
      s.getOutputStream().write(start);
      s.getOutputStream().flush();
      java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      byte[] buf = new byte[4096];
      while (true) {
        int n;
        try {
          n = s.getInputStream().read(buf);
        } catch (java.net.SocketTimeoutException stillOpen) {
          String sofar = answer.toString(java.nio.charset.StandardCharsets.US_ASCII);
          assertTrue(System.nanoTime() - deadline < 0,
              "the connection is still open 10 s after the answer: " + sofar);
          continue;
        } catch (java.net.SocketException reset) {
          break; // closed while our unread bytes were in its buffer: a reset is a close too
        }
        if (n < 0) {
          break;
        }
        answer.write(buf, 0, n);
      }
      return answer.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }
  }

  @Test
  void h1_aRefusalBeforeTheBodyClosesTheConnection() throws Exception {
    String tooBig = refusedBeforeTheBody("Authorization: Bearer " + TOKEN + "\r\n");
    assertTrue(tooBig.startsWith("HTTP/1.1 413"), tooBig);
    assertTrue(tooBig.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), tooBig);
    assertTrue(tooBig.contains("maxFrameBytes"), tooBig);

    String wrongToken = refusedBeforeTheBody("Authorization: Bearer wrong-" + TOKEN + "\r\n");
    assertTrue(wrongToken.startsWith("HTTP/1.1 401"), wrongToken);
    assertTrue(wrongToken.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), wrongToken);

    for (String line : new String[] {"POST /api/channels/bad!name/frames", "PUT /api/channels/huge/frames",
        "POST /api/channels", "POST /api/nothing"}) {
      String api = refusedBeforeTheBody(line, "");
      assertTrue(api.matches("(?s)HTTP/1.1 40[045].*") && api.toLowerCase(java.util.Locale.ROOT)
          .contains("connection: close"), line + ": " + api);
    }

    // A refused request without a body keeps its connection: nothing is left unread.
    HttpResponse<String> noBody = post("/api/channels/x/frames", new byte[0]);
    assertEquals(401, noBody.statusCode());
  }
}
