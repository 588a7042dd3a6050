package io.framestream.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.ChannelStats;
import io.framestream.testkit.Await;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Viewers that stop reading, next to healthy ones, on the real server: the stalled ones are evicted, the
 * healthy ones keep the frame rate, and the server's heap does not hold the stalled viewers' backlog.
 */
class SlowViewerIT {

  private static final int FPS = 30;
  private static final int FRAME_BYTES = 100_000;
  private static final Duration STALL = Duration.ofSeconds(1);

  @Test
  void stalledViewersAreEvictedWhileHealthyViewersKeepTheFrameRate() {
    try (ChannelRegistry registry = ChannelRegistry.builder()
            .channelDefaults(ChannelConfig.builder().stallTimeout(STALL).build()).build();
        FrameStreamServer server = FrameStreamServer.builder().port(0).registry(registry).build().start()) {
      List<JdkWsClient> healthy = new ArrayList<>();
      List<JdkWsClient> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          healthy.add(JdkWsClient.connectCounting(server.webSocketUri().resolve("/ws/live/slow")));
        }
        for (int i = 0; i < 3; i++) {
          stalled.add(JdkWsClient.connect(server.webSocketUri().resolve("/ws/live/slow"), false));
        }
        Channel channel = registry.channel("slow");
        Await.until("all subscribed", () -> channel.subscriberCount() == 7);
        long heapBefore = usedHeapAfterGc();

        JdkWsClient publisher = JdkWsClient.connect(server.webSocketUri().resolve("/ws/publish/slow"));
        int frames = FPS * 6;
        long period = TimeUnit.SECONDS.toNanos(1) / FPS;
        long next = System.nanoTime();
        long maxRetained = 0;
        long startNanos = System.nanoTime();
        long allEvictedAfterNanos = -1;
        for (int i = 0; i < frames; i++) {
          publisher.sendBinary(WebSocketServerIT.jpeg(i, FRAME_BYTES));
          ChannelStats st = channel.stats();
          maxRetained = Math.max(maxRetained, st.queuedFrames() + st.inFlightFrames());
          if (allEvictedAfterNanos < 0 && st.evictions() == 3) {
            allEvictedAfterNanos = System.nanoTime() - startNanos;
          }
          next += period;
          Await.pace(next - System.nanoTime());
        }
        Await.until("last frame reaches every healthy viewer",
            () -> channel.stats().framesIn() == frames && healthy.stream().allMatch(c -> c.lastBinary() != null
                && java.util.Arrays.equals(c.lastBinary(), WebSocketServerIT.jpeg(frames - 1, FRAME_BYTES))));
        long heapAfter = usedHeapAfterGc();

        for (JdkWsClient c : healthy) {
          int got = c.binaryCount();
          assertTrue(got >= frames * 95 / 100, "a healthy viewer got " + got + " of " + frames + " frames");
        }
        ChannelStats st = channel.stats();
        assertEquals(3, st.evictions(), "the three stalled viewers are evicted: " + st);
        assertEquals(4, st.subscribers());
        for (JdkWsClient c : stalled) {
          assertTrue(c.binaryCount() < frames / 2, "a stalled viewer received " + c.binaryCount());
        }
        assertTrue(maxRetained <= 7 * 2, "frames retained by mailboxes: " + maxRetained);
        // A relay that queues for stalled viewers would hold 3 x 6 s x 30 fps x 100 KB = 54 MB (twice that
        // with Tyrus's copies). Each stalled viewer may cost one frame in flight at most.
        long growth = heapAfter - heapBefore;
        System.getLogger(SlowViewerIT.class.getName()).log(System.Logger.Level.INFO,
            "healthy viewers got {0} of {1} frames; heap growth {2} bytes; max frames retained {3};"
                + " all stalled viewers evicted {4} ms after publishing started",
            healthy.stream().map(JdkWsClient::binaryCount).toList(), frames, growth, maxRetained,
            allEvictedAfterNanos / 1_000_000);
        assertTrue(allEvictedAfterNanos > 0, "evicted while the stream ran");
        assertTrue(growth < 20_000_000L, "heap grew by " + growth / 1_000_000 + " MB");
      } finally {
        healthy.forEach(JdkWsClient::abort);
        stalled.forEach(JdkWsClient::abort);
      }
    }
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
    }
    return best;
  }
}
