package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.framestream.core.ImageFrames.image;

import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rules O1 and O2 (metrics counters): the live {@link ChannelCounters} read exactly what the channel did,
 * and the publish-to-delivery latency is measured with the registry's clock at send completion.
 */
class ChannelCountersTest {

  private final ManualClock clock = new ManualClock();
  private final ChannelRegistry registry = ChannelRegistry.builder().deliveryThreads(2).ticker(clock).build();

  @AfterEach
  void tearDown() {
    registry.close();
  }

  @Test
  void o1_countersReadWhatTheChannelDid() {
    Channel ch = registry.declare("counted",
        ChannelConfig.builder().maxSubscribers(2).maxPublishers(1).build());
    ChannelCounters c = ChannelCounters.of(ch);
    RecordingSink a = RecordingSink.immediate();
    RecordingSink b = RecordingSink.immediate();
    ch.subscribe(a);
    ch.subscribe(b);
    for (int i = 1; i <= 5; i++) {
      ch.publish(image(i, 100));
      int n = i;
      Await.until("frame " + i + " delivered twice", () -> a.count() == n && b.count() == n);
    }
    Await.until("both deliveries of the last frame counted", () -> c.framesOut() == 10);
    assertEquals("counted", c.channel());
    assertEquals(5, c.framesIn());
    assertEquals(500, c.bytesIn());
    assertEquals(10, c.framesOut());
    assertEquals(1_000, c.bytesOut());
    assertEquals(10, c.latencyCount());
    for (DropReason r : DropReason.values()) {
      assertEquals(0, c.drops(r), r.name());
    }

    assertThrows(LimitExceededException.class, () -> ch.subscribe(RecordingSink.immediate()));
    assertThrows(LimitExceededException.class, () -> ch.subscribe(RecordingSink.immediate()));
    assertEquals(2, c.subscribersRefused());
    try (Publisher p = ch.openPublisher("first")) {
      assertThrows(LimitExceededException.class, () -> ch.openPublisher("second"));
      assertEquals(1, c.publishersRefused());
      assertTrue(p.publish(image(6, 10)));
    }
    assertEquals(6, c.framesIn());
    ChannelStats s = ch.stats();
    assertEquals(s.framesIn(), c.framesIn());
    assertEquals(s.bytesIn(), c.bytesIn());
  }

  @Test
  void o1_dropsAndEvictionsAreCountedByReason() {
    Channel ch = registry.declare("slow",
        ChannelConfig.builder().maxQueuedFrames(1).stallTimeout(java.time.Duration.ofSeconds(1)).build());
    ChannelCounters c = ChannelCounters.of(ch);
    RecordingSink stuck = new RecordingSink(RecordingSink.Mode.NEVER);
    ch.subscribe(stuck);
    ch.publish(image(1, 10));
    Await.until("frame 1 in flight", () -> stuck.count() == 1);
    ch.publish(image(2, 10)); // waits
    ch.publish(image(3, 10)); // replaces 2
    ch.publish(image(4, 10)); // replaces 3
    assertEquals(2, c.drops(DropReason.SUPERSEDED));
    assertEquals(0, c.evictions());
    clock.advanceMillis(1_500);
    Await.until("stalled viewer evicted", () -> c.evictions() == 1);
    Await.until("closed as stalled", stuck::isClosed);
    assertEquals(CloseReason.Code.STALLED, stuck.closeReason().code());
    assertEquals(0, c.framesOut());
  }

  @Test
  void o2_latencyIsMeasuredFromPublishToCompletion() {
    Channel ch = registry.declare("timed");
    ChannelCounters c = ChannelCounters.of(ch);
    RecordingSink sink = new RecordingSink(RecordingSink.Mode.MANUAL);
    ch.subscribe(sink);
    long[] waits = {2, 4, 8, 1_000};
    for (int i = 0; i < waits.length; i++) {
      ch.publish(image(i, 10));
      int n = i + 1;
      Await.until("frame in flight", () -> sink.count() == n);
      clock.advanceMillis(waits[i]);
      sink.completeAll();
      Await.until("completion recorded", () -> c.latencyCount() == n);
    }
    assertEquals(1_014_000_000L, c.latencyTotalNanos());
    assertEquals(1_000_000_000L, c.latencyMaxNanos());
    assertEquals(1_000_000_000L, c.latencyQuantileNanos(1.0));
    long p50 = c.latencyQuantileNanos(0.5);
    assertTrue(p50 >= 4_000_000L && p50 <= 4_000_000L * 113 / 100, "p50 " + p50);
    assertThrows(IllegalArgumentException.class, () -> c.latencyQuantileNanos(1.5));
    assertEquals(List.of(), List.of(DropReason.values()).stream().filter(r -> c.drops(r) != 0).toList());
  }

  @Test
  void o1_onlyChannelsOfThisLibraryHaveCounters() {
    Channel ch = registry.declare("one");
    assertSame(ChannelCounters.of(ch), ChannelCounters.of(ch));
    Channel foreign = (Channel) java.lang.reflect.Proxy.newProxyInstance(Channel.class.getClassLoader(),
        new Class<?>[] {Channel.class}, (proxy, method, args) -> null);
    assertThrows(IllegalArgumentException.class, () -> ChannelCounters.of(foreign));
    assertThrows(NullPointerException.class, () -> ChannelCounters.of(null));
  }

  @Test
  void o1_countersOfAClosedChannelStayReadable() {
    Channel ch = registry.declare("gone");
    ChannelCounters c = ChannelCounters.of(ch);
    ch.publish(image(1, 7));
    ch.close();
    assertEquals(1, c.framesIn());
    assertEquals(7, c.bytesIn());
  }
}
