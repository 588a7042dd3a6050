package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static io.framestream.transport.sse.Refusals.assertError;
import static io.framestream.transport.sse.TestBytes.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.edge.AccessGate;
import io.framestream.edge.BearerTokens;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.internal.SseEvents;
import io.framestream.transport.sse.internal.SseViewer;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SseServlet} in a real embedded Jetty 12 (ee10): what is particular to the Servlet host. The rules
 * both hosts share are run over both by the conformance suite; here: the same wire as Grizzly, async
 * non-blocking writes with a bounded queue against a peer that never reads, peer-gone detection through
 * failed writes, refusals before async starts, and shutdown.
 */
class SseServletIT {

  private static final System.Logger LOG = System.getLogger(SseServletIT.class.getName());

  // A fresh registry and servlet per test (JUnit makes an instance per test method).
  private final ChannelRegistry registry = ChannelRegistry.builder().build();
  private final SseServlet servlet =
      SseServlet.builder(registry).retry(Duration.ofMillis(1500)).heartbeat(Duration.ofMillis(300)).build();
  private JettyTestServer jetty;

  @BeforeEach
  void startJetty() throws Exception {
    jetty = JettyTestServer.start(servlet);
  }

  @AfterEach
  void stop() throws Exception {
    servlet.close();
    jetty.close();
    registry.close();
  }


  private HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(jetty.url(path))).timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return SseLines.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Reads the next event that is not a heartbeat comment. */
  private static String nextEvent(RawSse sse) throws IOException {
    String block = sse.readBlock();
    while (block.equals(": hb\n\n")) {
      block = sse.readBlock();
    }
    return block;
  }

  @Test
  void e1_theBodyIsByteForByteGrizzlys_andEachEventIsEncodedOnceForBothHosts() throws Exception {
    SseHandler handler = SseHandler.builder(registry).retry(Duration.ofMillis(1500)).build();
    Channel cam = registry.channel("same");
    cam.publish(Frame.builder(payload(3000, 1)).contentType("image/jpeg").dimensions(640, 480).build());
    try (TestServer grizzly = TestServer.start(handler);
        RawSse viaJetty = RawSse.open(jetty.port(), "/sse/same");
        RawSse viaGrizzly = RawSse.open(grizzly.port, "/sse/same")) {
      assertEquals("HTTP/1.1 200 OK", viaJetty.statusLine);
      assertEquals("text/event-stream;charset=utf-8",
          viaJetty.headers.get("content-type").replace(" ", "").toLowerCase(java.util.Locale.ROOT));
      assertEquals("no-cache", viaJetty.headers.get("cache-control"));
      assertEquals("no", viaJetty.headers.get("x-accel-buffering"));
      assertEquals("chunked", viaJetty.headers.get("transfer-encoding"), viaJetty.headers.toString());

      for (int i = 0; i < 3; i++) { // retry, init, the newest frame
        assertEquals(nextEvent(viaGrizzly), nextEvent(viaJetty));
      }
      until("both subscribed", () -> cam.subscriberCount() == 2);
      long before = SseEvents.encoderRuns();
      cam.publish(Frame.of("image/png", payload(70_000, 2)));
      String live = nextEvent(viaJetty);
      assertTrue(live.startsWith("id: 2\nevent: data\ndata: data:image/png;base64,"), live);
      assertEquals(live, nextEvent(viaGrizzly));
      assertEquals(1, SseEvents.encoderRuns() - before, "one encoding for the viewers of both hosts");
    } finally {
      handler.close();
    }
  }

  @Test
  void c4_aLateJoinerWithTheJdkClient_getsInitThenTheNewestFrame_thenLiveFrames() throws Exception {
    Channel cam = registry.channel("late");
    for (int i = 1; i <= 5; i++) {
      cam.publish(Frame.of("image/jpeg", payload(500, i)));
    }
    try (SseLines sse = SseLines.open(jetty.url("/sse/late"))) {
      assertEquals(200, sse.response.statusCode());
      assertEquals("retry: 1500\n", sse.next());
      String init = sse.next();
      assertTrue(init.startsWith("event: init\ndata: {\"type\":\"init\",\"channel\":\"late\""), init);
      assertTrue(init.contains("\"lastSequence\":5"), init);
      assertTrue(sse.next().startsWith("id: 5\nevent: data\ndata: data:image/jpeg;base64,"));
      until("subscribed", () -> cam.subscriberCount() == 1);
      for (int i = 6; i <= 8; i++) {
        cam.publish(Frame.of("image/jpeg", payload(40_000, i)));
        String event = sse.next();
        while (event.startsWith(": hb")) {
          event = sse.next();
        }
        assertTrue(event.startsWith("id: " + i + "\nevent: data\n"), event);
      }
    }
  }

  @Test
  void w6_refusalsAnswerBeforeAsyncStarts_withTheirStatusAndTheJsonBody() throws Exception {
    String token = "servlet-test-token-0123456789";
    ChannelConfig oneViewer = ChannelConfig.builder().maxSubscribers(1).build();
    try (ChannelRegistry limited = ChannelRegistry.builder().channelDefaults(oneViewer).build()) {
      SseServlet guarded = SseServlet.builder(limited).accessGate(AccessGate.builder()
          .authorizer(BearerTokens.of(token)).allowedOrigins(List.of("https://cams.example.com")).build()).build();
      SseServlet noAsync = SseServlet.builder(limited).build();
      try (JettyTestServer other = JettyTestServer.builder(Duration.ofSeconds(30))
          .add("/sse/*", guarded, true).add("/plain/*", noAsync, false).start()) {
        jetty.close();
        jetty = other;
        assertError(get("/sse/cam?token=" + token + "&format=png"), 400, "unknown format");
        assertError(get("/sse/bad%20name?token=" + token), 400, "invalid channel name");
        assertError(get("/sse/?token=" + token), 404, "no channel");
        HttpResponse<String> none = get("/sse/cam");
        assertError(none, 401, "");
        assertEquals("Bearer", none.headers().firstValue("www-authenticate").orElse(""));
        assertError(get("/sse/cam?token=" + token, "Origin", "https://evil.example.com"), 403, "origin");
        assertTrue(limited.find("cam").isEmpty(), "no channel was created for a refused request");
        HttpResponse<String> post = SseLines.HTTP.send(HttpRequest.newBuilder(URI.create(other.url("/sse/cam")))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(post, 405, "not allowed");
        assertEquals("GET", post.headers().firstValue("allow").orElse(""));
        try (RawSse first = RawSse.open(other.port(), "/sse/cam?token=" + token)) {
          assertEquals("HTTP/1.1 200 OK", first.statusLine);
          assertError(get("/sse/cam?token=" + token), 429, "");
        }
        assertError(get("/plain/cam"), 500, "async");
        guarded.close();
        assertError(get("/sse/cam?token=" + token), 503, "shutting down");
        assertEquals(0, noAsync.viewerCount());
      } finally {
        guarded.close();
        noAsync.close();
      }
    }
  }

  @Test
  void heartbeatsComeFromTheTimerThread_andAPeerThatLeftIsNoticedByTheNextFailedWrite() throws Exception {
    Channel quiet = registry.channel("quiet");
    RawSse sse = RawSse.open(jetty.port(), "/sse/quiet");
    sse.readBlock();
    sse.readBlock();
    assertEquals(": hb\n\n", sse.readBlock());
    assertEquals(": hb\n\n", sse.readBlock());
    until("subscribed", () -> quiet.subscriberCount() == 1 && servlet.viewerCount() == 1);
    sse.close();
    // No write is pending on an idle stream, so the container cannot tell; a heartbeat (300 ms) fails.
    until("the viewer ended after its peer left", () -> servlet.viewerCount() == 0 && quiet.subscriberCount() == 0,
        Duration.ofSeconds(10));
  }

  @Test
  void close_endsEveryStreamGracefully_withTheLastChunk_andLaterRequestsGet503() throws Exception {
    Channel cam = registry.channel("bye");
    try (RawSse a = RawSse.open(jetty.port(), "/sse/bye"); RawSse b = RawSse.open(jetty.port(), "/sse/bye")) {
      a.readBlock();
      b.readBlock();
      until("two viewers", () -> servlet.viewerCount() == 2 && cam.subscriberCount() == 2);
      servlet.close();
      assertEquals(-1, drainToEndOfBody(a), "the chunked body ends");
      assertEquals(-1, drainToEndOfBody(b));
      until("no viewers left", () -> servlet.viewerCount() == 0 && cam.subscriberCount() == 0);
      assertError(get("/sse/bye"), 503, "shutting down");
    }
  }

  @Test
  void stoppingTheContainer_destroysTheServlet_whichEndsItsStreams() throws Exception {
    Channel cam = registry.channel("stop");
    try (RawSse sse = RawSse.open(jetty.port(), "/sse/stop")) {
      sse.readBlock();
      until("subscribed", () -> cam.subscriberCount() == 1);
      jetty.close();
      assertTrue(servlet.isClosed(), "destroy() closed the servlet");
      until("unsubscribed", () -> cam.subscriberCount() == 0 && servlet.viewerCount() == 0);
    }
  }

  /** Reads the rest of an SSE body, skipping heartbeats; returns what the end looked like (-1). */
  private static int drainToEndOfBody(RawSse sse) throws IOException {
    byte[] buf = new byte[8192];
    int n;
    do {
      n = sse.read(buf);
    } while (n >= 0);
    return n;
  }

  @Test
  void aStalledReader_neitherDelaysAHealthyViewer_norHoldsMoreThanItsQueueBound_andIsEnded() throws Exception {
    int limit = 256 * 1024; // room for about four 67 KB events, so a busy but healthy reader loses none
    ChannelConfig config = ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build();
    // One delivery thread: a write that blocked on the stalled peer would stop the healthy viewer too.
    try (ChannelRegistry load = ChannelRegistry.builder().channelDefaults(config).deliveryThreads(1).build()) {
      SseServlet bounded = SseServlet.builder(load).writeQueueLimit(limit).heartbeat(Duration.ofSeconds(1)).build();
      try (JettyTestServer server = JettyTestServer.builder(Duration.ofSeconds(3)).add("/sse/*", bounded, true)
          .start(); SseLines healthy = SseLines.open(server.url("/sse/load"))) {
        Channel channel = load.channel("load");
        healthy.next();
        healthy.next();
        Socket stalled = RawSse.send(server.port(), "/sse/load", 4096);
        until("both subscribed", () -> channel.subscriberCount() == 2 && bounded.viewerCount() == 2);

        List<Long> received = new ArrayList<>();
        Thread reader = new Thread(() -> {
          try {
            for (;;) {
              String e = healthy.next();
              if (e.startsWith("id: ")) {
                synchronized (received) {
                  received.add(Long.parseLong(e.substring(4, e.indexOf('\n'))));
                }
              }
            }
          } catch (AssertionError | InterruptedException | RuntimeException end) {
            // the stream ended at the end of the test
          }
        }, "healthy-reader");
        reader.setDaemon(true);
        reader.start();

        byte[][] payloads = new byte[4][];
        for (int i = 0; i < payloads.length; i++) {
          payloads[i] = payload(50_000, i);
        }
        int eventBytes = Frame.of("image/jpeg", payloads[0]).dataUri().length() + 32;
        long period = TimeUnit.SECONDS.toNanos(1) / 30;
        long start = System.nanoTime();
        long maxHeld = 0;
        long evictedAt = 0;
        long closedAt = 0;
        long first = -1;
        long last = -1;
        for (int i = 0; i < 150; i++) { // 5 s at 30 fps
          long wait = start + i * period - System.nanoTime();
          if (wait > 0) {
            Await.pace(wait);
          }
          Frame f = channel.publish(Frame.of("image/jpeg", payloads[i % payloads.length]));
          first = first < 0 ? f.sequence() : first;
          last = f.sequence();
          for (SseViewer v : bounded.endpoint().viewers()) {
            maxHeld = Math.max(maxHeld, v.heldBytes());
          }
          evictedAt = evictedAt == 0 && bounded.viewerCount() == 1 ? System.nanoTime() : evictedAt;
          closedAt = closedAt == 0 && server.connections() == 1 ? System.nanoTime() : closedAt;
        }
        long firstSeq = first;
        long lastSeq = last;
        until("the stalled viewer is evicted", () -> bounded.viewerCount() == 1 && channel.subscriberCount() == 1);
        until("the healthy viewer got the last frame", () -> {
          synchronized (received) {
            return received.contains(lastSeq);
          }
        });
        long got;
        synchronized (received) {
          got = received.stream().filter(id -> id >= firstSeq && id <= lastSeq).count();
        }
        long published = lastSeq - firstSeq + 1;
        long bound = limit + 2L * eventBytes;
        LOG.log(System.Logger.Level.INFO, "healthy viewer {0}/{1} frames; max held per viewer {2} (bound {3})",
            got, published, maxHeld, bound);
        assertEquals(1, channel.stats().evictions(), channel.stats().toString());
        assertTrue(got >= published * 95 / 100, "the healthy viewer got only " + got + " of " + published);
        assertTrue(maxHeld <= bound, "held " + maxHeld + " > " + bound);

        // The evicted viewer's response was completed with a write pending: Jetty closes the connection (at
        // once, measured; at the latest its idle timeout, 3 s here, would fail that write).
        until("the container closed the stalled connection", () -> server.connections() == 1);
        closedAt = closedAt == 0 ? System.nanoTime() : closedAt;
        LOG.log(System.Logger.Level.INFO, "evicted {0} ms after the start; connection closed {1} ms later",
            TimeUnit.NANOSECONDS.toMillis(evictedAt - start), TimeUnit.NANOSECONDS.toMillis(closedAt - evictedAt));
        stalled.setSoTimeout(20_000);
        assertTrue(drainsToEnd(stalled.getInputStream()), "the stalled viewer's connection was never closed");
        stalled.close();
      } finally {
        bounded.close();
      }
    }
  }

  /** Reads until EOF or a reset, bounded to 256 MB; false if the bound is reached. */
  private static boolean drainsToEnd(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    try {
      while (total < 256L << 20) {
        int n = in.read(buf);
        if (n < 0) {
          return true;
        }
        total += n;
      }
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }
}
