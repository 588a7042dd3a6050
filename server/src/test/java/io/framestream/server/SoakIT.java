package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.framestream.core.SourceRunner;
import io.framestream.testkit.Await;
import io.framestream.transport.sse.SseFrameSource;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Churn on the real server for {@code -Dsoak.minutes=N}: viewers joining and leaving at random over both
 * transports, stalled viewers, a publisher that restarts, oversized and malformed messages. The server runs
 * in its own process ({@link SoakServerMain}), so its heap, threads and file descriptors are measured alone.
 * After a warm-up (bounded pools start threads lazily) a baseline is taken; after the run and clean-up the
 * steady viewers must hold the newest frame, and heap after GC (within 32 MiB), live threads (within 4, once
 * idle pool threads have ended) and open file descriptors (within 16) must be back near the baseline. Not
 * part of the normal build: without {@code soak.minutes} it is skipped. See docs/reliability.md.
 */
class SoakIT {

  private static final System.Logger LOG = System.getLogger(SoakIT.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** The server process and what the soak reads from it. */
  private static final class Remote implements AutoCloseable {
    final Process process;
    final int port;

    Remote() throws Exception {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      process = new ProcessBuilder(java, "-Xmx512m", "-Djava.awt.headless=true", "-cp",
          System.getProperty("java.class.path"), SoakServerMain.class.getName())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = null;
      for (int i = 0; i < 1000 && (line == null || !line.startsWith("PORT ")); i++) {
        line = out.readLine();
        if (line == null) {
          throw new IllegalStateException("the soak server exited before listening");
        }
      }
      port = Integer.parseInt(line.substring(5).trim());
    }

    URI ws(String path) {
      return URI.create("ws://127.0.0.1:" + port + path);
    }

    URI http(String path) {
      return URI.create("http://127.0.0.1:" + port + path);
    }

    JsonNode get(String path) {
      try {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(http(path)).build(),
            HttpResponse.BodyHandlers.ofString()).body());
      } catch (Exception e) {
        throw new IllegalStateException("GET " + path + " failed", e);
      }
    }

    JsonNode channel() {
      return get("/api/channels/soak");
    }

    Figures figures() {
      JsonNode d = get("/diag");
      return new Figures(d.get("heapBytes").asLong(), d.get("threads").asInt(), d.get("fds").asLong());
    }

    int webSocketSessions() {
      return get("/diag").get("webSocketSessions").asInt();
    }

    @Override
    public void close() throws Exception {
      process.getOutputStream().close(); // the server stops when its standard input closes
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /** Heap after GC, live threads, open file descriptors (-1 where /proc is missing), of the server. */
  private record Figures(long heapBytes, int threads, long fds) {
    @Override
    public String toString() {
      return "heap " + heapBytes / 1024 + " KiB, " + threads + " threads, " + fds + " fds";
    }
  }

  @Test
  void churnLeavesNothingBehind() throws Exception {
    String minutes = System.getProperty("soak.minutes");
    Assumptions.assumeTrue(minutes != null, "soak run skipped: pass -Dsoak.minutes=N to run it");
    long runNanos = (long) (Double.parseDouble(minutes) * 60e9);
    Random random = new Random(42);
    try (Remote server = new Remote()) {
      JdkWsClient steadyWs = JdkWsClient.connectCounting(server.ws("/ws/live/soak"));
      AtomicReference<byte[]> steadySseLast = new AtomicReference<>(new byte[0]);
      SourceRunner steadySse = SourceRunner.builder(SseFrameSource.builder(server.http("/sse/soak")).build(),
          (frame, done) -> {
            steadySseLast.set(frame.copyPayload());
            done.completed();
          }).build().start();
      Await.until("steady viewers subscribed", () -> server.channel().get("subscribers").asInt() == 2);

      Churn warmUp = churn(server, Math.min(runNanos / 5, TimeUnit.SECONDS.toNanos(20)), random);
      warmUp.cleanUp(server);
      Figures before = settled(server, null);
      LOG.log(System.Logger.Level.INFO, "soak start (after warm-up): {0}", before);

      Churn run = churn(server, runNanos, random);
      long published = warmUp.frames + run.frames;
      byte[] last = run.lastSent;
      Await.until(() -> "steady viewers are current: published " + published + ", channel " + server.channel(),
          () -> server.channel().get("framesIn").asLong() == published && Arrays.equals(steadySseLast.get(), last)
              && Arrays.equals(steadyWs.lastBinary(), last), Duration.ofSeconds(30));
      JsonNode stats = server.channel();
      run.cleanUp(server);
      Figures after = settled(server, before);
      LOG.log(System.Logger.Level.INFO, "soak end after {0} frames, {1} viewer joins, {2} bad messages, {3} publisher"
          + " restarts; evictions {4}, drops {5}, latency {6}: {7}", run.frames, run.joins, run.badMessages,
          run.publisherRestarts, stats.get("evictions"), stats.get("drops"), stats.get("latency"), after);
      assertTrue(after.heapBytes - before.heapBytes < 32L << 20, "heap " + before + " -> " + after);
      assertTrue(after.threads - before.threads <= 4, "threads " + before + " -> " + after);
      assertTrue(after.fds < 0 || after.fds - before.fds <= 16, "file descriptors " + before + " -> " + after);
      steadyWs.abort();
      steadySse.close();
    }
  }

  /** Waits (bounded) until idle pool threads have ended, then reads the figures. */
  private static Figures settled(Remote server, Figures baseline) {
    if (baseline != null) {
      Await.until(() -> "server threads and descriptors settle: " + server.figures() + " vs " + baseline,
          () -> {
            Figures now = server.figures();
            return now.threads - baseline.threads <= 4 && (now.fds < 0 || now.fds - baseline.fds <= 16);
          }, Duration.ofSeconds(120));
    }
    return server.figures();
  }

  /** What one churn phase left open, and what it did. */
  private static final class Churn {
    JdkWsClient publisher;
    final List<JdkWsClient> churnWs = new ArrayList<>();
    final List<SourceRunner> churnSse = new ArrayList<>();
    final List<Socket> stalled = new ArrayList<>();
    long frames;
    long joins;
    long badMessages;
    long publisherRestarts;
    byte[] lastSent = new byte[0];

    /** Closes everything the phase opened and waits until only the steady viewers are left. */
    void cleanUp(Remote server) throws Exception {
      publisher.close();
      publisher.abort();
      churnWs.forEach(JdkWsClient::abort);
      churnSse.forEach(SourceRunner::close);
      for (Socket s : stalled) {
        s.close();
      }
      Await.until("only the steady viewers remain", () -> {
        JsonNode c = server.channel();
        return c.get("subscribers").asInt() == 2 && c.get("publishers").asInt() == 0;
      });
      Await.until("every churn connection is gone on the server", () -> server.webSocketSessions() == 1);
    }
  }

  /** Publishes at 15 fps for the given time while clients come and go at random and bad input arrives. */
  private static Churn churn(Remote server, long nanos, Random random) throws Exception {
    Churn c = new Churn();
    c.publisher = JdkWsClient.connect(server.ws("/ws/publish/soak"));
    JdkWsClient first = c.publisher;
    Await.until("publisher on", () -> server.channel().get("publishers").asInt() == 1 || first.isClosed());
    long end = System.nanoTime() + nanos;
    long period = TimeUnit.SECONDS.toNanos(1) / 15;
    long next = System.nanoTime();
    for (long tick = 0; System.nanoTime() < end && tick < 100_000_000L; tick++) {
      c.lastSent = WebSocketServerIT.jpeg((int) c.frames, 20_000 + random.nextInt(20_000));
      c.publisher.sendBinary(c.lastSent);
      c.frames++;
      int action = random.nextInt(100);
      if (action < 10 && c.churnWs.size() < 15) {
        c.churnWs.add(JdkWsClient.connectCounting(server.ws("/ws/live/soak"
            + (random.nextBoolean() ? "" : "?format=datauri"))));
        c.joins++;
      } else if (action < 18 && !c.churnWs.isEmpty()) {
        c.churnWs.remove(random.nextInt(c.churnWs.size())).abort();
      } else if (action < 23 && c.churnSse.size() < 8) {
        c.churnSse.add(SourceRunner.builder(SseFrameSource.builder(server.http("/sse/soak")).build(),
            (frame, done) -> done.completed()).build().start());
        c.joins++;
      } else if (action < 28 && !c.churnSse.isEmpty()) {
        c.churnSse.remove(random.nextInt(c.churnSse.size())).close();
      } else if (action < 30 && c.stalled.size() < 4) {
        c.stalled.add(stalledSseViewer(server.port));
      } else if (action < 32 && !c.stalled.isEmpty()) {
        c.stalled.remove(0).close();
      } else if (action < 34) {
        c.badMessages += sendSomethingBad(server, random);
      } else if (action == 34) {
        // The publisher restarts: one publisher per channel, so the new one waits for the old one's slot.
        c.publisher.close();
        Await.until("publisher slot released", () -> server.channel().get("publishers").asInt() == 0);
        c.publisher = JdkWsClient.connect(server.ws("/ws/publish/soak"));
        JdkWsClient current = c.publisher;
        Await.until("publisher back", () -> server.channel().get("publishers").asInt() == 1 || current.isClosed());
        c.publisherRestarts++;
      }
      next += period;
      Await.pace(next - System.nanoTime());
    }
    return c;
  }

  private static Socket stalledSseViewer(int port) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    OutputStream out = s.getOutputStream();
    out.write("GET /sse/soak HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return s;
  }

  /** One malformed or oversized message from a short-lived client; returns 1. */
  private static int sendSomethingBad(Remote server, Random random) {
    int kind = random.nextInt(4);
    if (kind == 0) {
      JdkWsClient.refusedStatus(server.ws("/ws/live/bad%20name"));
      return 1;
    }
    JdkWsClient c = JdkWsClient.connect(server.ws("/ws/publish/soak-bad-" + random.nextInt(1000)));
    if (kind == 1) {
      c.sendBinary(new byte[300 * 1024]);
    } else if (kind == 2) {
      c.sendText("data:image/jpeg;base64,@@@");
    } else {
      c.sendBinary(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
    }
    c.closeCode(Duration.ofSeconds(10));
    c.abort();
    return 1;
  }
}
