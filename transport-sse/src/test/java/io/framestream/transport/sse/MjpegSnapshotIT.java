package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static io.framestream.transport.sse.Refusals.assertError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.FrameKind;
import io.framestream.edge.BearerTokens;
import io.framestream.transport.sse.internal.MjpegParts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MJPEG ({@code /mjpeg/{channel}}) and snapshots ({@code /snapshot/{channel}}) on both hosts: Grizzly's
 * {@link MjpegHandler} and {@link SnapshotHandler}, and Jetty 12's {@link MjpegServlet} and {@link
 * SnapshotServlet}, with real clients over real sockets. Named after rules J1-J5 in docs/contract.md.
 */
@Timeout(60)
class MjpegSnapshotIT {

  private static final Duration BOUND = Duration.ofSeconds(20);

  /** The two hosts. */
  enum HostKind { GRIZZLY, JETTY }

  private final ChannelRegistry registry = ChannelRegistry.builder()
      .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build()).build();
  private final List<AutoCloseable> open = new ArrayList<>();
  private String base;
  private Function<HostKind, Integer> viewers;
  private MjpegHandler handler;
  private MjpegServlet servlet;

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    registry.close();
  }

  private void start(HostKind host, BearerTokens auth) throws Exception {
    if (host == HostKind.GRIZZLY) {
      MjpegHandler.Builder mb = MjpegHandler.builder(registry).writeQueueLimit(16 * 1024);
      SnapshotHandler.Builder sb = SnapshotHandler.builder(registry);
      if (auth != null) {
        mb.authorizer(auth);
        sb.authorizer(auth);
      }
      handler = mb.build();
      open.add(handler);
      TestServer server = TestServer.start(handler, "/mjpeg/*");
      server.http.getServerConfiguration().addHttpHandler(sb.build(), "/snapshot/*");
      open.add(server);
      base = server.url("/");
    } else {
      MjpegServlet.Builder mb = MjpegServlet.builder(registry).writeQueueLimit(16 * 1024);
      SnapshotServlet.Builder sb = SnapshotServlet.builder(registry);
      if (auth != null) {
        mb.authorizer(auth);
        sb.authorizer(auth);
      }
      servlet = mb.build();
      open.add(servlet);
      JettyTestServer jetty = JettyTestServer.builder(Duration.ofSeconds(30)).add("/mjpeg/*", servlet, true)
          .add("/snapshot/*", sb.build(), true).start();
      open.add(jetty);
      base = jetty.url("/");
    }
  }

  private int viewerCount() {
    return handler != null ? handler.viewerCount() : servlet.viewerCount();
  }

  private static byte[] jpeg(int index, int size) {
    byte[] b = new byte[size];
    b[0] = (byte) 0xFF;
    b[1] = (byte) 0xD8;
    for (int i = 2; i < size - 2; i++) {
      b[i] = (byte) (i * 7 + index);
    }
    b[2] = (byte) index;
    b[size - 2] = (byte) 0xFF;
    b[size - 1] = (byte) 0xD9;
    return b;
  }

  /** A multipart reader of one MJPEG response, on its own thread. */
  private final class Reader implements AutoCloseable {
    final Socket socket;
    final Map<String, String> headers = new LinkedHashMap<>();
    final List<byte[]> parts = new CopyOnWriteArrayList<>();
    final List<Long> sequences = new CopyOnWriteArrayList<>();
    final Thread thread;
    volatile int status;
    volatile Throwable failure;

    Reader(String channel) throws IOException {
      URI uri = URI.create(base);
      socket = new Socket(uri.getHost(), uri.getPort());
      open.add(this);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /mjpeg/" + channel + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      thread = new Thread(this::read, "mjpeg-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void read() {
      try {
        InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
        String statusLine = line(in);
        status = Integer.parseInt(statusLine.split(" ")[1]);
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
          int colon = l.indexOf(':');
          headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        InputStream body = chunked ? new Dechunker(in) : in;
        while (true) {
          String delimiter = line(body);
          assertEquals("--" + MjpegParts.BOUNDARY, delimiter);
          Map<String, String> h = new LinkedHashMap<>();
          for (String l = line(body); !l.isEmpty(); l = line(body)) {
            int colon = l.indexOf(':');
            h.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
          }
          assertEquals("image/jpeg", h.get("content-type"));
          byte[] payload = body.readNBytes(Integer.parseInt(h.get("content-length")));
          assertEquals("", line(body));
          sequences.add(Long.parseLong(h.get("x-framestream-sequence")));
          parts.add(payload);
        }
      } catch (IOException | RuntimeException | AssertionError e) {
        failure = e;
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }

    @Override
    public String toString() {
      return "Reader[status=" + status + ", headers=" + headers + ", parts=" + parts.size() + ", failure=" + failure + "]";
    }
  }

  /** Reads a chunked body as its content. */
  private static final class Dechunker extends InputStream {
    private final InputStream in;
    private int left;

    Dechunker(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (left == 0) {
        String size = line(in);
        while (size.isEmpty()) { // the CRLF that ends the previous chunk, read only when the next one comes
          size = line(in);
        }
        left = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (left == 0) {
          return -1;
        }
      }
      left--;
      return in.read();
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("end of stream");
      }
      b.write(c);
    }
    String s = b.toString(StandardCharsets.US_ASCII);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws IOException, InterruptedException {
    return send(path, HttpResponse.BodyHandlers.ofByteArray(), headers);
  }

  private HttpResponse<String> text(String path, String... headers) throws IOException, InterruptedException {
    return send(path, HttpResponse.BodyHandlers.ofString(), headers);
  }

  private <T> HttpResponse<T> send(String path, HttpResponse.BodyHandler<T> handler, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return SseLines.HTTP.send(b.build(), handler);
  }

  @ParameterizedTest
  @EnumSource(HostKind.class)
  void j1_partsAreJpegsBuiltOncePerFrameAndSharedByEveryViewer(HostKind host) throws Exception {
    start(host, null);
    Channel ch = registry.declare("cam-j1");
    Reader a = new Reader(ch.name());
    Reader b = new Reader(ch.name());
    until("two viewers subscribed", () -> ch.subscriberCount() == 2, BOUND);
    long runs = MjpegParts.encoderRuns();
    List<byte[]> sent = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      byte[] p = jpeg(i, 2_000 + i);
      sent.add(p);
      ch.publish(Frame.of("image/jpeg", p));
      int n = i;
      until(() -> "both viewers got frame " + n + ": " + a + " " + b, () -> a.parts.size() == n && b.parts.size() == n
          || a.failure != null || b.failure != null, BOUND);
    }
    assertEquals(200, a.status);
    assertTrue(a.headers.get("content-type").startsWith("multipart/x-mixed-replace"), a.headers.toString());
    assertTrue(a.headers.get("content-type").contains("boundary=" + MjpegParts.BOUNDARY), a.headers.toString());
    assertEquals("no-cache, no-store", a.headers.get("cache-control"));
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(sent.get(i), a.parts.get(i), "part " + i + " is the frame, byte for byte");
      assertArrayEquals(sent.get(i), b.parts.get(i));
    }
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), a.sequences);
    assertEquals(5, MjpegParts.encoderRuns() - runs, "one part built per frame for two viewers");
  }

  @ParameterizedTest
  @EnumSource(HostKind.class)
  void j2_aLateJoinerGetsTheNewestPictureAtOnce_andOtherFramesAreSkipped(HostKind host) throws Exception {
    start(host, null);
    Channel ch = registry.declare("cam-j2");
    for (int i = 1; i <= 3; i++) {
      ch.publish(Frame.of("image/jpeg", jpeg(i, 500)));
    }
    Reader late = new Reader(ch.name());
    until("the late joiner has a picture", () -> !late.parts.isEmpty() || late.failure != null, BOUND);
    assertArrayEquals(jpeg(3, 500), late.parts.get(0), "the newest picture first, at once");
    ch.publish(Frame.of("image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4}));
    ch.publish(Frame.of("image/jpeg", jpeg(4, 500)));
    until("the next JPEG", () -> late.parts.size() == 2 || late.failure != null, BOUND);
    assertArrayEquals(jpeg(4, 500), late.parts.get(1), "the PNG frame was skipped");
  }

  @ParameterizedTest
  @EnumSource(HostKind.class)
  void j3_aStalledViewerIsEvictedAndHealthyOnesKeepUp(HostKind host) throws Exception {
    start(host, null);
    Channel ch = registry.declare("cam-j3");
    Reader healthy = new Reader(ch.name());
    URI uri = URI.create(base);
    Socket stalled = new Socket();
    stalled.setReceiveBufferSize(4096);
    stalled.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()));
    open.add(stalled);
    stalled.getOutputStream().write(("GET /mjpeg/" + ch.name() + " HTTP/1.1\r\nHost: x\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    until("two viewers", () -> ch.subscriberCount() == 2 && viewerCount() == 2, BOUND);
    int i = 0;
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (ch.subscriberCount() > 1 && System.nanoTime() < deadline) {
      ch.publish(Frame.of("image/jpeg", jpeg(++i, 64 * 1024)));
      int n = i;
      until("the healthy viewer keeps up", () -> healthy.parts.size() >= n - 1 || healthy.failure != null, BOUND);
      Thread.sleep(20); // pacing the publisher, not synchronisation
    }
    assertEquals(1, ch.subscriberCount(), "the stalled viewer was evicted: " + ch.stats());
    until("its viewer ended", () -> viewerCount() == 1, BOUND);
    int before = healthy.parts.size();
    ch.publish(Frame.of("image/jpeg", jpeg(++i, 1000)));
    until("the healthy viewer still gets frames", () -> healthy.parts.size() > before, BOUND);
    assertTrue(healthy.failure == null, String.valueOf(healthy.failure));
  }

  @ParameterizedTest
  @EnumSource(HostKind.class)
  void j4_refusals(HostKind host) throws Exception {
    start(host, BearerTokens.of("viewer-token-0123456789"));
    Channel video = registry.declare("cam-video");
    video.publish(Frame.builder(new byte[] {0, 0, 0, 8, 'f', 't', 'y', 'p'}).contentType("video/mp4")
        .kind(FrameKind.INIT).build());
    Channel png = registry.declare("cam-png");
    png.publish(Frame.of("image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}));
    String auth = "Bearer viewer-token-0123456789";
    assertError(text("mjpeg/cam-video"), 401, "");
    assertError(text("mjpeg/cam-video", "Authorization", auth), 415, "video");
    assertError(text("mjpeg/cam-png", "Authorization", auth), 415, "image/png");
    assertError(text("mjpeg/bad*name", "Authorization", auth), 400, "");
    assertError(text("mjpeg/", "Authorization", auth), 404, "/mjpeg/{channel}");
    assertEquals(0, video.subscriberCount() + png.subscriberCount(), "nothing subscribed");
  }

  @ParameterizedTest
  @EnumSource(HostKind.class)
  void j5_aSnapshotIsTheNewestImageWithItsTagAndDate(HostKind host) throws Exception {
    start(host, null);
    Channel ch = registry.declare("cam-j5");
    assertError(text("snapshot/cam-j5"), 404, "no picture yet");
    assertError(text("snapshot/never-made"), 404, "no channel");
    assertTrue(registry.find("never-made").isEmpty(), "a snapshot never creates a channel");
    ch.publish(Frame.of("image/jpeg", jpeg(1, 300)));
    ch.publish(Frame.of("image/jpeg", jpeg(2, 40_000)));
    HttpResponse<byte[]> r = get("snapshot/cam-j5");
    assertEquals(200, r.statusCode());
    assertArrayEquals(jpeg(2, 40_000), r.body());
    assertEquals("image/jpeg", r.headers().firstValue("content-type").orElse(""));
    assertEquals("no-cache", r.headers().firstValue("cache-control").orElse(""));
    assertTrue(r.headers().firstValue("last-modified").orElse("").endsWith(" GMT"), r.headers().toString());
    String etag = r.headers().firstValue("etag").orElseThrow();
    HttpResponse<byte[]> same = get("snapshot/cam-j5", "If-None-Match", etag);
    assertEquals(304, same.statusCode());
    assertEquals(0, same.body().length);
    ch.publish(Frame.of("image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 9}));
    HttpResponse<byte[]> newer = get("snapshot/cam-j5", "If-None-Match", etag);
    assertEquals(200, newer.statusCode(), "a new picture, a new tag");
    assertEquals("image/png", newer.headers().firstValue("content-type").orElse(""));
    assertFalse(etag.equals(newer.headers().firstValue("etag").orElse("")));
    Channel video = registry.declare("cam-j5-video");
    video.publish(Frame.builder(new byte[] {0, 0, 0, 8, 'f', 't', 'y', 'p'}).contentType("video/mp4")
        .kind(FrameKind.INIT).build());
    assertError(text("snapshot/cam-j5-video"), 415, "video");
    HttpRequest post = HttpRequest.newBuilder(URI.create(base + "snapshot/cam-j5"))
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    assertError(SseLines.HTTP.send(post, HttpResponse.BodyHandlers.ofString()), 405, "GET");
  }
}
