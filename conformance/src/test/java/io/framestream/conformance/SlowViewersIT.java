package io.framestream.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.core.Channel;
import io.framestream.core.ChannelConfig;
import io.framestream.core.DropReason;
import io.framestream.testkit.Await;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/**
 * C2, C5, W5: a slow viewer gets the newest frame, not a backlog; a stalled one is evicted and dropped at the
 * socket after the stall timeout, while a healthy viewer of the same channel keeps getting frames.
 */
class SlowViewersIT extends ConformanceSuite {

  /** Frames big enough that a few fill the socket buffers of a viewer that stops reading. */
  private static final int BIG = 512 * 1024;
  private static final int FRAMES = 40;

  @RuleTestWithChunks
  void c2_aSlowViewerGetsTheNewestFrame(Combination c) {
    Host host = host(c);
    Channel channel = declare(host, "slow");
    ViewerClient viewer = viewSubscribed(c, host, channel);
    viewer.pause(); // the viewer stops reading: its socket fills while frames keep coming
    for (int i = 0; i < FRAMES; i++) {
      channel.publish(TestFrames.image(i, BIG));
    }
    viewer.resume(); // well within the stall timeout (5 s)
    Await.until(() -> "the newest frame " + (FRAMES - 1) + " reaches the slow viewer; it has " + viewer.frameIndices()
        + "; " + channel.stats(), () -> viewer.lastIndex() == FRAMES - 1, BOUND);
    List<Integer> got = viewer.frameIndices();
    for (int i = 1; i < got.size(); i++) {
      assertTrue(got.get(i) > got.get(i - 1), () -> "in order, no repeats: " + got);
    }
    long superseded = channel.stats().drops().getOrDefault(DropReason.SUPERSEDED, 0L);
    System.out.printf("C2 [%s]: the slow viewer got %d of %d frames (%d superseded)%n", c, got.size(), FRAMES,
        superseded);
    assertTrue(got.size() < FRAMES && superseded > 0,
        () -> "older frames were dropped for the newest, not queued: got " + got + "; " + channel.stats());
  }

  @RuleTestWithChunks
  void c5_aStalledViewerIsEvictedWithoutSlowingOthers(Combination c) throws Exception {
    Host host = host(c);
    Duration stallTimeout = Duration.ofSeconds(1);
    Channel channel = declare(host, "stall", ChannelConfig.builder().stallTimeout(stallTimeout).build());
    ViewerClient healthy = viewSubscribed(c, host, channel);
    Socket stalled = neverReading(c, host, channel.name());
    Await.until("both viewers subscribed", () -> channel.subscriberCount() == 2, BOUND);

    // About 25 frames of 100 KB a second until the stalled viewer is evicted, then one more second.
    long start = System.nanoTime();
    int published = 0;
    long evictedAt = 0;
    while (System.nanoTime() - start < BOUND.toNanos()) {
      channel.publish(TestFrames.image(published++, 100_000));
      if (evictedAt == 0 && channel.stats().evictions() > 0) {
        evictedAt = System.nanoTime();
      }
      if (evictedAt != 0 && System.nanoTime() - evictedAt > 1_000_000_000L) {
        break;
      }
      Await.pace(40_000_000); // pacing the publisher, not synchronisation
    }
    int last = published - 1;
    int total = published;
    long evictionMillis = (evictedAt - start) / 1_000_000;
    long evicted = evictedAt;
    assertTrue(evicted != 0, () -> "C5: the stalled viewer was not evicted within " + BOUND + "; " + channel.stats());
    Await.until(() -> "the healthy viewer gets the last frame " + last + "; it has " + healthy.lastIndex(),
        () -> healthy.lastIndex() == last, BOUND);
    assertEquals(1, channel.subscriberCount(), () -> "C5: only the healthy viewer is left; " + channel.stats());
    assertEquals(1, channel.stats().evictions(), () -> "C5: one eviction; " + channel.stats());
    int got = healthy.frames().size();
    System.out.printf("C5/W5 [%s]: evicted after %d ms; the healthy viewer got %d of %d frames%n", c,
        evictionMillis, got, total);
    assertTrue(got >= total * 0.8, () -> "C5: the healthy viewer kept up (" + got + " of the " + total
        + " frames published at 25 fps)");
    assertTrue(RawHttp.drainsToTheEnd(stalled), "W5: the stalled viewer's connection is dropped at the socket");
  }
}
