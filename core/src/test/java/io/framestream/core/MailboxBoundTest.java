package io.framestream.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.framestream.testkit.Await;
import io.framestream.testkit.RecordingSink;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-subscriber mailbox bound (C2, C3, C9 of docs/contract.md) against a slow but live viewer: one that
 * completes a send now and then, so it is never evicted, but is always behind.
 */
class MailboxBoundTest {

  private ChannelRegistry registry;

  @BeforeEach
  void setUp() {
    registry = ChannelRegistry.builder().deliveryThreads(2).build();
  }

  @AfterEach
  void tearDown() {
    registry.close();
  }

  /** A video frame whose payload names its stream and its place in it: [stream high, stream low, n]. */
  private static Frame video(FrameKind kind, int stream, int n) {
    byte[] payload = {(byte) (stream >> 8), (byte) stream, (byte) n};
    return Frame.builder(payload).contentType("video/mp4").kind(kind).build();
  }

  private static int streamOf(Frame f) {
    java.nio.ByteBuffer p = f.payload();
    return ((p.get(0) & 0xFF) << 8) | (p.get(1) & 0xFF);
  }

  /** What a subscriber may hold waiting: its limit, but never less than the 5 entries C3/C9 must keep. */
  private static int waitingBound(ChannelConfig config) {
    return Math.max(config.maxQueuedFrames(), 5);
  }

  private static void assertWithinBound(Subscription sub, ChannelConfig config, String when) {
    SubscriberStats st = sub.stats();
    if (st.queued() > waitingBound(config) || st.inFlight() > config.maxInFlight()) {
      fail(when + ": " + st.queued() + " waiting (bound " + waitingBound(config) + "), " + st.inFlight()
          + " in flight (maxInFlight " + config.maxInFlight() + ")");
    }
  }

  /** Completes the viewer's sends until nothing waits or is in flight. */
  private static void drain(RecordingSink viewer, Subscription sub) {
    Await.until("the slow viewer catches up", () -> {
      viewer.completeAll();
      SubscriberStats st = sub.stats();
      return st.queued() == 0 && st.inFlight() == 0;
    }, Duration.ofSeconds(20));
  }

  /**
   * The delivered frames form a valid codec stream: every INIT is followed by another INIT or a KEY of its
   * own stream, every KEY belongs to the last INIT's stream, and every DELTA follows its predecessor.
   */
  private static void assertValidStream(List<Frame> delivered) {
    RecordingSink.assertNoOrphanDelta(delivered);
    int stream = -1;
    Frame prev = null;
    for (Frame f : delivered) {
      switch (f.kind()) {
        case INIT:
          stream = streamOf(f);
          break;
        case KEY:
          assertEquals(stream, streamOf(f), "key " + f + " of another stream than the last INIT");
          break;
        default:
          assertTrue(prev != null && prev.kind() != FrameKind.INIT, "delta right after an INIT: " + f);
          break;
      }
      if (prev != null && prev.kind() == FrameKind.INIT) {
        assertTrue(f.kind() != FrameKind.DELTA, "an INIT must be followed by a KEY or an INIT: " + f);
      }
      prev = f;
    }
  }

  @Test
  void c3_atMostOneInitWaitsForASlowSubscriber() {
    ChannelConfig config = ChannelConfig.DEFAULTS;
    Channel ch = registry.declare("video", config);
    RecordingSink viewer = new RecordingSink(RecordingSink.Mode.MANUAL);
    Subscription sub = ch.subscribe(viewer);
    int streams = 3_000;
    int published = 0;
    for (int s = 0; s < streams; s++) {
      ch.publish(video(FrameKind.INIT, s, 0));
      for (int g = 0; g < 2; g++) {
        ch.publish(video(FrameKind.KEY, s, 1));
        for (int d = 0; d < 3; d++) {
          ch.publish(video(FrameKind.DELTA, s, 2 + d));
        }
      }
      published += 9;
      if (s % 3 == 0) {
        viewer.completeAll(); // slow but live: now and then a send completes
      }
      assertWithinBound(sub, config, "after stream " + s);
    }
    drain(viewer, sub);
    List<Frame> got = viewer.frames();
    assertEquals(FrameKind.INIT, got.get(0).kind(), "the stream starts with an INIT");
    assertValidStream(got);
    Frame last = got.get(got.size() - 1);
    assertEquals(published, last.sequence(), "the newest frame arrives in the end");
    assertEquals(streams - 1, streamOf(last));
    assertTrue(sub.stats().drops().get(DropReason.SUPERSEDED) > 0, sub.stats().toString());
    viewer.assertRulesHeld();
    assertTrue(!viewer.isClosed(), "the slow viewer was never evicted");
  }

  @Test
  void c9_statusNoticesCollapseAfterADrop() {
    Channel ch = registry.declare("images");
    RecordingSink viewer = new RecordingSink(RecordingSink.Mode.MANUAL);
    Subscription sub = ch.subscribe(viewer);
    ch.publish(ChannelTest.image(1));
    Await.until("first frame in flight", () -> viewer.count() == 1);
    for (int i = 0; i < 100; i++) {
      Publisher p = ch.openPublisher("cam"); // ONLINE
      p.publish(ChannelTest.image(i)); // replaces the waiting image: the notices around it become neighbours
      p.close(); // OFFLINE
      SubscriberStats st = sub.stats();
      assertTrue(st.queued() <= 3, "after cycle " + i + ": " + st.queued() + " waiting; expected at most"
          + " [ONLINE, newest image, OFFLINE]");
    }
    drain(viewer, sub);
    assertEquals(List.of("1", "ONLINE", "101", "OFFLINE"), viewer.events());
    assertEquals(99L, sub.stats().drops().get(DropReason.SUPERSEDED));
    viewer.assertRulesHeld();
  }

  @Test
  void c2_mailboxBoundHoldsForEveryKindOfFrameAndNotice() {
    List<ChannelConfig> configs = List.of(
        ChannelConfig.DEFAULTS,
        ChannelConfig.builder().maxInFlight(2).maxQueuedFrames(6).build(),
        ChannelConfig.builder().maxInFlight(3).maxQueuedFrames(1).build(),
        ChannelConfig.builder().maxQueuedFrames(2).build());
    for (int c = 0; c < configs.size(); c++) {
      ChannelConfig config = configs.get(c);
      Channel ch = registry.declare("mix-" + c, config);
      RecordingSink viewer = new RecordingSink(RecordingSink.Mode.MANUAL);
      Subscription sub = ch.subscribe(viewer);
      Random random = new Random(42 + c);
      Publisher publisher = null;
      int stream = 0;
      ch.publish(video(FrameKind.INIT, stream, 0));
      for (int i = 0; i < 20_000; i++) {
        int r = random.nextInt(100);
        if (r < 3) {
          ch.publish(video(FrameKind.INIT, ++stream, 0));
        } else if (r < 13) {
          ch.publish(video(FrameKind.KEY, stream, i));
        } else if (r < 83) {
          ch.publish(video(FrameKind.DELTA, stream, i));
        } else if (r < 93) {
          if (publisher == null) {
            publisher = ch.openPublisher("toggling"); // ONLINE
          } else {
            publisher.close(); // OFFLINE
            publisher = null;
          }
        } else {
          viewer.completeAll();
        }
        assertWithinBound(sub, config, config + ", step " + i);
      }
      if (publisher == null) {
        publisher = ch.openPublisher("toggling");
      }
      publisher.close(); // the newest notice: OFFLINE
      drain(viewer, sub);
      assertValidStream(viewer.frames());
      List<String> events = viewer.events();
      assertEquals("OFFLINE", events.get(events.size() - 1), "the newest notice is delivered last");
      assertTrue(!viewer.isClosed(), "the slow viewer was never evicted");
      viewer.assertRulesHeld();
    }
  }
}
