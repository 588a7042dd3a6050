package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.SourceRunner;
import io.framestream.transport.sse.SseFrameSource;
import java.io.File;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Churn on the real server for {@code -Dsoak.minutes=N}: viewers joining and leaving at random over both
 * transports, stalled viewers, a publisher that restarts, oversized and malformed messages. Then heap after
 * GC (within 32 MiB), live server threads (within 4, once idle pool threads have ended) and open file
 * descriptors (within 16) must be back near their starting level, and the steady viewers current. The test's
 * own client threads (the JDK HttpClient's) are not counted. Not part of the normal build: without {@code soak.minutes} it is skipped. See
 * docs/reliability.md for the command and recorded figures.
 */
class SoakIT {

  private static final System.Logger LOG = System.getLogger(SoakIT.class.getName());

  @Test
  void churnLeavesNothingBehind() throws Exception {
    String minutes = System.getProperty("soak.minutes");
    Assumptions.assumeTrue(minutes != null, "soak run skipped: pass -Dsoak.minutes=N to run it");
    long runNanos = (long) (Double.parseDouble(minutes) * 60e9);
    Random random = new Random(42);
    try (ChannelRegistry registry = ChannelRegistry.builder()
            .channelDefaults(ChannelConfig.builder().stallTimeout(Duration.ofSeconds(2)).build()).build();
        FrameStreamServer server = FrameStreamServer.builder().port(0).registry(registry).maxFrameBytes(256 * 1024)
            .build().start()) {
      Channel channel = registry.declare("soak");
      // Steady viewers, one per transport, present the whole time.
      JdkWsClient steadyWs = JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/soak"));
      AtomicReference<byte[]> steadySseLast = new AtomicReference<>(new byte[0]);
      SourceRunner steadySse = SourceRunner.builder(
          SseFrameSource.builder(server.httpUri().resolve("/sse/soak")).build(),
          (frame, done) -> {
            steadySseLast.set(frame.copyPayload());
            done.completed();
          }).build().start();
      Await.until("steady viewers subscribed", () -> channel.subscriberCount() == 2);
      // Warm up: bounded pools (delivery threads, Tyrus's scheduler) start their threads lazily.
      Churn warmUp = churn(server, channel, Math.min(runNanos / 5, TimeUnit.SECONDS.toNanos(20)), random);
      warmUp.cleanUp(channel, server);
      Baseline before = Baseline.measure();
      java.util.Set<Thread> threadsBefore = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
      LOG.log(System.Logger.Level.INFO, "soak start (after warm-up): {0}", before);
      Churn run = churn(server, channel, runNanos, random);
      long frames = run.frames;
      long badMessages = run.badMessages;
      long publisherRestarts = run.publisherRestarts;
      long finalFrames = warmUp.frames + run.frames;
      byte[] finalFrame = run.lastSent;
      Await.until(() -> "steady viewers are current: published " + finalFrames + ", channel " + channel.stats()
          + ", SSE viewer has the last frame " + java.util.Arrays.equals(steadySseLast.get(), finalFrame)
          + ", WS viewer has the last frame " + java.util.Arrays.equals(steadyWs.lastBinary(), finalFrame),
          () -> channel.stats().framesIn() == finalFrames && java.util.Arrays.equals(steadySseLast.get(), finalFrame)
              && java.util.Arrays.equals(steadyWs.lastBinary(), finalFrame), Duration.ofSeconds(30));
      run.cleanUp(channel, server);
      List<String> added = new ArrayList<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (!threadsBefore.contains(t) && !t.getName().startsWith("HttpClient")) {
          added.add(t.getName());
        }
      }
      LOG.log(System.Logger.Level.INFO, "threads started during the soak and still alive: {0}", added);
      // Idle pool threads (Tyrus's cached executor) end after 60 s without work: let them settle.
      Await.until(() -> "server threads and descriptors settle: " + Baseline.measure() + " vs " + before,
          () -> {
            Baseline now = Baseline.measure();
            return now.threads - before.threads <= 4 && (now.fds < 0 || now.fds - before.fds <= 16);
          }, Duration.ofSeconds(120));
      Baseline after = Baseline.measure();
      java.util.Map<String, Long> names = new java.util.TreeMap<>();
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        names.merge(t.getName().replaceAll("[0-9]+", "#"), 1L, Long::sum);
      }
      LOG.log(System.Logger.Level.INFO, "threads after the soak: {0}", names);
      LOG.log(System.Logger.Level.INFO, "soak end after {0} frames, {1} bad messages, {2} publisher restarts, {3}"
          + " evictions: {4}", frames, badMessages, publisherRestarts, channel.stats().evictions(), after);
      assertTrue(after.heapBytes - before.heapBytes < 32L << 20, "heap " + before + " -> " + after);
      assertTrue(after.threads - before.threads <= 4, "threads " + before + " -> " + after);
      assertTrue(after.fds < 0 || after.fds - before.fds <= 16, "file descriptors " + before + " -> " + after);
      steadyWs.abort();
      steadySse.close();
    }
  }

  /** What one churn phase left open, and what it did. */
  private static final class Churn {
    JdkWsClient publisher;
    final List<JdkWsClient> churnWs = new ArrayList<>();
    final List<SourceRunner> churnSse = new ArrayList<>();
    final List<Socket> stalled = new ArrayList<>();
    long frames;
    long badMessages;
    long publisherRestarts;
    byte[] lastSent = new byte[0];

    /** Closes everything the phase opened and waits until only the steady viewers are left. */
    void cleanUp(Channel channel, FrameStreamServer server) throws Exception {
      publisher.close();
      publisher.abort();
      churnWs.forEach(JdkWsClient::abort);
      churnSse.forEach(SourceRunner::close);
      for (Socket s : stalled) {
        s.close();
      }
      Await.until("only the steady viewers remain", () -> channel.subscriberCount() == 2 && channel.publisherCount() == 0);
      Await.until("every churn connection is gone on the server", () -> server.webSocket().openSessions() == 1);
    }
  }

  /** Publishes at 15 fps for the given time while clients come and go at random and bad input arrives. */
  private static Churn churn(FrameStreamServer server, Channel channel, long nanos, Random random) throws Exception {
    Churn c = new Churn();
    c.publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/soak"));
    JdkWsClient first = c.publisher;
    Await.until("publisher on", () -> channel.publisherCount() == 1 || first.isClosed());
    long end = System.nanoTime() + nanos;
    long period = TimeUnit.SECONDS.toNanos(1) / 15;
    long next = System.nanoTime();
    for (long tick = 0; System.nanoTime() < end && tick < 100_000_000L; tick++) {
      c.lastSent = WebSocketServerIT.jpeg((int) c.frames, 20_000 + random.nextInt(20_000));
      c.publisher.sendBinary(c.lastSent);
      c.frames++;
      int action = random.nextInt(100);
      if (action < 10 && c.churnWs.size() < 15) {
        c.churnWs.add(JdkWsClient.connectCounting(server.webSocketUri().resolve(
            "/ws/live/soak" + (random.nextBoolean() ? "" : "?format=datauri"))));
      } else if (action < 18 && !c.churnWs.isEmpty()) {
        c.churnWs.remove(random.nextInt(c.churnWs.size())).abort();
      } else if (action < 23 && c.churnSse.size() < 8) {
        c.churnSse.add(SourceRunner.builder(SseFrameSource.builder(server.httpUri().resolve("/sse/soak")).build(),
            (frame, done) -> done.completed()).build().start());
      } else if (action < 28 && !c.churnSse.isEmpty()) {
        c.churnSse.remove(random.nextInt(c.churnSse.size())).close();
      } else if (action < 30 && c.stalled.size() < 4) {
        c.stalled.add(stalledSseViewer(server.port()));
      } else if (action < 32 && !c.stalled.isEmpty()) {
        c.stalled.remove(0).close();
      } else if (action < 34) {
        c.badMessages += sendSomethingBad(server, random);
      } else if (action == 34) {
        // The publisher restarts: one publisher per channel, so the new one waits for the old one's slot.
        c.publisher.close();
        Await.until("publisher slot released", () -> channel.publisherCount() == 0);
        c.publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/soak"));
        JdkWsClient current = c.publisher;
        Await.until("publisher back", () -> channel.publisherCount() == 1 || current.isClosed());
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
  private static int sendSomethingBad(FrameStreamServer server, Random random) {
    switch (random.nextInt(4)) {
      case 0:
        JdkWsClient.refusedStatus(server.webSocketUri().resolve("/ws/live/bad%20name"));
        return 1;
      case 1: {
        JdkWsClient c = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/soak-bad"));
        c.sendBinary(new byte[300 * 1024]);
        c.closeCode(Duration.ofSeconds(10));
        c.abort();
        return 1;
      }
      case 2: {
        JdkWsClient c = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/soak-bad"));
        c.sendText("data:image/jpeg;base64,@@@");
        c.closeCode(Duration.ofSeconds(10));
        c.abort();
        return 1;
      }
      default: {
        JdkWsClient c = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/soak-bad"));
        c.sendBinary(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        c.closeCode(Duration.ofSeconds(10));
        c.abort();
        return 1;
      }
    }
  }

  /** Heap after GC, live threads, open file descriptors (-1 where /proc is missing). */
  private record Baseline(long heapBytes, int threads, long fds) {
    static Baseline measure() {
      long heap = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        System.gc();
        heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
      }
      String[] fds = new File("/proc/self/fd").list();
      int serverThreads = 0;
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        String n = t.getName();
        // The test's own clients: the JDK HttpClient's pools and the JDK's timeout scheduler.
        if (t.isAlive() && !n.startsWith("HttpClient") && !n.equals("CompletableFutureDelayScheduler")) {
          serverThreads++;
        }
      }
      return new Baseline(heap, serverThreads, fds == null ? -1 : fds.length);
    }

    @Override
    public String toString() {
      return "heap " + heapBytes / 1024 + " KiB, " + threads + " threads, " + fds + " fds";
    }
  }
}
