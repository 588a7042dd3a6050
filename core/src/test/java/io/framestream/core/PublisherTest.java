package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framestream.testkit.Await;
import io.framestream.testkit.ManualClock;
import io.framestream.testkit.RecordingSink;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Publisher limits, rate limits and the online/offline notices (rule C9 of docs/contract.md). */
class PublisherTest {

  private ChannelRegistry registry;

  @BeforeEach
  void setUp() {
    registry = ChannelRegistry.builder().build();
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  private static Frame image(int n) {
    return ChannelTest.image(n);
  }

  @Test
  void c9_oneChannelAcceptsItsMaximumOfPublishersAndNamesTheLimit() {
    Channel ch = registry.declare("one");
    Publisher first = ch.openPublisher("cam-a");
    LimitExceededException e = assertThrows(LimitExceededException.class, () -> ch.openPublisher("cam-b"));
    assertTrue(e.getMessage().contains("maxPublishers"), e.getMessage());
    first.close();
    first.close();
    try (Publisher second = ch.openPublisher("cam-b")) {
      assertTrue(second.publish(image(1)));
    }
    Channel many = registry.declare("many", ChannelConfig.builder().maxPublishers(3).build());
    many.openPublisher("a");
    many.openPublisher("b");
    many.openPublisher("c");
    assertEquals(3, many.publisherCount());
    assertEquals(3, many.stats().publishers());
  }

  @Test
  void c9_viewersAreToldWhenThePublisherLeavesAndComesBackInOrderWithFrames() {
    Channel ch = registry.declare("cam");
    RecordingSink viewer = RecordingSink.immediate();
    ch.subscribe(viewer);
    assertEquals(Optional.empty(), ch.state(), "never had a publisher");
    Publisher p = ch.openPublisher("cam");
    p.publish(image(1));
    Await.until("frame 1", () -> viewer.count() == 1);
    p.publish(image(2));
    Await.until("frame 2", () -> viewer.count() == 2);
    p.close();
    Await.until("offline", () -> viewer.events().contains("OFFLINE"));
    assertEquals(Optional.of(ChannelState.OFFLINE), ch.state());
    assertEquals(Optional.of(image(2).contentType()), ch.latestFrame().map(Frame::contentType),
        "the newest frame stays in place");
    try (Publisher again = ch.openPublisher("cam")) {
      again.publish(image(3));
      Await.until("online and a frame", () -> viewer.count() == 3);
    }
    Await.until("offline again", () -> viewer.events().size() == 7);
    assertEquals(List.of("ONLINE", "1", "2", "OFFLINE", "ONLINE", "3", "OFFLINE"), fromOnline(viewer.events()));
    viewer.assertRulesHeld();
  }

  /** The first ONLINE arrives before frame 1; the list from there on. */
  private static List<String> fromOnline(List<String> events) {
    return events.subList(events.indexOf("ONLINE"), events.size());
  }

  @Test
  void c9_aLateJoinerOfAnOfflineChannelGetsTheNewestFrameThenOffline() {
    Channel ch = registry.declare("gone");
    try (Publisher p = ch.openPublisher("cam")) {
      p.publish(image(1));
    }
    RecordingSink late = RecordingSink.immediate();
    ch.subscribe(late);
    Await.until("frame and status", () -> late.events().size() == 2);
    assertEquals(List.of("1", "OFFLINE"), late.events());
  }

  @Test
  void c9_statusNoticesCollapseWhileTheViewerIsBusyAndAreNeverDropped() {
    Channel ch = registry.declare("flap");
    RecordingSink slow = new RecordingSink(RecordingSink.Mode.MANUAL);
    ch.subscribe(slow);
    ch.publish(image(1));
    Await.until("in flight", () -> slow.count() == 1);
    for (int i = 0; i < 5; i++) {
      ch.openPublisher("p" + i).close(); // ONLINE, OFFLINE, ONLINE, ...
    }
    ch.publish(image(2));
    slow.drainUntil(2);
    List<String> events = slow.events();
    assertEquals("1", events.get(0));
    assertEquals("2", events.get(events.size() - 1));
    assertTrue(events.contains("OFFLINE") && events.size() <= 4, "statuses collapsed, newest kept: " + events);
  }

  @Test
  void c9_publishRateLimitsDropAndCountTheExcess() {
    ManualClock clock = new ManualClock();
    try (ChannelRegistry timed = ChannelRegistry.builder().ticker(clock).build()) {
      Channel ch = timed.declare("fast", ChannelConfig.builder().maxPublishFps(10).maxPublishBytesPerSecond(0).build());
      try (Publisher p = ch.openPublisher("burst")) {
        assertEquals(10, publishBurst(p, 100), "a burst of 100 at 10 fps: one second's worth gets through");
        clock.advanceMillis(99);
        assertEquals(0, publishBurst(p, 5), "99 ms refill less than one frame");
        clock.advanceMillis(2);
        assertEquals(1, publishBurst(p, 5), "101 ms refill one frame");
        clock.advanceMillis(5_000);
        assertEquals(10, publishBurst(p, 20), "a long pause refills one second's worth, no more");
        assertEquals(100 - 10 + 5 + 4 + 10, p.rejectedFrames());
        assertEquals(p.rejectedFrames(), ch.stats().publishRejected());
      }
      Channel bytes = timed.declare("bytes",
          ChannelConfig.builder().maxPublishFps(0).maxPublishBytesPerSecond(1000).build());
      try (Publisher p = bytes.openPublisher("big")) {
        assertTrue(p.publish(Frame.of("image/jpeg", new byte[600])));
        assertFalse(p.publish(Frame.of("image/jpeg", new byte[600])), "over 1000 bytes in the first second");
        clock.advanceMillis(300);
        assertTrue(p.publish(Frame.of("image/jpeg", new byte[600])), "300 ms refill 300 bytes: 700 wait");
        assertEquals(1, bytes.stats().publishRejected());
      }
    }
  }

  private static int publishBurst(Publisher p, int frames) {
    int published = 0;
    for (int i = 0; i < frames; i++) {
      if (p.publish(image(i))) {
        published++;
      }
    }
    return published;
  }

  @Test
  void c9_attachedSourcesTakeAPublisherSlot() {
    Channel ch = registry.attachSource("pattern", () -> image(1), 20);
    RecordingSink viewer = RecordingSink.immediate();
    ch.subscribe(viewer);
    Await.until("source publishing", () -> viewer.count() >= 2);
    assertEquals(1, ch.publisherCount());
    assertThrows(LimitExceededException.class, () -> ch.openPublisher("second"));
    assertEquals("ONLINE", viewer.events().get(0), "the source brings the channel online");
  }

  @Test
  void closedPublisherCannotPublish() {
    Channel ch = registry.declare("x");
    Publisher p = ch.openPublisher("p");
    p.close();
    assertTrue(p.isClosed());
    assertThrows(ChannelClosedException.class, () -> p.publish(image(1)));
  }
}
