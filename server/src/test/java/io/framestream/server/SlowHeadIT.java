package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.core.Publisher;
import io.framestream.testkit.Await;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule H1: a request's head must be complete within {@code headTimeout} of its first byte (a new connection's,
 * of its accept), else 408 and the connection is closed. Raw sockets, so the head can be trickled.
 */
class SlowHeadIT {

  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);
  /** How long the server may take beyond the head timeout to answer and close, on a busy machine. */
  private static final Duration SLACK = Duration.ofSeconds(6);

  private final List<AutoCloseable> closeLater = new ArrayList<>();
  private FrameStreamServer server;
  private ChannelRegistry registry;

  @AfterEach
  void stop() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    if (server != null) {
      server.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private void start(FrameStreamServer.Builder b) {
    registry = ChannelRegistry.builder().build();
    server = b.port(0).registry(registry).build().start();
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(server.httpUri().getHost(), server.httpUri().getPort());
    closeLater.add(socket);
    socket.setSoTimeout((int) (HEAD_TIMEOUT.plus(SLACK)).toMillis());
    return socket;
  }

  @Test
  void h1_aSlowRequestHeadIsAnswered408AndClosed() throws Exception {
    start(FrameStreamServer.builder().headTimeout(HEAD_TIMEOUT));
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    out.write("GET /api/chan".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    long started = System.nanoTime();
    AtomicInteger sent = trickle(out);
    Answer answer = readAnswer(socket, true);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals(408, answer.status, "status line: " + answer.statusLine);
    assertTrue(answer.headers.contains("connection: close"), answer.headers);
    assertTrue(answer.body.contains("headTimeout"), answer.body);
    assertTrue(answer.eof, "the connection is closed after the 408");
    assertTrue(ms >= HEAD_TIMEOUT.toMillis() - 100, "answered after " + ms + " ms, before the head timeout");
    assertTrue(ms < HEAD_TIMEOUT.plus(SLACK).toMillis(), "answered only after " + ms + " ms");
    assertTrue(sent.get() >= 3, "the client was still trickling: " + sent.get() + " bytes after the first");
  }

  @Test
  void h1_aSilentConnectionIsClosedAfterTheHeadTimeout() throws Exception {
    start(FrameStreamServer.builder().headTimeout(HEAD_TIMEOUT));
    long started = System.nanoTime();
    Socket socket = connect();

    Answer answer = readAnswer(socket, true);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertEquals(408, answer.status, "status line: " + answer.statusLine);
    assertTrue(answer.eof, "the connection is closed after the 408");
    assertTrue(ms >= HEAD_TIMEOUT.toMillis() - 100, "closed after " + ms + " ms, before the head timeout");
    assertTrue(ms < HEAD_TIMEOUT.plus(SLACK).toMillis(), "closed only after " + ms + " ms");
  }

  @Test
  void h1_aKeepAliveConnectionGetsAFreshHeadClockPerRequest() throws Exception {
    start(FrameStreamServer.builder().headTimeout(HEAD_TIMEOUT));
    Socket socket = connect();
    OutputStream out = socket.getOutputStream();
    String[] head = {"GET /api/channels HTTP/1.1\r\n", "Host: x\r\n", "Accept: */*\r\n\r\n"};

    // Each head takes about 600 ms to arrive, within the 1 s head timeout; the gap between the two requests
    // (1.6 s) is longer than the head timeout and much shorter than the keep-alive timeout (30 s).
    for (int request = 1; request <= 2; request++) {
      for (int part = 0; part < head.length; part++) {
        if (part > 0) {
          Thread.sleep(300);
        }
        out.write(head[part].getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
      Answer answer = readAnswer(socket, false);
      assertEquals(200, answer.status, "request " + request + ": " + answer.statusLine);
      assertFalse(answer.eof, "request " + request + ": the connection stays open");
      if (request == 1) {
        Thread.sleep(HEAD_TIMEOUT.toMillis() + 600);
      }
    }

    // The clock runs for a third request on the same connection as for the first: trickled, it gets 408.
    out.write("GET /api/chan".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    trickle(out);
    Answer third = readAnswer(socket, true);
    assertEquals(408, third.status, "request 3: " + third.statusLine);
    assertTrue(third.eof, "request 3: the connection is closed after the 408");
  }

  @Test
  void h1_anUpgradedWebSocketOutlivesTheHeadTimeout() throws Exception {
    // Pings every 300 ms: the viewer's pongs are reads on the upgraded connection, which must not be timed.
    start(FrameStreamServer.builder().headTimeout(HEAD_TIMEOUT)
        .webSocket(b -> b.pingInterval(Duration.ofMillis(300))));
    publishToLive();
    JdkWsClient viewer = JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/live"));
    closeLater.add(viewer::abort);
    Await.until("the viewer receives frames", () -> viewer.binaryCount() > 2);

    long until = System.nanoTime() + HEAD_TIMEOUT.multipliedBy(4).toNanos();
    while (System.nanoTime() < until) {
      assertFalse(viewer.isClosed(), "the viewer was closed: " + viewer.closeReason());
      Await.pace(TimeUnit.MILLISECONDS.toNanos(100));
    }
    int before = viewer.binaryCount();
    Await.until("the viewer still receives frames past the head timeout", () -> viewer.binaryCount() > before + 3);
    assertFalse(viewer.isClosed(), "the viewer was closed: " + viewer.closeReason());
  }

  @Test
  void h1_aSlowBodyAndAnSseStreamAreNotTimedAfterTheirHeads() throws Exception {
    start(FrameStreamServer.builder().headTimeout(HEAD_TIMEOUT).uploadTimeout(Duration.ofSeconds(30)));
    publishToLive();

    // An SSE viewer: it sends nothing after its head and keeps receiving events past the head timeout.
    HttpResponse<InputStream> sse = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        .send(HttpRequest.newBuilder(server.httpUri().resolve("/sse/live")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, sse.statusCode());
    closeLater.add(sse.body());
    AtomicInteger events = new AtomicInteger();
    AtomicBoolean ended = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.startsWith("data:")) {
            events.incrementAndGet();
          }
        }
      } catch (IOException e) {
        // closed by the test, or by the server (counted below)
      }
      ended.set(true);
    }, "sse-reader");
    reader.setDaemon(true);
    reader.start();

    // A body that takes three times the head timeout to arrive: 60 bytes, 2 every 100 ms.
    byte[] body = WebSocketServerIT.jpeg(1, 60);
    SlowUploader upload = SlowUploader.start(server.httpUri(), "/api/channels/slowbody/frames", body);
    closeLater.add(upload);
    for (int i = 0; i < body.length / 2 + 1; i++) {
      assertTrue(upload.send(2), "the server closed the connection after " + (2 * i) + " body bytes");
      Await.pace(TimeUnit.MILLISECONDS.toNanos(100));
    }
    String answer = upload.answer(SLACK);
    assertTrue(answer.startsWith("HTTP/1.1 204"), "the slow body is published: " + answer);

    assertFalse(ended.get(), "the SSE stream ended");
    int before = events.get();
    Await.until("the SSE viewer still receives frames past the head timeout", () -> events.get() > before + 3);
    assertFalse(ended.get(), "the SSE stream ended");
  }

  /** Publishes a small frame to channel {@code live} every 100 ms until the test ends. */
  private void publishToLive() {
    Publisher publisher = registry.channel("live").openPublisher("test");
    ScheduledExecutorService frames = Executors.newSingleThreadScheduledExecutor();
    closeLater.add(frames::shutdownNow);
    AtomicInteger n = new AtomicInteger();
    frames.scheduleAtFixedRate(() -> publisher.publish(Frame.of("image/jpeg",
        WebSocketServerIT.jpeg(n.incrementAndGet(), 300))), 0, 100, TimeUnit.MILLISECONDS);
  }

  /**
   * Sends the rest of a request head that never ends, one byte every 200 ms, on its own thread, until the
   * server closes the connection (at most 150 bytes).
   *
   * @return the count of bytes sent so far
   */
  private AtomicInteger trickle(OutputStream out) {
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    closeLater.add(trickle::shutdownNow);
    byte[] rest = "nels HTTP/1.1\r\nHost: x\r\nX-Pad: ".getBytes(StandardCharsets.US_ASCII);
    AtomicInteger sent = new AtomicInteger();
    trickle.scheduleAtFixedRate(() -> {
      int i = sent.getAndIncrement();
      if (i >= 150) {
        throw new IllegalStateException("done"); // ends the task
      }
      try {
        out.write(i < rest.length ? rest[i] : 'a');
        out.flush();
      } catch (IOException closed) {
        throw new IllegalStateException(closed); // the server closed the connection: stop
      }
    }, 200, 200, TimeUnit.MILLISECONDS);
    return sent;
  }

  /** A response read from a raw socket: its status, lower-cased headers, body, and whether EOF followed. */
  private record Answer(String statusLine, int status, String headers, String body, boolean eof) {}

  /**
   * Reads one response (head, then a body of its Content-Length), then whether the connection ends: when
   * {@code expectEof}, within the socket's timeout; otherwise a connection that stays open gives nothing
   * within 300 ms. Every read is bounded by the socket's timeout.
   */
  private static Answer readAnswer(Socket socket, boolean expectEof) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (head.size() < 16_384) {
      int b = in.read();
      if (b < 0) {
        fail("EOF before a complete response head: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
      if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        break;
      }
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    String statusLine = text.substring(0, text.indexOf("\r\n"));
    String headers = text.toLowerCase(Locale.ROOT);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(Math.min(length, 1 << 20));
    return new Answer(statusLine, Integer.parseInt(statusLine.split(" ")[1]), headers,
        new String(body, StandardCharsets.UTF_8), atEof(socket, expectEof));
  }

  private static boolean atEof(Socket socket, boolean expectEof) throws IOException {
    int timeout = socket.getSoTimeout();
    if (!expectEof) {
      socket.setSoTimeout(300);
    }
    try {
      return socket.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset: closed as well
    } finally {
      socket.setSoTimeout(timeout);
    }
  }
}
