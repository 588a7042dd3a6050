package io.framestream.transport.sse;

import static io.framestream.testkit.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.ChannelRegistry;
import io.framestream.core.Frame;
import io.framestream.transport.sse.internal.EventStreamParser;
import io.framestream.transport.sse.internal.SseViewer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Five SSE viewers that never read (small receive buffers) on a channel streaming ~50 KB frames at 30 fps,
 * next to three healthy viewers: the stalled ones are evicted and their connections closed at once, the
 * healthy ones keep (almost) every frame, and what the server holds for the stalled ones stays bounded.
 */
class SlowViewerIT {

  private static final System.Logger LOG = System.getLogger(SlowViewerIT.class.getName());
  private static final int FPS = 30;
  private static final int FRAME_BYTES = 50_000;
  private static final Duration RUN = Duration.ofSeconds(8);
  private static final int STALLED = 5;
  private static final int HEALTHY = 3;

  /** A healthy viewer: a thread that reads as fast as it can and records the ids of data events. */
  private static final class Reader implements Runnable {
    final RawSse sse;
    final ConcurrentHashMap.KeySetView<Long, Boolean> ids = ConcurrentHashMap.newKeySet();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread thread;

    Reader(RawSse sse, int index) {
      this.sse = sse;
      this.thread = new Thread(this, "healthy-viewer-" + index);
      thread.setDaemon(true);
    }

    @Override
    public void run() {
      EventStreamParser parser = new EventStreamParser((type, data, id) -> {
        if (type.equals("data")) {
          ids.add(Long.parseLong(id));
        }
      }, 1 << 20, 1 << 20);
      byte[] buf = new byte[64 * 1024];
      try {
        for (int n = sse.read(buf); n >= 0; n = sse.read(buf)) {
          parser.feed(buf, 0, n);
        }
      } catch (IOException e) {
        if (!sse.socket.isClosed()) {
          failure.set(e);
        }
      } catch (RuntimeException e) {
        failure.set(e);
      }
    }
  }

  @Test
  void stalledViewersAreEvictedWhileHealthyViewersKeepTheirFrames() throws Exception {
    ChannelConfig config = ChannelConfig.builder().stallTimeout(Duration.ofSeconds(1)).build();
    try (ChannelRegistry registry = ChannelRegistry.builder().channelDefaults(config).build()) {
      SseHandler handler = SseHandler.builder(registry).build();
      try (TestServer server = TestServer.start(handler)) {
        Channel channel = registry.channel("load");
        long heapBefore = usedHeapAfterGc();

        List<Reader> healthy = new ArrayList<>();
        for (int i = 0; i < HEALTHY; i++) {
          Reader r = new Reader(RawSse.open(server.port, "/sse/load"), i);
          healthy.add(r);
          r.thread.start();
        }
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < STALLED; i++) {
          stalled.add(RawSse.send(server.port, "/sse/load", 4096));
        }
        until("all viewers subscribed", () -> channel.subscriberCount() == HEALTHY + STALLED
            && handler.viewerCount() == HEALTHY + STALLED);

        byte[][] payloads = new byte[8][];
        Random random = new Random(1);
        for (int i = 0; i < payloads.length; i++) {
          payloads[i] = new byte[FRAME_BYTES];
          random.nextBytes(payloads[i]);
        }
        int eventBytes = Frame.of("image/jpeg", payloads[0]).dataUri().length() + 32;

        long start = System.nanoTime();
        long period = TimeUnit.SECONDS.toNanos(1) / FPS;
        long total = RUN.toNanos() / period;
        long evictedAtNanos = -1;
        long maxHeldPerViewer = 0;
        long firstSeq = -1;
        long lastSeq = -1;
        for (long i = 0; i < total; i++) {
          long due = start + i * period;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            io.framestream.testkit.Await.pace(wait);
          }
          Frame f = channel.publish(Frame.of("image/jpeg", payloads[(int) (i % payloads.length)]));
          if (firstSeq < 0) {
            firstSeq = f.sequence();
          }
          lastSeq = f.sequence();
          for (SseViewer v : handler.viewers()) {
            maxHeldPerViewer = Math.max(maxHeldPerViewer, v.heldBytes());
          }
          if (evictedAtNanos < 0 && handler.viewerCount() == HEALTHY) {
            evictedAtNanos = System.nanoTime() - start;
          }
        }
        long publishedFirst = firstSeq;
        long publishedLast = lastSeq;
        long published = lastSeq - firstSeq + 1;

        until("the stalled viewers are evicted", () -> handler.viewerCount() == HEALTHY, Duration.ofSeconds(20));
        if (evictedAtNanos < 0) {
          evictedAtNanos = System.nanoTime() - start;
        }
        until("healthy viewers got the last frame",
            () -> healthy.stream().allMatch(r -> r.ids.contains(publishedLast) || r.failure.get() != null),
            Duration.ofSeconds(20));

        long heapAfter = usedHeapAfterGc();
        assertEquals(STALLED, channel.stats().evictions(), channel.stats().toString());
        assertEquals(HEALTHY, channel.subscriberCount());

        for (Reader r : healthy) {
          assertEquals(null, r.failure.get(), "healthy viewer failed");
          long got = r.ids.stream().filter(id -> id >= publishedFirst && id <= publishedLast).count();
          double share = (double) got / published;
          LOG.log(System.Logger.Level.INFO, "healthy viewer {0}: {1}/{2} frames ({3}%)",
              r.thread.getName(), got, published, Math.round(share * 1000) / 10.0);
          assertTrue(share >= 0.95, r.thread.getName() + " got only " + got + " of " + published);
        }

        // What the server held for one viewer (its frame in flight plus Grizzly's queue) never grew past
        // the write-queue limit plus a couple of events, however long the peer did not read.
        long bound = SseHandler.DEFAULT_WRITE_QUEUE_LIMIT + 3L * eventBytes;
        LOG.log(System.Logger.Level.INFO,
            "eviction after {0} ms; max held per viewer {1} bytes (bound {2}); heap {3} -> {4} MB",
            TimeUnit.NANOSECONDS.toMillis(evictedAtNanos), maxHeldPerViewer, bound,
            heapBefore >> 20, heapAfter >> 20);
        assertTrue(maxHeldPerViewer <= bound, "held " + maxHeldPerViewer + " > " + bound);
        assertTrue(heapAfter - heapBefore < 48L << 20,
            "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MB");

        // The evicted connections were closed at once: a reader that now drains a stalled socket reaches
        // the end (or a reset) after what the kernel buffered, instead of waiting forever.
        for (Socket s : stalled) {
          s.setSoTimeout(10_000);
          assertTrue(drainsToEnd(s.getInputStream()), "a stalled viewer's connection was not closed");
          s.close();
        }
        for (Reader r : healthy) {
          r.sse.close();
        }
      } finally {
        handler.close();
      }
    }
  }

  /** Reads until EOF or a reset, bounded to 256 MB; false if the bound is reached. */
  private static boolean drainsToEnd(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    AtomicLong total = new AtomicLong();
    try {
      while (total.get() < 256L << 20) {
        int n = in.read(buf);
        if (n < 0) {
          return true;
        }
        total.addAndGet(n);
      }
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
