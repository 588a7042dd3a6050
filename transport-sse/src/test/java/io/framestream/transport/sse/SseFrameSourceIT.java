package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameCodecException;
import io.framestream.core.FrameKind;
import io.framestream.core.RetryPolicy;
import io.framestream.core.SourceRunner;
import io.framestream.core.TransportException;
import io.framestream.core.wire.Fmp4Parser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Java SSE client against the real handler on a real Grizzly server, and against scripted servers. */
class SseFrameSourceIT {

  private ChannelRegistry registry;
  private SseHandler handler;
  private TestServer server;
  private final List<SseFrameSource> sources = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    registry = ChannelRegistry.builder().build();
    handler = SseHandler.builder(registry).retry(Duration.ofMillis(50)).build();
    server = TestServer.start(handler);
  }

  @AfterEach
  void stop() {
    sources.forEach(SseFrameSource::close);
    handler.close();
    server.close();
    registry.close();
  }

  private SseFrameSource source(String pathAndQuery, int buffered) {
    SseFrameSource s = SseFrameSource.builder(URI.create(server.url(pathAndQuery)))
        .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(500)).bufferedFrames(buffered).build();
    sources.add(s);
    return s;
  }

  private static byte[] payload(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void framesArriveByteIdenticalAndInOrder() throws Exception {
    Channel channel = registry.channel("relay");
    SseFrameSource source = source("/sse/relay", 256);
    source.open();
    until("subscribed", () -> channel.subscriberCount() == 1);

    // One at a time: every frame must arrive, whole.
    int[] sizes = {1, 100, 5_000, 50_000, 200_000, 3, 65_536, 1_000_000};
    for (int i = 0; i < sizes.length; i++) {
      byte[] p = payload(sizes[i], i);
      Frame published = channel.publish(Frame.builder(p).contentType("image/jpeg").dimensions(800, 600).build());
      Frame got = source.nextFrame();
      assertArrayEquals(p, got.copyPayload(), "frame " + i);
      assertEquals("image/jpeg", got.contentType());
      assertEquals(FrameKind.KEY, got.kind());
      assertEquals(Long.toString(published.sequence()), source.lastEventId());
    }

    // A burst: what arrives is in order and whole, and ends with the newest frame.
    List<byte[]> burst = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      burst.add(payload(10_000 + i, 1000 + i));
    }
    long firstSeq = -1;
    for (byte[] p : burst) {
      Frame f = channel.publish(Frame.of("image/png", p));
      if (firstSeq < 0) {
        firstSeq = f.sequence();
      }
    }
    int lastIndex = -1;
    for (int n = 0; n < burst.size() && lastIndex < burst.size() - 1; n++) {
      Frame got = source.nextFrame();
      int index = (int) (Long.parseLong(source.lastEventId()) - firstSeq);
      assertTrue(index > lastIndex, "out of order: " + index + " after " + lastIndex);
      assertArrayEquals(burst.get(index), got.copyPayload(), "burst frame " + index);
      lastIndex = index;
    }
    assertEquals(burst.size() - 1, lastIndex, "the newest frame arrives");
  }

  @Test
  void base64Format_takesTheContentTypeAndDimensionsFromTheInitEvent() throws Exception {
    Channel channel = registry.channel("b64");
    byte[] first = payload(2000, 1);
    channel.publish(Frame.builder(first).contentType("image/webp").dimensions(320, 200).build());
    SseFrameSource source = source("/sse/b64?format=base64", 8);
    Frame got = source.nextFrame(); // connects lazily
    assertArrayEquals(first, got.copyPayload());
    assertEquals("image/webp", got.contentType());
    assertEquals(320, got.width().orElse(0));
    assertEquals(200, got.height().orElse(0));
  }

  @Test
  void lateJoiner_getsTheInitSegmentThenAKeyFrameAtOnce() throws Exception {
    Channel video = registry.channel("video");
    byte[] init = payload(900, 1);
    byte[] key = payload(30_000, 2);
    video.publish(Frame.builder(init).contentType("video/mp4").kind(FrameKind.INIT).codec("avc1.42E01E")
        .dimensions(640, 360).build());
    video.publish(Frame.builder(key).contentType("video/mp4").kind(FrameKind.KEY).build());

    SseFrameSource source = source("/sse/video", 8);
    source.open();
    Frame first = source.nextFrame();
    assertEquals(FrameKind.INIT, first.kind());
    assertArrayEquals(init, first.copyPayload());
    assertEquals("avc1.42E01E", first.codec().orElse(""));
    Frame second = source.nextFrame();
    assertArrayEquals(key, second.copyPayload());
    assertEquals("video/mp4", second.contentType());
    assertEquals(640, second.width().orElse(0));
  }

  @Test
  void theStreamEnding_reconnectsBySelfAndResumes() throws Exception {
    Channel channel = registry.channel("flaky");
    SseFrameSource source = source("/sse/flaky", 8);
    source.open();
    until("subscribed", () -> channel.subscriberCount() == 1);
    byte[] a = payload(500, 1);
    channel.publish(Frame.of("image/jpeg", a));
    assertArrayEquals(a, source.nextFrame().copyPayload());

    channel.close(); // ends the stream gracefully; the registry recreates the channel on demand
    AtomicReference<Frame> next = new AtomicReference<>();
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try {
        next.set(source.nextFrame());
      } catch (Throwable t) {
        error.set(t);
      }
    }, "reader");
    reader.start();
    until("resubscribed to the new channel", () -> registry.find("flaky").map(Channel::subscriberCount).orElse(0) == 1);
    byte[] b = payload(700, 2);
    registry.channel("flaky").publish(Frame.of("image/jpeg", b));
    reader.join(20_000);
    assertNull(error.get());
    assertArrayEquals(b, next.get().copyPayload());
    assertEquals(1, source.reconnects());
  }

  @Test
  void reconnect_sendsLastEventIdAndHonoursRetry() throws Exception {
    List<String> lastEventIds = new CopyOnWriteArrayList<>();
    AtomicInteger requests = new AtomicInteger();
    HttpHandler scripted = new HttpHandler() {
      @Override
      public void service(Request request, Response response) throws IOException {
        int n = requests.incrementAndGet();
        lastEventIds.add(String.valueOf(request.getHeader("Last-Event-ID")));
        response.setContentType("text/event-stream");
        OutputStream out = response.getOutputStream();
        StringBuilder sb = new StringBuilder();
        if (n == 1) {
          sb.append("retry: 30\n\nevent: init\ndata: {\"contentType\":\"image/gif\"}\n\n");
          for (int id = 1; id <= 3; id++) {
            sb.append("id: ").append(id).append("\nevent: data\ndata: ")
                .append(Base64.getEncoder().encodeToString(new byte[] {(byte) id})).append("\n\n");
          }
          sb.append("id: 4\nevent: data\ndata: cut in the midd"); // the stream ends mid-event
        } else {
          sb.append("id: 4\nevent: data\ndata: data:image/gif;base64,BA==\n\n");
        }
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      }
    };
    try (TestServer s = TestServer.start(scripted, "/events")) {
      SseFrameSource source = SseFrameSource.builder(URI.create(s.url("/events")))
          .reconnectDelay(Duration.ofSeconds(5), Duration.ofSeconds(10)).build(); // retry: 30 ms wins
      sources.add(source);
      for (int id = 1; id <= 3; id++) {
        Frame f = source.nextFrame();
        assertArrayEquals(new byte[] {(byte) id}, f.copyPayload());
        assertEquals("image/gif", f.contentType());
      }
      long t0 = System.nanoTime();
      Frame fourth = source.nextFrame();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertArrayEquals(new byte[] {4}, fourth.copyPayload(), "the cut event was discarded");
      assertEquals(List.of("null", "3"), lastEventIds);
      assertTrue(ms < 4000, "reconnected after " + ms + " ms; retry: 30 should set the delay");
    }
  }

  @Test
  void retryPolicy_isAskedBeforeEveryAttemptToReachAServerThatIsNotThere() throws Exception {
    int port;
    try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = unused.getLocalPort(); // closed again: nothing listens there
    }
    AtomicInteger delays = new AtomicInteger();
    RetryPolicy counting = () -> hintNanos -> {
      delays.incrementAndGet();
      return TimeUnit.MILLISECONDS.toNanos(5);
    };
    SseFrameSource source = SseFrameSource.builder(URI.create("http://127.0.0.1:" + port + "/sse/cam"))
        .retryPolicy(counting).build();
    sources.add(source);
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Frame> next = reader.submit(source::nextFrame);
      until("three delays asked of the policy", () -> delays.get() >= 3); // the default waits 1 s, 2 s, ...
      source.close();
      ExecutionException e = assertThrows(ExecutionException.class, () -> next.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof EOFException, String.valueOf(e.getCause()));
    } finally {
      reader.shutdownNow();
    }
    assertThrows(NullPointerException.class, () -> SseFrameSource.builder(source.uri()).retryPolicy(null));
  }

  @Test
  void retryPolicy_getsTheServersRetryAsItsHintAndIsResetByAFrame() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpHandler scripted = new HttpHandler() {
      @Override
      public void service(Request request, Response response) throws IOException {
        int n = requests.incrementAndGet();
        response.setContentType("text/event-stream");
        String retry = n == 1 ? "retry: 30\n\n" : "";
        response.getOutputStream().write((retry + "id: " + n + "\nevent: data\ndata: data:image/gif;base64,"
            + Base64.getEncoder().encodeToString(new byte[] {(byte) n}) + "\n\n").getBytes(StandardCharsets.UTF_8));
      }
    };
    List<String> asked = new CopyOnWriteArrayList<>();
    RetryPolicy recording = () -> new RetryPolicy.Attempts() {
      @Override
      public long nextDelayNanos(long hintNanos) {
        asked.add("delay, hint " + TimeUnit.NANOSECONDS.toMillis(hintNanos) + " ms");
        return TimeUnit.MILLISECONDS.toNanos(1);
      }

      @Override
      public void reset() {
        asked.add("reset");
      }
    };
    try (TestServer s = TestServer.start(scripted, "/events")) {
      SseFrameSource source = SseFrameSource.builder(URI.create(s.url("/events"))).retryPolicy(recording).build();
      sources.add(source);
      assertArrayEquals(new byte[] {1}, source.nextFrame().copyPayload());
      assertArrayEquals(new byte[] {2}, source.nextFrame().copyPayload()); // each stream ends after a frame
      assertEquals(List.of("reset", "delay, hint 30 ms", "reset"), asked);
    }
  }

  @Test
  void refusals_failClearly() throws Exception {
    SseFrameSource bad = source("/sse/bad%20name", 8);
    TransportException e = assertThrows(TransportException.class, bad::open);
    assertTrue(e.getMessage().contains("400"), e.getMessage());

    HttpHandler noContent = new HttpHandler() {
      @Override
      public void service(Request request, Response response) {
        response.setStatus(204);
      }
    };
    HttpHandler plain = new HttpHandler() {
      @Override
      public void service(Request request, Response response) throws IOException {
        response.setContentType("text/plain");
        response.getWriter().write("hello");
      }
    };
    try (TestServer s = TestServer.start(noContent, "/nc"); TestServer p = TestServer.start(plain, "/p")) {
      SseFrameSource stop = SseFrameSource.builder(URI.create(s.url("/nc"))).build();
      sources.add(stop);
      assertThrows(EOFException.class, stop::nextFrame);
      SseFrameSource wrongType = SseFrameSource.builder(URI.create(p.url("/p"))).build();
      sources.add(wrongType);
      TransportException t = assertThrows(TransportException.class, wrongType::nextFrame);
      assertTrue(t.getMessage().contains("text/plain"), t.getMessage());
    }
  }

  @Test
  void anEventAboveTheSizeLimit_failsTheStreamWithFrameCodecException() throws Exception {
    Channel channel = registry.channel("big");
    SseFrameSource source = SseFrameSource.builder(URI.create(server.url("/sse/big"))).maxEventSize(10_000)
        .maxLineLength(10_100).build();
    sources.add(source);
    source.open();
    until("subscribed", () -> channel.subscriberCount() == 1);
    channel.publish(Frame.of("image/jpeg", payload(50_000, 1)));
    FrameCodecException e = assertThrows(FrameCodecException.class, source::nextFrame);
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
    until("the failed stream's connection is dropped", () -> channel.subscriberCount() == 0);
  }

  @Test
  void close_unblocksABlockedNextFrame() throws Exception {
    Channel channel = registry.channel("quiet");
    SseFrameSource source = source("/sse/quiet", 8);
    source.open();
    until("subscribed", () -> channel.subscriberCount() == 1);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try {
        source.nextFrame();
      } catch (Throwable t) {
        thrown.set(t);
      }
    }, "blocked-reader");
    reader.start();
    until("reader blocked", () -> reader.getState() == Thread.State.TIMED_WAITING
        || reader.getState() == Thread.State.WAITING);
    source.close();
    reader.join(10_000);
    assertTrue(thrown.get() instanceof EOFException, String.valueOf(thrown.get()));
    until("connection closed", () -> channel.subscriberCount() == 0);
    assertThrows(EOFException.class, source::nextFrame);
  }

  @Test
  void asSourceOfASourceRunner_relaysARemoteChannelIntoALocalOne() throws Exception {
    Channel remote = registry.channel("origin");
    SseFrameSource source = source("/sse/origin", 8);
    Channel local = Channel.create("mirror");
    List<byte[]> received = new CopyOnWriteArrayList<>();
    local.subscribe(io.framestream.core.FrameSink.of(f -> received.add(f.copyPayload())));
    try (SourceRunner runner = SourceRunner.builder(source, local).name("relay").build().start()) {
      until("remote subscribed", () -> remote.subscriberCount() == 1);
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        byte[] p = payload(3000, i);
        sent.add(p);
        remote.publish(Frame.of("image/jpeg", p));
        int expected = i + 1;
        until("relayed " + expected, () -> received.size() >= expected);
      }
      for (int i = 0; i < sent.size(); i++) {
        assertTrue(Arrays.equals(sent.get(i), received.get(i)), "relayed frame " + i);
      }
    } finally {
      local.close();
    }
    until("remote unsubscribed after the runner stopped", () -> remote.subscriberCount() == 0);
  }

  /** ffmpeg's H.264 sample with one frame per fragment: INIT, then 30 fragments, key frames at 0, 10, 20. */
  static final Path EVERY_FRAME = Path.of("..", "core", "src", "test", "resources", "fmp4", "avc-frag-every-frame.mp4");

  static List<Fmp4Parser.Segment> segments(Path file) throws IOException {
    List<Fmp4Parser.Segment> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      Fmp4Parser parser = new Fmp4Parser(in, Fmp4Parser.DEFAULT_MAX_INIT_BYTES, Fmp4Parser.DEFAULT_MAX_FRAGMENT_BYTES);
      for (int i = 0; i < 1000; i++) {
        try {
          out.add(parser.next());
        } catch (EOFException end) {
          return out;
        }
      }
    }
    throw new IllegalStateException("more segments than expected in " + file);
  }

  @Test
  void l2_sseClientSkipsToTheNextKeyAfterADrop() throws Exception {
    List<Fmp4Parser.Segment> segments = segments(EVERY_FRAME);
    assertEquals(31, segments.size());
    Channel video = registry.channel("video");
    SseFrameSource source = source("/sse/video", 4);
    source.open();
    until("subscribed", () -> video.subscriberCount() == 1);
    Map<Long, FrameKind> published = new HashMap<>();
    long last = 0;
    for (Fmp4Parser.Segment seg : segments) {
      Frame f = video.publish(Frame.builder(seg.bytes()).contentType("video/mp4").kind(seg.kind()).build());
      published.put(f.sequence(), f.kind());
      last = f.sequence();
      int sent = published.size();
      // One at a time, so that the server's own mailbox (where a key frame replaces what waits) drops nothing.
      until("the server wrote frame " + sent, () -> video.stats().framesOut() >= sent);
    }
    // Nobody reads meanwhile: 31 frames arrive for 4 places (and the one INIT). What the buffer keeps is
    // the INIT and the newest group it can deliver whole: key frame 20 and three deltas.
    until(() -> "the client's buffer to overflow; dropped " + source.droppedFrames() + ", server stats "
        + video.stats(), () -> source.droppedFrames() >= 26, io.framestream.testkit.Await.DEFAULT);

    List<Long> got = new ArrayList<>();
    List<FrameKind> kinds = new ArrayList<>();
    for (int i = 0; i < 31 && (got.isEmpty() || got.get(got.size() - 1) < last - 6); i++) {
      Frame f = source.nextFrame();
      got.add(Long.parseLong(source.lastEventId()));
      kinds.add(f.kind());
    }
    assertEquals(FrameKind.INIT, kinds.get(0), "the INIT is never dropped: " + got);
    for (int i = 1; i < got.size(); i++) {
      assertEquals(published.get(got.get(i)), kinds.get(i), "the client classifies the fragment as the server did");
      if (kinds.get(i) == FrameKind.DELTA) {
        assertEquals(got.get(i - 1) + 1, got.get(i), "a delta whose reference was dropped was delivered: " + got + " "
            + kinds);
      }
    }
    assertEquals(FrameKind.KEY, kinds.get(1), "after the drop the stream resumes at a key frame: " + kinds);
    assertEquals(26, source.droppedFrames());
  }

  @Test
  void l1_sseClientDropsAHostileInitDescriptionAndKeepsDelivering() throws Exception {
    HttpHandler hostile = new HttpHandler() {
      @Override
      public void service(Request request, Response response) throws IOException {
        response.setContentType("text/event-stream");
        StringBuilder sb = new StringBuilder("event: init\ndata: {\"type\":\"init\",\"contentType\":\"image/png\\u0000\","
            + "\"width\":-5,\"height\":1e12,\"codec\":\"avc1\\u0007\"}\n\n");
        for (int id = 1; id <= 3; id++) {
          sb.append("id: ").append(id).append("\nevent: data\ndata: ")
              .append(Base64.getEncoder().encodeToString(new byte[] {(byte) id})).append("\n\n");
        }
        response.getOutputStream().write(sb.toString().getBytes(StandardCharsets.UTF_8));
      }
    };
    try (TestServer s = TestServer.start(hostile, "/hostile")) {
      SseFrameSource source = SseFrameSource.builder(URI.create(s.url("/hostile"))).build();
      sources.add(source);
      for (int id = 1; id <= 3; id++) {
        Frame f = source.nextFrame();
        assertArrayEquals(new byte[] {(byte) id}, f.copyPayload());
        assertEquals("application/octet-stream", f.contentType());
        assertTrue(f.width().isEmpty() && f.height().isEmpty() && f.codec().isEmpty(), f.toString());
      }
      assertEquals(4, source.rejectedInitValues());
    }
  }
}
