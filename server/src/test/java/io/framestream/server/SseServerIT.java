package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelStats;
import io.framestream.core.Frame;
import io.framestream.core.FrameSink;
import io.framestream.core.SourceRunner;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SSE on the real embedded server, next to WebSocket publishers and viewers. */
class SseServerIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private ChannelRegistry registry;
  private FrameStreamServer server;

  @BeforeEach
  void start() {
    registry = ChannelRegistry.builder()
        .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build()).build();
    server = FrameStreamServer.builder().port(0).registry(registry).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    registry.close();
  }

  @Test
  void javaSseClientGetsWhatAWebSocketPublisherSentByteForByteInOrder() {
    List<Frame> got = new ArrayList<>();
    try (Channel local = Channel.create("local");
        SourceRunner viewer = SourceRunner.builder(
            SseFrameSource.builder(server.httpUri().resolve("/sse/mixed")).build(), local).build()) {
      local.subscribe(FrameSink.of(f -> {
        synchronized (got) {
          got.add(f);
        }
      }));
      viewer.start();
      Await.until("SSE viewer subscribed", () -> registry.channel("mixed").subscriberCount() == 1);
      JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/mixed"));
      try {
        for (int i = 0; i < 20; i++) {
          publisher.sendBinary(WebSocketServerIT.jpeg(i, 3000 + i));
          int expected = i + 1;
          Await.until("frame " + i, () -> size(got) == expected);
        }
      } finally {
        publisher.abort();
      }
      for (int i = 0; i < 20; i++) {
        Frame f = got.get(i);
        assertArrayEquals(WebSocketServerIT.jpeg(i, 3000 + i), f.copyPayload(), "frame " + i);
        assertEquals("image/jpeg", f.contentType());
      }
    }
  }

  @Test
  void lateJoinerGetsTheExactInitThenTheNewestFrame() throws Exception {
    Channel ch = registry.channel("late");
    byte[] newest = WebSocketServerIT.jpeg(3, 100);
    ch.publish(Frame.of("image/jpeg", WebSocketServerIT.jpeg(1, 100)));
    ch.publish(Frame.builder(newest).contentType("image/jpeg").dimensions(64, 48).build());
    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/sse/late")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertEquals("text/event-stream;charset=utf-8",
        r.headers().firstValue("content-type").orElse("").replace(" ", "").toLowerCase());
    assertEquals("no-cache", r.headers().firstValue("cache-control").orElse(""));
    assertEquals("no", r.headers().firstValue("x-accel-buffering").orElse(""));
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      List<String> lines = readUntilEvents(in, 2);
      int init = lines.indexOf("event: init");
      assertTrue(init >= 0, "an init event: " + lines);
      assertTrue(lines.subList(0, init).stream().anyMatch(l -> l.startsWith("retry: ")), "retry first: " + lines);
      JsonNode json = JSON.readTree(lines.get(init + 1).substring("data: ".length()));
      assertEquals("late", json.get("channel").asText());
      assertEquals("image/jpeg", json.get("contentType").asText());
      assertEquals(64, json.get("width").asInt());
      int id = lines.indexOf("id: 2");
      assertTrue(id > init, "the newest frame, id 2, after init: " + lines);
      assertEquals("event: data", lines.get(id + 1));
      assertEquals("data: data:image/jpeg;base64," + Base64.getEncoder().encodeToString(newest), lines.get(id + 2));
      assertEquals("", lines.get(id + 3));
    }
  }

  @Test
  void lastEventIdResumeReportsTheSkippedFrames() throws Exception {
    Channel ch = registry.channel("resume");
    for (int i = 1; i <= 5; i++) {
      ch.publish(Frame.of("image/jpeg", WebSocketServerIT.jpeg(i, 50)));
    }
    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/sse/resume"))
        .header("Last-Event-ID", "1").build(), HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      List<String> lines = readUntilEvents(in, 2);
      JsonNode init = JSON.readTree(lines.get(lines.indexOf("event: init") + 1).substring("data: ".length()));
      assertEquals(3, init.get("skipped").asLong(), "frames 2, 3 and 4 were missed: " + init);
      assertTrue(lines.contains("id: 5"), "then the newest frame: " + lines);
    }
  }

  @Test
  void badSseRequestsGetJsonErrors() throws Exception {
    HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(server.httpUri().resolve("/sse/a%20b")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(400, bad.statusCode());
    assertTrue(JSON.readTree(bad.body()).get("error").asText().contains("channel name"), bad.body());
  }

  @Test
  void stalledSseViewersAreEvictedWhileHealthySseAndWebSocketViewersKeepTheFrameRate() throws Exception {
    Channel ch = registry.channel("crowd");
    List<Socket> stalled = new ArrayList<>();
    List<JdkWsClient> wsViewers = new ArrayList<>();
    List<SourceRunner> sseViewers = new ArrayList<>();
    List<AtomicInteger> sseCounts = new ArrayList<>();
    List<AtomicReference<byte[]>> sseLast = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        stalled.add(neverReadingSseViewer("/sse/crowd"));
      }
      for (int i = 0; i < 2; i++) {
        wsViewers.add(JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/crowd")));
        AtomicInteger count = new AtomicInteger();
        AtomicReference<byte[]> last = new AtomicReference<>();
        sseCounts.add(count);
        sseLast.add(last);
        sseViewers.add(SourceRunner.builder(SseFrameSource.builder(server.httpUri().resolve("/sse/crowd")).build(),
            (frame, done) -> {
              count.incrementAndGet();
              last.set(frame.copyPayload());
              done.completed();
            }).build().start());
      }
      Await.until("9 viewers subscribed", () -> ch.subscriberCount() == 9);
      long heapBefore = usedHeapAfterGc();

      JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/crowd"));
      int frames = 30 * 6;
      long period = TimeUnit.SECONDS.toNanos(1) / 30;
      long next = System.nanoTime();
      for (int i = 0; i < frames; i++) {
        publisher.sendBinary(WebSocketServerIT.jpeg(i, 50_000));
        next += period;
        Await.pace(next - System.nanoTime());
      }
      byte[] lastFrame = WebSocketServerIT.jpeg(frames - 1, 50_000);
      Await.until("every healthy viewer has the last frame", () -> ch.stats().framesIn() == frames
          && wsViewers.stream().allMatch(c -> Arrays.equals(c.lastBinary(), lastFrame))
          && sseLast.stream().allMatch(l -> Arrays.equals(l.get(), lastFrame)));
      long growth = usedHeapAfterGc() - heapBefore;
      publisher.abort();

      ChannelStats st = ch.stats();
      List<Integer> counts = new ArrayList<>();
      wsViewers.forEach(c -> counts.add(c.binaryCount()));
      sseCounts.forEach(c -> counts.add(c.get()));
      System.getLogger(SseServerIT.class.getName()).log(System.Logger.Level.INFO,
          "healthy WS+SSE viewers got {0} of {1}; evictions {2}; heap growth {3} bytes", counts, frames,
          st.evictions(), growth);
      for (int got : counts) {
        assertTrue(got >= frames * 95 / 100, "a healthy viewer got " + got + " of " + frames);
      }
      assertEquals(5, st.evictions(), "the 5 stalled SSE viewers are evicted: " + st);
      assertEquals(4, st.subscribers());
      assertTrue(growth < 20_000_000L, "heap grew by " + growth / 1_000_000 + " MB");
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
      wsViewers.forEach(JdkWsClient::abort);
      sseViewers.forEach(SourceRunner::close);
    }
  }

  private Socket neverReadingSseViewer(String path) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** Reads lines until the given number of events ("id:" or "event:" blocks) ended with a blank line. */
  private static List<String> readUntilEvents(BufferedReader in, int events) throws Exception {
    List<String> lines = new ArrayList<>();
    int seen = 0;
    boolean inEvent = false;
    for (int i = 0; i < 1000 && seen < events; i++) {
      String line = in.readLine();
      if (line == null) {
        break;
      }
      lines.add(line);
      if (line.startsWith("event:") || line.startsWith("id:") || line.startsWith("data:")) {
        inEvent = true;
      } else if (line.isEmpty() && inEvent) {
        seen++;
        inEvent = false;
      }
    }
    return lines;
  }

  private static long usedHeapAfterGc() {
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  private static int size(List<Frame> list) {
    synchronized (list) {
      return list.size();
    }
  }
}
